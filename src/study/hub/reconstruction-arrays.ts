/**
 * What the report reads from a Phase F job beyond its object: the reconstructed probe
 * (`reconstructed_probe` [M, N, N] of reconstruction.npz), the loss per epoch (`loss_history`, else the
 * job's `lsqml.log`) and the object pixel size its `_metadata.geometry` states (measured data). Each part has a
 * reader of an open archive (`…Of(reader, path)`, `path` naming the file in messages: the study report reads every
 * part it shows of a reconstruction from one opening of the file, report/reconstruction-reads.ts) and a reader of
 * the file at a path, which opens it for that part alone.
 */
import { existsSync, lstatSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { readTextAtMost } from '../../files/bounded-read.js';
import { readMetadata } from '../../data/metadata.js';
import type { ComplexImage } from '../../math/image.js';
import { NpzReader } from '../../npy/npz.js';
import { float64Of } from './datasets.js';

export interface ReconstructedProbe {
  /** Mode 0. */
  probe: ComplexImage;
  modes: number;
}

/** `read` of the archive at `path`, opened for it alone (and closed). */
function withReader<T>(path: string, read: (r: NpzReader, path: string) => T): T {
  const r = NpzReader.open(path);
  try {
    return read(r, path);
  } finally {
    r.close();
  }
}

/** Mode 0 of `reconstructed_probe` ([N, N] or [M, N, N], complex). */
export function readReconstructedProbe(path: string): ReconstructedProbe | null {
  return withReader(path, reconstructedProbeOf);
}

/** `readReconstructedProbe` of an open archive. */
export function reconstructedProbeOf(r: NpzReader, path: string): ReconstructedProbe | null {
  if (!r.has('reconstructed_probe')) return null; // a reconstruction of another code may hold none: not a broken file
  const a = r.get('reconstructed_probe');
  if ((a.dtype !== '<c8' && a.dtype !== '<c16') || a.shape.length < 2 || a.shape.length > 3) {
    throw new InputError(`${path}: key 'reconstructed_probe': expected complex [M, N, N], found ${a.dtype} [${a.shape.join(', ')}]`);
  }
  const h = a.shape[a.shape.length - 2]!, w = a.shape[a.shape.length - 1]!;
  const modes = a.shape.length === 3 ? a.shape[0]! : 1;
  const d = a.data as Float32Array | Float64Array;
  return { probe: { h, w, data: Float64Array.from(d.subarray(0, 2 * h * w)) }, modes };
}

/** `_metadata.detector_mask` of a reconstruction (measured data read from CXI or .ptyd records it), or null. */
export function readReconstructionMaskRecord(path: string): Record<string, unknown> | null {
  return withReader(path, reconstructionMaskRecordOf);
}

/** `readReconstructionMaskRecord` of an open archive. */
export function reconstructionMaskRecordOf(r: NpzReader): Record<string, unknown> | null {
  const m = readMetadata(r);
  const v = m.status === 'ok' ? m.value.detector_mask : undefined;
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
}

/** The whole `_metadata` of a reconstruction; an `InputError` naming the file when it has none or it cannot be read. */
export function readReconstructionMetadata(path: string): Record<string, unknown> {
  return withReader(path, reconstructionMetadataOf);
}

/** `readReconstructionMetadata` of an open archive. */
export function reconstructionMetadataOf(r: NpzReader, path: string): Record<string, unknown> {
  const m = readMetadata(r);
  if (m.status === 'absent') throw new InputError(`${path}: no '_metadata'`);
  if (m.status === 'error') throw new InputError(`${path}: key '_metadata': ${m.error}`);
  if (m.value === null || typeof m.value !== 'object' || Array.isArray(m.value)) throw new InputError(`${path}: key '_metadata': expected a JSON object`);
  return m.value as Record<string, unknown>;
}

/** `_metadata.geometry` of a reconstruction (measured data records it), or null. */
export function readReconstructionGeometry(path: string): unknown {
  return withReader(path, reconstructionGeometryOf);
}

/** `readReconstructionGeometry` of an open archive. */
export function reconstructionGeometryOf(r: NpzReader): unknown {
  const m = readMetadata(r);
  return m.status === 'ok' ? (m.value.geometry ?? null) : null;
}

/** Largest lsqml.log the report parses (bytes). */
const MAX_LOG_BYTES = 64 * 2 ** 20;

/** Losses of `epoch <e> loss <value> …` lines of an lsqml.log, in epoch order. */
export function parseLossLog(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^epoch\s+(\d+)\s+loss\s+(\S+)/.exec(line);
    if (m) out[Number(m[1])] = Number(m[2]);
  }
  return Array.from(out, (v) => (v === undefined ? NaN : v));
}

