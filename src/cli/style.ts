/**
 * Colour for status words (ok, failed, skipped, …) with Node's own `util.styleText` (Node ≥ 20.12; no
 * package): only on a terminal that supports colour, never when the output is piped or NO_COLOR is set;
 * FORCE_COLOR (not 0) turns it on anywhere.
 */
import * as util from 'node:util';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean };

/** Whether text written to `stream` may carry colour. */
export function colourFor(stream: Stream): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (typeof (util as { styleText?: unknown }).styleText !== 'function') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return stream.isTTY === true && (stream.hasColors?.() ?? false);
}

export type StatusKind = 'good' | 'bad' | 'skip' | 'warn' | 'dim';

const COLOURS: Record<StatusKind, string> = { good: 'green', bad: 'red', skip: 'yellow', warn: 'yellow', dim: 'dim' };

/** `word` in the colour of its kind when `stream` takes colour; the word unchanged otherwise. */
export function paint(word: string, kind: StatusKind, stream: Stream = process.stderr): string {
  if (!colourFor(stream)) return word;
  const styleText = (util as unknown as { styleText: (f: string, t: string) => string }).styleText;
  return styleText(COLOURS[kind], word);
}
