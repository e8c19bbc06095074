/** Wording shared by every layer's messages. */

/** `1 job`, `3 jobs`, `0 jobs`; `plural` for words that do not take an s (`2 matrices`). */
export function counted(k: number, word: string, plural = `${word}s`): string {
  return `${k} ${k === 1 ? word : plural}`;
}

/** Shell-quotes an argv for display (only where needed). */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Characters a message must never carry as they are, because they end the line or drive the terminal:
 * C0 and C1 control characters and DEL (\n, \r, ESC, CSI …), the Unicode line and paragraph separators,
 * the bidirectional marks, embeddings, overrides and isolates (they reorder what the terminal shows), and
 * unpaired surrogates (not text at all).
 */
const UNPRINTABLE_SOURCE = '[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]' +
  '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNPRINTABLE = new RegExp(UNPRINTABLE_SOURCE, 'g');
const HAS_UNPRINTABLE = new RegExp(UNPRINTABLE_SOURCE);

/** Characters a name shown in a message keeps by default (a longer one is cut, saying how much was left out). */
export const SHOWN_NAME_CHARS = 200;

/** True when `text` holds a character that `printable` escapes. */
export function hasUnprintable(text: string): boolean {
  return HAS_UNPRINTABLE.test(text);
}

const SHORT_ESCAPES: Record<string, string> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function cut(text: string, max: number): { head: string; tail: string } {
  if (text.length <= max) return { head: text, tail: '' };
  return { head: text.slice(0, max), tail: `… (${text.length - max} more characters)` };
}

/**
 * A name, key or value read from a file, as a message shows it: on one line whatever it holds. Every
 * character that could end the line or drive a terminal (see UNPRINTABLE) is written as a JSON-style
 * escape (\n, \t, \u001b …), and text longer than `max` characters is cut there, saying how many were
 * left out. Anything else is kept as it is (a backslash too), so an ordinary name reads unchanged.
 * Every message that shows something a file holds (a key, a member name, an attribute, a setting) goes
 * through this or `quoted`.
 */
export function printable(text: string, max = SHOWN_NAME_CHARS): string {
  const { head, tail } = cut(text, max);
  return escapeUnprintable(head) + tail;
}

/** `text` as a double-quoted JSON string (quotes and backslashes escaped), then made `printable`. */
export function quoted(text: string, max = SHOWN_NAME_CHARS): string {
  const { head, tail } = cut(text, max);
  return escapeUnprintable(JSON.stringify(head)) + tail;
}

/**
 * Compact JSON of `v` for a message: cut once it passes `max` characters (ended with '…'), then made
 * `printable`. Recursive, but every level writes a bracket before it descends, so it never goes deeper
 * than `max` levels however deep the value is (JSON.stringify of a 200 000-deep array overflows the
 * stack). Non-finite numbers and undefined array elements are null, as in JSON.
 */
export function shownJson(v: unknown, max = SHOWN_NAME_CHARS): string {
  let out = '';
  const full = {};
  const put = (text: string): void => {
    out += text;
    if (out.length > max) throw full;
  };
  const walk = (x: unknown): void => {
    if (typeof x === 'string') put(JSON.stringify(x));
    else if (typeof x === 'number') put(Number.isFinite(x) ? String(x) : 'null');
    else if (typeof x === 'boolean' || typeof x === 'bigint') put(String(x));
    else if (Array.isArray(x)) {
      put('[');
      x.forEach((e, i) => { if (i > 0) put(','); walk(e === undefined || typeof e === 'function' ? null : e); });
      put(']');
    } else if (x !== null && typeof x === 'object') {
      put('{');
      let first = true;
      for (const [k, e] of Object.entries(x)) {
        if (e === undefined || typeof e === 'function') continue;
        put(`${first ? '' : ','}${JSON.stringify(k)}:`);
        first = false;
        walk(e);
      }
      put('}');
    } else put(x === undefined ? 'undefined' : 'null');
  };
  try {
    walk(v);
  } catch (err) {
    if (err !== full) throw err;
    out = `${out.slice(0, max)}…`;
  }
  return escapeUnprintable(out);
}
