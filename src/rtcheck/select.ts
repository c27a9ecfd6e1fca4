// --only / --skip / --launch: which clauses a run checks. Tokens are clause ids (HTTP-LIMIT) or group
// names (http, image, kyma, …), in any letter case, separated by commas or spaces.
import { CLAUSES, type Clause, GROUPS, RTCHECK_SECTIONS } from './clauses.js';
import { InvalidInputError } from '../errors.js';
import type { LaunchKind } from '../platform/function-container.js';

export interface Selection {
  only?: string | undefined;
  skip?: string | undefined;
  /** Launches to check (default both): sections 1–9 need the own entrypoint, section 11 Kyma's launch. */
  launches?: readonly LaunchKind[] | undefined;
  /** With a Function resource (--function), the override clauses of section 12 rtcheck can judge too. */
  withFunction?: boolean | undefined;
}

/** Section 12's clauses rtcheck judges from a Function resource (OVR-INPUT is about rtbuild's input). */
export const FUNCTION_CLAUSES: readonly string[] = ['OVR-MANIFEST', 'OVR-BAKED'];

/** The launch a clause is judged under: section 11 under Kyma's, every other under the image's own. */
export function launchOf(clause: Pick<Clause, 'section'>): LaunchKind {
  return clause.section === 11 || clause.section === 12 ? 'kyma' : 'entrypoint';
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
  if (FUNCTION_CLAUSES.includes(upper) || lower === 'override') {
    throw new InvalidInputError(`"${token}" is checked only with the Function resource that runs the image`, { hint: 'add --function FILE (as rtbuild --for kyma --manifest writes it)' });
  }
  throw new InvalidInputError(`"${token}" is neither a clause id nor a group that rtcheck checks`, {
    hint: `use ids such as HTTP-LIMIT or groups (${GROUPS.filter((g) => g !== 'final' && g !== 'override').join(', ')}); rtcheck --list shows them`,
  });
}

/** The clauses to check, in contract order. Unknown ids or groups are an InvalidInputError. */
export function selectClauses(selection: Selection, all: readonly Clause[] = CLAUSES): Clause[] {
  const launches = selection.launches ?? ['entrypoint', 'kyma'];
  const scope = all.filter((clause) => RTCHECK_SECTIONS.includes(clause.section) || (selection.withFunction === true && FUNCTION_CLAUSES.includes(clause.id)));
  const only = tokens(selection.only).map((token) => matcher(token, scope));
  const skipped = tokens(selection.skip).map((token) => matcher(token, scope));
  return scope.filter(
    (clause) =>
      launches.includes(launchOf(clause)) && (only.length === 0 || only.some((match) => match(clause))) && !skipped.some((match) => match(clause)),
  );
}
