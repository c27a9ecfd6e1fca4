// Text from the outside (a container's logs, a response body) made fit for a report: control bytes and
// invalid UTF-8 shown as escapes, and a bound on its size, saying what was cut. A noisy or hostile image
// can then neither blow up memory nor put raw binary into a report.

/** Control characters but tab and newline, and U+FFFD from invalid UTF-8, as visible escapes. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f\ufffd]/g, (c) => (c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** At most `max` characters: the first part, and how much was cut. */
export function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

/** At most the last `max` characters (logs: the end is what matters), and how much was cut. */
export function boundedTail(text: string, max: number): string {
  return text.length <= max ? text : `(${text.length - max} earlier characters cut) …${text.slice(-max)}`;
}
