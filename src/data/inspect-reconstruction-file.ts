/**
 * `inspect --check` of a file that holds a reconstruction — a PtyPy reconstruction (.ptyr) or a ptychodus product (its
 * HDF5 or its NPZ form) —
 * given alone. It holds no patterns, but the probe and the object a reconstruction starts from
 * (`--init-probe file:PATH`, `--init-object file:PATH`): both are read as their readers read them (probe-file.ts
 * `readProbeFile`, object-file.ts `readObjectFile`), each sized by its own dataset (no patterns or scan to size it by),
 * and every refusal is listed. A file without an object (no `content/obj`, no `object`) is a probe file only, and a .ptyr
 * without a probe (no `content/probe`) an object file only: said, not refused; a probe or an object that is there but
 * cannot be read is refused, never taken for an absent one. The settings that
 * apply to measured data — the radiation, the crop, binning and orientation, the CXI entry — have nothing to apply to in
 * such a file: each is refused in the line the other readers give; so are the probe and the object a reconstruction
 * would start from instead (`--init-probe`, `--probe-model`, `--init-object`), which are checked against patterns and a
 * scan that such a file does not hold.
 */
import { InputError } from '../errors.js';
import { cxiEntryMessage } from './cxi.js';
import { frameSettingsMessage } from './input.js';
import { framesChanged, type FramePrep } from './hdf5/frames.js';
import { withHdf5, type Hdf5Reader } from './hdf5/reader.js';
import { p5, probeText } from './inspect.js';
import { readObjectFile } from './object-file.js';
import { readProbeFile } from './probe-file.js';
import { PRODUCT_KEYS } from './ptychodus.js';
import { firstStorage } from './ptypy.js';
import { PTYCHODUS_NPZ_KEYS } from './ptychodus-npz.js';
import { NpzReader } from '../npy/npz.js';
import { isComplexDtype } from '../npy/types.js';
import type { Radiation } from './geometry.js';
import { printable } from '../text.js';

/** The two kinds of file this check is for, as `inspect` names them. */
export type ReconstructionFileKind = 'PtyPy reconstruction (.ptyr)' | 'ptychodus product' | 'ptychodus product (NPZ)';

/**
 * A setting that says what a reconstruction starts from, as given (`--init-probe file:PATH`, `--probe-model`,
 * `--init-object file:PATH`): the setting, the flag that gives it and its value.
 */
export interface StartingPoint { setting: 'reconstruction.initProbe' | 'reconstruction.probeModel' | 'reconstruction.initObject'; flag: string; value: string }

/**
 * The refusal of `inspect --check --init-probe / --probe-model / --init-object` for a PtyPy reconstruction or a ptychodus
 * product given alone: a probe or an object is read or made for the data's patterns and object frame, and such a file
 * holds neither (its own probe and object are what the check reads). One line for every such setting given.
 */
export function startingPointMessage(file: string, kind: string, given: readonly StartingPoint[]): string {
  const one = given.length === 1;
  return `${file}: ${given.map((g) => `${g.setting} (${g.flag}) ${printable(g.value)}`).join(', ')}: ` +
    `expected measured data (CXI, PtyPy .ptyd) or a dataset NPZ, whose patterns and scan ${one ? 'it is' : 'they are'} read for; found a ${kind}, ` +
    `which holds neither (its own probe and object are checked here, as --init-probe file: and --init-object file: read them): ` +
    `leave ${one ? 'the setting' : 'the settings'} out, or check ${one ? 'it' : 'them'} with the data`;
}

/** A dataset the check reads: its key and the frame [H, W] it is read for (its own last two axes), or why it cannot be. */
type Located = { key: string; H: number; W: number } | { refused: string };

/** What a reconstruction reads of such a file, as `inspect --check` reports it (inspect-hdf5.ts Hdf5Check). */
export interface ReconstructionFileCheck {
  valid: boolean;
  /** One line for each of the probe and the object: what was read (also when the other is refused). */
  reads: string[];
  violations: string[];
}

/**
 * The refusal of `inspect --check --radiation` for a PtyPy reconstruction or a ptychodus product: a probe file that
 * states its own pixel size and no energy, so the setting would change nothing (an NPZ is refused likewise).
 */
export function probeFileRadiationMessage(file: string, kind: string, radiation: Radiation): string {
  return `${file}: reconstruction.radiation (--radiation) ${radiation}: expected measured data stating an energy (CXI); found a ${kind}, ` +
    'a probe file that states its pixel size and no energy (the setting applies to the data it is for): leave the setting out';
}

/** The dataset `key` read for its own last two axes, or the line refusing it (`want`: what the reader expects there). */
function located(r: Hdf5Reader, key: string, want: string): Located {
  try {
    const kind = r.kind(key);
    if (kind !== 'dataset') return { refused: r.bad(key, want, kind === 'missing' ? 'it missing' : `a ${kind}`).message };
    const info = r.info(key, want);
    // of two axes or more the reader says what it refuses of the dataset, in its words (as for a reconstruction)
    if (info.shape.length < 2) return { refused: r.bad(key, want, info.kind !== 'complex' ? `dtype ${info.dtype}` : `shape [${info.shape.join(', ')}]`).message };
    return { key, H: info.shape[info.shape.length - 2]!, W: info.shape[info.shape.length - 1]! };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { refused: err.message };
  }
}

