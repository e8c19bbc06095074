/**
 * The record of a figure's size that the phase drawing it keeps beside it (`figure`: Phase G in each job's
 * comparison.json, Phase F in each job's reconstruction_run.json): the file, its width and its smallest text, both
 * in the SVG pixels it was laid out in (the PNG is that SVG zoomed, so the ratio is the PNG's too) — what
 * `readableWidth` takes. The report reads it to know how small the figure's text is where the page shows it
 * (docs/metrics.md, "Report"), since the PNG alone does not say.
 */
import { z } from 'zod';
import { InputError } from '../../errors.js';
import type { RenderedFigure } from '../../report/figure.js';
import { shownJson } from '../../text.js';
import { readRecordValue } from './json-records.js';

export const FigureRecordSchema = z.object({
  file: z.string(),
  svg_width: z.number().positive(),
  smallest_text_svg_px: z.number().positive(),
});
export type FigureRecord = z.infer<typeof FigureRecordSchema>;

/** The record of a figure laid out as `figure` and written as `file`. */
export function figureRecord(file: string, figure: Pick<RenderedFigure, 'width' | 'smallestText'>): FigureRecord {
  return { file, svg_width: figure.width, smallest_text_svg_px: figure.smallestText };
}

/** What each key of a record's `figure` holds, for the message of one that does not. */
const FIGURE_KEYS: Record<string, string> = {
  'figure.file': 'the figure\'s file name',
  'figure.svg_width': 'the figure\'s width, a positive number of SVG pixels',
  'figure.smallest_text_svg_px': 'the size of its smallest text, a positive number of SVG pixels',
};

/**
 * The `figure` of the JSON record at `path` (`what` it is, for messages: "a job's comparison record"); null when
 * nothing is at `path` or the record has no `figure` (written before the record kept it, or without a figure). A
 * record that is there but broken — no file, unreadable, not JSON, not an object, a `figure` that is not what the
 * phase writes — is an InputError naming the file (and the key).
 */
export function readFigureRecord(path: string, what: string): FigureRecord | null {
  const read = readRecordValue(path, {
    cannotRead: (err) => `cannot be read (${err.code ?? err.message})`,
    notJson: (why) => `not valid JSON (${why})`,
  });
  if (read === null) return null;
  const doc = read.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(`${path}: expected a JSON object (${what}); found ${shownJson(doc, 80)}`);
  }
  if (!('figure' in doc)) return null;
  const figure = (doc as { figure: unknown }).figure;
  const parsed = FigureRecordSchema.safeParse(figure);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = ['figure', ...issue.path.map(String)].join('.');
    const found = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), figure);
    throw new InputError(`${path}: key '${key}': expected ${FIGURE_KEYS[key] ?? 'an object with file, svg_width and smallest_text_svg_px'}; found ${found === undefined ? 'nothing' : shownJson(found, 80)}`);
  }
  return parsed.data;
}
