/**
 * The selection facts a Phase F result carries (the reference's `extract_phase_d_metadata`, without its
 * silent fallbacks).
 *
 * Dense/sparse: decoded from the input's `_metadata` (0-d `<U`, bytes, or a pickled 0-d object string):
 * `selection_strategy` (string), `acceptance_rate`, `spacing_threshold` (numbers), `n_accepted`, `n_rejected`
 * (integers). A field the metadata lacks is listed in `metadata_missing_fields`, never filled with a made-up
 * default. No `_metadata` → `metadata: "absent"`; undecodable metadata or a field of the wrong type →
 * `metadata: "error"` with `metadata_error`.
 *
 * Baseline: the Phase C facts — every position of the split is used: `selection_strategy: "full"`,
 * `n_accepted` = number of positions, `n_rejected` = 0, `acceptance_rate` = 1, `spacing_threshold` = null;
 * `metadata` reports the decoding status of the Phase C file's `_metadata`.
 */
import { NpzReader } from '../../npy/npz.js';
import { readMetadata, type MetadataResult } from '../../data/metadata.js';
import type { View } from '../hub/layout.js';
import { shownJson } from '../../text.js';

export interface SelectionFacts {
  metadata: 'ok' | 'absent' | 'error';
  metadata_error?: string;
  metadata_missing_fields?: string[];
  selection_strategy?: string;
  acceptance_rate?: number;
  spacing_threshold?: number | null;
  n_accepted?: number;
  n_rejected?: number;
  /** Phase D's flag that the view has fewer positions than it needs (copied when present). */
  insufficient_positions?: boolean;
}

function decodeMetadata(reader: NpzReader): MetadataResult {
  const r = readMetadata(reader);
  return r.status === 'error' ? { status: 'error', error: `${reader.path}: ${r.error}` } : r;
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Selection facts of one job's input (never throws: an unreadable file is a recorded metadata error). */
export function selectionFacts(inputNpz: string, view: View): SelectionFacts {
  let reader: NpzReader;
  try {
    reader = NpzReader.open(inputNpz);
  } catch (err) {
    return { metadata: 'error', metadata_error: (err as Error).message };
  }
  try {
    const meta = decodeMetadata(reader);
    const status: SelectionFacts = meta.status === 'error' ? { metadata: 'error', metadata_error: meta.error } : { metadata: meta.status };
    if (view === 'baseline') {
      let n: number | null = null;
      let why = '';
      try {
        if (reader.has('xcoords')) n = reader.header('xcoords').shape[0] ?? null; // the header only: a count needs no data
        else why = 'no xcoords key';
      } catch (err) {
        why = (err as Error).message;
      }
      if (n === null) {
        return { ...status, metadata: 'error', metadata_error: `${inputNpz}: cannot count the positions (${why})` };
      }
      return { ...status, selection_strategy: 'full', acceptance_rate: 1, spacing_threshold: null, n_accepted: n, n_rejected: 0 };
    }
    if (meta.status !== 'ok') return status;
    const m = meta.value;
    const out: SelectionFacts = { metadata: 'ok' };
    const missing: string[] = [];
    const errors: string[] = [];
    if (!('selection_strategy' in m)) missing.push('selection_strategy');
    else if (typeof m.selection_strategy === 'string') out.selection_strategy = m.selection_strategy;
    else errors.push(`selection_strategy: expected a string, found ${shownJson(m.selection_strategy)}`);
    for (const f of ['acceptance_rate', 'spacing_threshold'] as const) {
      if (!(f in m)) { missing.push(f); continue; }
      const x = asNumber(m[f]);
      if (x === null) errors.push(`${f}: expected a number, found ${shownJson(m[f])}`);
      else out[f] = x;
    }
    for (const f of ['n_accepted', 'n_rejected'] as const) {
      if (!(f in m)) { missing.push(f); continue; }
      const x = asNumber(m[f]);
      if (x === null || !Number.isInteger(x) || x < 0) errors.push(`${f}: expected a non-negative integer, found ${shownJson(m[f])}`);
      else out[f] = x;
    }
    if ('insufficient_positions' in m) {
      if (typeof m.insufficient_positions === 'boolean') out.insufficient_positions = m.insufficient_positions;
      else errors.push(`insufficient_positions: expected true or false, found ${shownJson(m.insufficient_positions)}`);
    }
    if (missing.length > 0) out.metadata_missing_fields = missing;
    if (errors.length > 0) {
      out.metadata = 'error';
      out.metadata_error = `${inputNpz}: _metadata.${errors.join('; ')}`;
    }
    return out;
  } finally {
    reader.close();
  }
}
