// --only / --skip: which clauses a run checks. Tokens are clause ids (HTTP-LIMIT) or group names
// (http, image, …), in any letter case, separated by commas or spaces.
import { CLAUSES, type Clause, GROUPS, RTCHECK_SECTIONS } from './clauses.js';
import { InvalidInputError } from '../errors.js';

export interface Selection {
  only?: string | undefined;
  skip?: string | undefined;
}

function tokens(list: string | undefined): string[] {
  return (list ?? '')
    .split(/[\s,]+/)
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function matcher(token: string, scope: readonly Clause[]): (clause: Clause) => boolean {
  const lower = token.toLowerCase();
  if (scope.some((clause) => clause.group === lower)) return (clause) => clause.group === lower;
  const upper = token.toUpperCase();
  if (scope.some((clause) => clause.id === upper)) return (clause) => clause.id === upper;
  throw new InvalidInputError(`"${token}" is neither a clause id nor a group that rtcheck checks`, {
    hint: `use ids such as HTTP-LIMIT or groups (${GROUPS.filter((g) => g !== 'final').join(', ')}); rtcheck --list shows them`,
  });
}

/** The clauses to check, in contract order. Unknown ids or groups are an InvalidInputError. */
export function selectClauses(selection: Selection, all: readonly Clause[] = CLAUSES): Clause[] {
  const scope = all.filter((clause) => RTCHECK_SECTIONS.includes(clause.section));
  const only = tokens(selection.only).map((token) => matcher(token, scope));
  const skipped = tokens(selection.skip).map((token) => matcher(token, scope));
  return scope.filter(
    (clause) => (only.length === 0 || only.some((match) => match(clause))) && !skipped.some((match) => match(clause)),
  );
}