/** The probe's and the object's datasets, where each reader looks for them (null when the file has none). */
function locate(r: Hdf5Reader, kind: ReconstructionFileKind): { probe: Located | null; object: Located | null } {
  const probeWant = `a complex probe ${kind === 'ptychodus product' ? '[H, W], [M, H, W] or [OPR, M, H, W]' : '[H, W] or [M, H, W]'} (the size of the diffraction patterns)`;
  const objectWant = 'a complex object [H, W] or [1, H, W] (one layer)';
  if (kind === 'ptychodus product') {
    return { probe: located(r, PRODUCT_KEYS.probe, probeWant), object: r.kind(PRODUCT_KEYS.object) === 'missing' ? null : located(r, PRODUCT_KEYS.object, objectWant) };
  }
  const storage = (group: string, what: string, want: string): Located => {
    try {
      return located(r, `${firstStorage(r, group, what)}/data`, want);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return { refused: err.message };
    }
  };
  const obj = r.kind('content/obj');
  return {
    probe: r.kind('content/probe') === 'missing' ? null : storage('content/probe', 'a probe', probeWant),
    object: obj === 'missing' ? null : obj !== 'group' ? { refused: r.bad('content/obj', 'a group of object storages (PtyPy reconstruction)', `a ${obj}`).message }
      : storage('content/obj', 'an object', objectWant),
  };
}

/** The probe's and the object's members of ptychodus's NPZ product (null: no object), as `locate` finds the datasets of an HDF5 file. */
function locateNpz(path: string): { probe: Located | null; object: Located | null } {
  const r = NpzReader.open(path);
  try {
    const one = (key: string, want: string): Located | null => {
      if (!r.has(key)) return null;
      try {
        const h = r.header(key);
        if (h.shape.length < 2) return { refused: `${path}: key '${key}': expected ${want}; found ${isComplexDtype(h.info.dtype) ? `shape [${h.shape.join(', ')}]` : `dtype ${h.info.dtype}`}` };
        return { key, H: h.shape[h.shape.length - 2]!, W: h.shape[h.shape.length - 1]! };
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        return { refused: err.message };
      }
    };
    return {
      probe: one(PTYCHODUS_NPZ_KEYS.probe, 'a complex probe [H, W], [M, H, W] or [OPR, M, H, W] (the size of the diffraction patterns)'),
      object: one(PTYCHODUS_NPZ_KEYS.object, 'a complex object [H, W] or [1, H, W] (one layer)'),
    };
  } finally {
    r.close();
  }
}

/**
 * Checks the probe and the object of `path` (a `kind` file) as `--init-probe file:PATH` and `--init-object file:PATH`
 * read them, and refuses the settings that have nothing to apply to in it (`radiation`, `frames`, `startingPoint`). Throws
 * InputError only when the file cannot be opened.
 */
export async function checkReconstructionFile(path: string, kind: ReconstructionFileKind,
  opts: { radiation?: Radiation | null; frames?: FramePrep; startingPoint?: readonly StartingPoint[] } = {}): Promise<ReconstructionFileCheck> {
  const { probe, object } = kind === 'ptychodus product (NPZ)' ? locateNpz(path) : await withHdf5(path, (r) => locate(r, kind));
  const reads: string[] = [];
  const violations: string[] = [];
  const refusal = async (read: () => Promise<string>): Promise<void> => {
    try {
      reads.push(await read());
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      violations.push(err.message);
    }
  };
  if (probe === null) reads.push(`no probe (no content/probe): not a probe file for --init-probe file:${path}`);
  else if ('refused' in probe) violations.push(probe.refused);
  else {
    await refusal(async () => {
      const p = await readProbeFile(path, probe.H, probe.W);
      return `a probe file (--init-probe file:${path}), no diffraction data: ${p.source}, ${probeText(p)}`;
    });
  }
  if (object === null) {
    reads.push(`no object (${kind === 'PtyPy reconstruction (.ptyr)' ? 'no content/obj' : `no '${PRODUCT_KEYS.object}'`}): not an object file for --init-object file:${path}`);
  } else if ('refused' in object) violations.push(object.refused);
  else {
    await refusal(async () => {
      const o = await readObjectFile(path, object.H, object.W);
      return `an object file (--init-object file:${path}): ${printable(o.key)}, [${object.H}, ${object.W}]${o.pixelM ? `, pixel [${o.pixelM.map(p5).join(', ')}] m` : ''}`;
    });
  }
  // the settings of measured data: nothing here to apply to
  if (opts.radiation) violations.push(probeFileRadiationMessage(path, kind, opts.radiation));
  if (framesChanged(opts.frames)) violations.push(frameSettingsMessage(path, `a ${kind}, a probe file`));
  if (opts.frames?.cxiEntry != null) violations.push(cxiEntryMessage(path, opts.frames.cxiEntry, `a ${kind}`));
  if (opts.startingPoint?.length) violations.push(startingPointMessage(path, kind, opts.startingPoint));
  return { valid: violations.length === 0, reads, violations };
}
