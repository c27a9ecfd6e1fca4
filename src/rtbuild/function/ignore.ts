// A matcher for ignore files in `.dockerignore` syntax, as the Docker engine reads them:
// one pattern a line, `#` comments, `*` `?` `[...]` within one path segment, `**` across segments,
// `!` to re-include, the last matching pattern wins, and a pattern that matches a folder matches
// everything inside it.
import { posix } from 'node:path';

export interface IgnorePattern {
  /** The pattern as cleaned (no leading "/" or "./", no trailing "/"). */
  text: string;
  negated: boolean;
  regex: RegExp;
  /** How many path segments the pattern has; used to match parent folders. */
  segments: number;
}

export interface IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];
  /** True when `path` (relative, forward slashes) is left out. */
  ignores(path: string): boolean;
  /** True when some `!` pattern could re-include something below the folder `path`. */
  mayReinclude(path: string): boolean;
}

function escapeRegex(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

/** Translates one cleaned pattern into an anchored regular expression. */
export function patternToRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (char === '?') {
      out += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === '\\' && i + 1 < pattern.length) {
      i++;
      out += escapeRegex(pattern[i] as string);
    } else {
      out += escapeRegex(char);
    }
  }
  return new RegExp(`^${out}$`);
}

function cleanPattern(raw: string): string {
  let text = raw.trim();
  if (text === '') return '';
  text = posix.normalize(text).replace(/^\/+/, '').replace(/\/+$/, '');
  return text === '.' ? '' : text;
}

export function parseIgnorePatterns(lines: readonly string[]): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const negated = trimmed.startsWith('!');
    const text = cleanPattern(negated ? trimmed.slice(1) : trimmed);
    if (text === '') continue;
    patterns.push({ text, negated, regex: patternToRegex(text), segments: text.split('/').length });
  }
  return patterns;
}

function patternMatches(pattern: IgnorePattern, path: string): boolean {
  if (pattern.regex.test(path)) return true;
  // A pattern that names a folder also covers what is inside it ("**" folders may be any depth).
  const parts = path.split('/');
  const deepest = pattern.text.includes('**') ? parts.length - 1 : Math.min(pattern.segments, parts.length - 1);
  for (let n = deepest; n >= 1; n--) {
    if (pattern.regex.test(parts.slice(0, n).join('/'))) return true;
  }
  return false;
}

export function createIgnoreMatcher(lines: readonly string[]): IgnoreMatcher {
  const patterns = parseIgnorePatterns(lines);
  return {
    patterns,
    ignores(path: string): boolean {
      let ignored = false;
      for (const pattern of patterns) {
        if (patternMatches(pattern, path)) ignored = !pattern.negated;
      }
      return ignored;
    },
    mayReinclude(path: string): boolean {
      // Compare the literal head of each "!" pattern with the folder.
      return patterns.some((pattern) => {
        const head = pattern.text.split(/[*?[\\]/)[0] ?? '';
        return pattern.negated && (head.startsWith(`${path}/`) || head === path || `${path}/`.startsWith(head));
      });
    },
  };
}
