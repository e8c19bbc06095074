/**
 * Progress redrawn in place (a status block moved over with cursor-up, a bar rewritten after a carriage
 * return) works only while no line it draws is wider than the terminal: a line that wraps takes two rows,
 * and the redraw then leaves its first row behind, one more on every update. Redrawn lines are cut to
 * the terminal's width here.
 */

type Stream = NodeJS.WritableStream & { columns?: number };

/** Characters a redrawn line may hold on `stream` without wrapping: one less than its columns (80 when unknown). */
export function lineWidth(stream: Stream): number {
  const cols = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
  return Math.max(1, cols - 1);
}

/** `text` cut to `width` characters (code points; the progress lines hold no wide characters). */
export function fit(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length > width ? chars.slice(0, width).join('') : text;
}

/**
 * Whether progress on `stream` is redrawn in place: on a terminal, unless it says it cannot move the cursor
 * (TERM=dumb: Emacs' shell and compilation buffers, some CI consoles), where it prints plain lines as in a log.
 */
export function redrawsInPlace(stream: NodeJS.WritableStream & { isTTY?: boolean }): boolean {
  return stream.isTTY === true && process.env.TERM !== 'dumb';
}

/**
 * The prefix of a plain progress line (piped, or TERM=dumb): the time since `t0` (a `performance.now()`),
 * `[+h:mm:ss] `, so that a log read later tells when each step happened and how long it waited. Only
 * what is printed has it: no file of the study holds these lines.
 */
export function elapsedPrefix(t0: number, now = performance.now()): string {
  const s = Math.max(0, Math.floor((now - t0) / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `[+${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}] `;
}
