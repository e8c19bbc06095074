/**
 * Phase G's per-job files, read for the report: `frc_curves.csv` (model, frequency_bin, amplitude_frc,
 * phase_frc, spatial_frequency), from `reconstructions_aligned.npz` a model's reconstruction with the
 * ground truth it was aligned to (`ground_truth_complex` or `<slug>_ground_truth_complex`, and
 * `<slug>_complex`; the slugs are listed in the file's `_metadata.models`). The record of the comparison figure's size
 * that `comparison.json` keeps (`figure`) is read by figure-record.ts.
 */
import { InputError } from '../../errors.js';
import { readTextAtMost } from '../../files/bounded-read.js';
import { quoted } from '../../text.js';
import { readMetadata } from '../../data/metadata.js';
import type { ComplexImage } from '../../math/image.js';
import { NpzReader } from '../../npy/npz.js';
import { complexImageOf } from './datasets.js';

export interface FrcRow {
  model: string;
  bin: number;
  amplitude: number;
  phase: number;
  /** Cycles per pixel. */
  frequency: number;
}

const MAX_CSV_BYTES = 64 * 2 ** 20;

/** Splits one CSV line (fields may be double-quoted, with "" for a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The rows of a job's frc_curves.csv; a header other than Phase G's → InputError. */
export function readFrcCurves(path: string): FrcRow[] {
  const lines = readTextAtMost(path, MAX_CSV_BYTES, 'an FRC table').split(/\r?\n/).filter((l) => l.length > 0);
  const want = 'model,frequency_bin,amplitude_frc,phase_frc,spatial_frequency';
  if (lines[0] !== want) throw new InputError(`${path}: expected the header "${want}", found ${quoted(lines[0] ?? '', 80)}`);
  return lines.slice(1).map((line, i) => {
    const f = csvFields(line);
    if (f.length !== 5) throw new InputError(`${path}, line ${i + 2}: expected 5 fields, found ${f.length}`);
    const v = f.slice(1).map((x) => (x === '' ? NaN : Number(x)));
    return { model: f[0]!, bin: v[0]!, amplitude: v[1]!, phase: v[2]!, frequency: v[3]! };
  });
}

/** One model's aligned reconstruction and its ground truth, from reconstructions_aligned.npz; null when the model is not in the file. */
export function readAlignedPair(path: string, model: string): { gt: ComplexImage; rec: ComplexImage } | null {
  const r = NpzReader.open(path);
  try {
    const meta = readMetadata(r);
    const models = meta.status === 'ok' && Array.isArray(meta.value.models) ? (meta.value.models as unknown[]) : [];
    const entry = models.find((m): m is { model: string; slug: string } => !!m && typeof m === 'object'
      && (m as { model?: unknown }).model === model && typeof (m as { slug?: unknown }).slug === 'string');
    const slug = entry?.slug ?? model.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
    if (!r.has(`${slug}_complex`)) return null;
    const gtKey = r.has(`${slug}_ground_truth_complex`) ? `${slug}_ground_truth_complex` : 'ground_truth_complex';
    if (!r.has(gtKey)) throw new InputError(`${path}: no '${gtKey}'`);
    return { gt: complexImageOf(r.get(gtKey), `${path}: key '${gtKey}'`), rec: complexImageOf(r.get(`${slug}_complex`), `${path}: key '${slug}_complex'`) };
  } finally {
    r.close();
  }
}
