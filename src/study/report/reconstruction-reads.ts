/**
 * What the study report shows of each Phase F reconstruction.npz, read from one opening of the file by the plan:
 * `_metadata` (whole, its geometry, its detector-mask record), the detector mask, the loss per epoch and, for the
 * split whose probes the page draws, mode 0 of the probe. Each part is its reader's value or the error it threw,
 * thrown again where a section uses it, so a broken file is named as when each section opened it. No object is kept.
 */
import { NpzReader } from '../../npy/npz.js';
import {
  lossHistoryOf, reconstructedProbeOf, reconstructionGeometryOf, reconstructionMaskOf, reconstructionMaskRecordOf, reconstructionMetadataOf,
  type ReconstructedProbe, type ReconstructionMask,
} from '../hub/reconstruction-arrays.js';

/** A part of a file as its reader gave it: the value, or the error it threw. */
export type PartRead<T> = { value: T } | { error: unknown };

export interface ReconstructionReads {
  /** `_metadata.geometry` (`readReconstructionGeometry`). */
  geometry: PartRead<unknown>;
  /** `_metadata.detector_mask` (`readReconstructionMaskRecord`). */
  maskRecord: PartRead<Record<string, unknown> | null>;
  /** The whole `_metadata` (`readReconstructionMetadata`). */
  metadata: PartRead<Record<string, unknown>>;
  /** The detector mask with its record (`readReconstructionMask`). */
  mask: PartRead<ReconstructionMask | null>;
  /** `loss_history` (null: the file holds none). */
  loss: PartRead<number[] | null>;
  /** Mode 0 of `reconstructed_probe` (`readReconstructedProbe`); not read (undefined) for a job of another split. */
  probe?: PartRead<ReconstructedProbe | null>;
}

function settle<T>(read: () => T): PartRead<T> {
  try {
    return { value: read() };
  } catch (error) {
    return { error };
  }
}

/** The value of a part, or the error its reader threw (thrown again). */
export function partValue<T>(part: PartRead<T>): T {
  if ('error' in part) throw part.error;
  return part.value;
}

/** Every part of the reconstruction at `path` from one opening of it (an unreadable file: its error for every part). */
export function readReconstructionParts(path: string, withProbe: boolean): ReconstructionReads {
  const opened = settle(() => NpzReader.open(path));
  if ('error' in opened) {
    return { geometry: opened, maskRecord: opened, metadata: opened, mask: opened, loss: opened, ...(withProbe ? { probe: opened } : {}) };
  }
  const r = opened.value;
  try {
    return {
      geometry: settle(() => reconstructionGeometryOf(r)),
      maskRecord: settle(() => reconstructionMaskRecordOf(r)),
      metadata: settle(() => reconstructionMetadataOf(r, path)),
      mask: settle(() => reconstructionMaskOf(r, path)),
      loss: settle(() => lossHistoryOf(r, path)),
      ...(withProbe ? { probe: settle(() => reconstructedProbeOf(r, path)) } : {}),
    };
  } finally {
    r.close();
  }
}