/** The loss per epoch of a job: reconstruction.npz's `loss_history`, else its lsqml.log; null when neither exists. */
export function readLossHistory(npzPath: string, logPath: string): LossHistory | null {
  const values = existsSync(npzPath) ? withReader(npzPath, lossHistoryOf) : null;
  return values !== null ? { values, source: 'loss_history' } : readLossLog(logPath);
}

/** The loss per epoch of a job and where it was read. */
export interface LossHistory { values: number[]; source: 'loss_history' | 'lsqml.log' }

/** `loss_history` of an open reconstruction archive; null when it has none. */
export function lossHistoryOf(r: NpzReader, path: string): number[] | null {
  return r.has('loss_history') ? Array.from(float64Of(r.get('loss_history'), `${path}: key 'loss_history'`)) : null;
}

/** The loss per epoch of a job's lsqml.log (`readLossHistory` when its reconstruction holds no `loss_history`); null when there is no log. */
export function readLossLog(logPath: string): LossHistory | null {
  // anything at the path (a dangling link too) is read: only a regular file, bounded (`readTextAtMost`)
  if (lstatSync(logPath, { throwIfNoEntry: false }) !== undefined) {
    return { values: parseLossLog(readTextAtMost(logPath, MAX_LOG_BYTES, 'a loss log')), source: 'lsqml.log' };
  }
  return null;
}

/** Most pixels a detector mask may have when no probe gives the patterns' size (4096²). */
const MAX_MASK_PIXELS = 2 ** 24;

/** Measured data's detector mask as a reconstruction recorded it. */
export interface ReconstructionMask {
  /** `_metadata.detector_mask` ({ applied, pixels_masked, pattern_pixels, sources } or { applied: false, reason }). */
  record: Record<string, unknown>;
  /** The `detector_mask` member [H, W] (1 = masked), present when the mask masked pixels. */
  mask: { h: number; w: number; data: Uint8Array } | null;
}

/**
 * The detector mask a reconstruction of measured data records; null when its `_metadata` has none (simulated data).
 * A `detector_mask` that is not of the size of `reconstructed_probe`'s modes (the patterns' size) is an InputError,
 * found from its header before its bytes are read.
 */
export function readReconstructionMask(path: string): ReconstructionMask | null {
  return withReader(path, reconstructionMaskOf);
}

/** `readReconstructionMask` of an open archive. */
export function reconstructionMaskOf(r: NpzReader, path: string): ReconstructionMask | null {
  const m = readMetadata(r);
  const record = m.status === 'ok' ? m.value.detector_mask : undefined;
  if (record === undefined) return null;
  if (record === null || typeof record !== 'object' || Array.isArray(record) || typeof (record as Record<string, unknown>).applied !== 'boolean') {
    throw new InputError(`${path}: key '_metadata.detector_mask': expected { applied: true | false, … }; found ${JSON.stringify(record).slice(0, 80)}`);
  }
  // the lists the reports show entry by entry: objects ({ source, key, pixels, … }), or absent
  for (const key of ['sources', 'fitted_as_read'] as const) {
    const v = (record as Record<string, unknown>)[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((e) => e === null || typeof e !== 'object' || Array.isArray(e)))) {
      throw new InputError(`${path}: key '_metadata.detector_mask.${key}': expected a list of objects ({ source, key, … }); found ${JSON.stringify(v).slice(0, 80)}`);
    }
  }
  if (!r.has('detector_mask')) return { record: record as Record<string, unknown>, mask: null };
  const hdr = r.header('detector_mask');
  // the patterns' size: that of the probe beside it (lsqml-job.ts writes both [N, N]), checked before the bytes are read
  const ps = r.has('reconstructed_probe') ? r.header('reconstructed_probe').shape : null;
  const n = ps !== null && ps.length >= 2 ? [ps[ps.length - 2]!, ps[ps.length - 1]!] : null;
  const ok = (hdr.info.kind === 'u' || hdr.info.kind === 'b') && hdr.info.itemsize === 1 && hdr.shape.length === 2
    && (n !== null ? hdr.shape[0] === n[0] && hdr.shape[1] === n[1] : hdr.shape[0]! * hdr.shape[1]! <= MAX_MASK_PIXELS);
  if (!ok) {
    const want = n !== null ? `[${n[0]}, ${n[1]}] (the size of reconstructed_probe's modes)` : `[H, W] of at most ${MAX_MASK_PIXELS} pixels`;
    throw new InputError(`${path}: key 'detector_mask': expected |u1 ${want} (1 = masked); found ${hdr.info.dtype} [${hdr.shape.join(', ')}]`);
  }
  const a = r.get('detector_mask');
  return { record: record as Record<string, unknown>, mask: { h: a.shape[0]!, w: a.shape[1]!, data: Uint8Array.from(a.data as Uint8Array) } };
}
