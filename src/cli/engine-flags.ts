/**
 * The engine flags both commands that reconstruct take (`lsqml`: one dataset; `reconstruct`: every job of
 * Phase F), one for each setting of the `reconstruction` group they share (src/settings/schema.ts). Each command
 * words their help for what it runs and puts their values into its settings itself; `lsqml` adds its own
 * (`--threads`, `--precision`, the old `--num-epochs`). The frame flags (`--crop-center`, `--crop-size`, `--bin-size`, `--orientation`)
 * are declared here once, for `lsqml`, `reconstruct` and `inspect --check` (`addFrameOptions`, `frameSettings`), and
 * the probe flags (`--init-probe`, `--probe-model`) once for `lsqml`, `reconstruct` and `inspect --check` (`addProbeOptions`).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { integerFlag } from './flags.js';
import { settingsDefaults } from '../settings/parse.js';
import { ORIENTATION_NAMES, type OrientationName } from '../data/hdf5/frames.js';


export interface EngineFlags {
  epochs?: string;
  batchSize?: string;
  noiseModel?: string;
  modes?: string;
  nImages?: string;
  seed?: string;
  initObject?: string;
  initProbe?: string;
  probeModel?: string;
  detectorMask?: boolean;
  radiation?: string;
  cropCenter?: string;
  cropSize?: string;
  binSize?: string;
  orientation?: string;
  cxiEntry?: string;
}

/** The flag of each of those settings (library messages name settings in backticks; commands show flags). */
export const ENGINE_FLAGS: Record<string, string> = {
  'reconstruction.epochs': '--epochs', 'reconstruction.batchSize': '--batch-size', 'reconstruction.noiseModel': '--noise-model',
  'reconstruction.modes': '--modes', 'reconstruction.nImages': '--n-images', 'reconstruction.seed': '--seed',
  'reconstruction.initObject': '--init-object', 'reconstruction.initProbe': '--init-probe', 'reconstruction.probeModel': '--probe-model',
  'reconstruction.detectorMask': '--no-detector-mask', 'reconstruction.radiation': '--radiation',
  'reconstruction.crop': '--crop-center/--crop-size', 'reconstruction.crop.center': '--crop-center', 'reconstruction.crop.size': '--crop-size',
  // the schema names a bad coordinate by its index (`reconstruction.crop.center.0`): both are the one flag
  'reconstruction.crop.center.0': '--crop-center', 'reconstruction.crop.center.1': '--crop-center',
  'reconstruction.binSize': '--bin-size', 'reconstruction.orientation': '--orientation', 'reconstruction.cxiEntry': '--cxi-entry',
};

/**
 * The flags of reconstruction.crop and reconstruction.binSize: how the detector frames of measured data become the
 * patterns (src/data/hdf5/frames.ts). `what` names the files the command reads.
 */
export function addFrameOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--crop-center <y,x>', `measured data (CXI, .ptyd): the centre of the window read from each detector frame of ${what}, row then column in the ` +
      'file\'s pixels (ptychodus CropCenterYInPixels, CropCenterXInPixels); it becomes the patterns\' centre, where the direct beam belongs. With --crop-size ' +
      '(default: none, no crop)')
    .option('--crop-size <n>', 'the side of that square window in pixels (ptychodus CropWidthInPixels, CropHeightInPixels); the patterns\' side, this over --bin-size, an even side ' +
      'with no prime factor above 13 for float32, a power of two for the fastest FFT (an odd one runs in float64 on the WebAssembly FFT; any other on the TypeScript one); ' +
      'a window reaching outside the frames is padded with zeros there, masked (the frames\' own side about another centre re-centres them). With --crop-center ' +
      '(default: none, the frames\' own size: the patterns are the frames whole, as stored; frames that are not square are then refused, naming ' +
      'these flags, and a side that float32 does not take runs in float64, with a warning naming the --crop-size values that make the nearest sides float32 takes, below and above)')
    .option('--bin-size <b>', 'measured data: sum b × b pixels into one after the crop (ptychodus BinSizeX, BinSizeY): counts stay counts, the detector pixel ' +
      'becomes b times larger; b must divide --crop-size (or the frames\' sides). A binned pixel is masked when any of its pixels is (docs/real-data.md, ' +
      '"Cropping and binning detector frames") (default: 1)')
    .option('--orientation <how>', 'measured data: flip-horizontal, flip-vertical, transpose, or several comma-separated (applied in this order, ' +
      'ptychodus\'s FlipHorizontal, FlipVertical, Transpose), or PtyPy\'s orientation 0–7, or none: the patterns are the file\'s frames so oriented, ' +
      'after the crop and the binning; the detector mask and the file\'s probe are oriented alike, positions are not changed (docs/real-data.md, ' +
      '"Frame orientation") (default: none)')
    .option('--cxi-entry <entry_N>', 'CXI: the entry to read in a file holding several (entry_2, …), for the data and for a CXI probe or object ' +
      'file alike; a file with several is refused without it, naming them (default: the file\'s one entry)');
}

/**
 * The flags of reconstruction.initProbe and reconstruction.probeModel: the probe a reconstruction starts from. `before`
 * opens both help texts (what the command does with them).
 */
export function addProbeOptions(cmd: Command, before = ''): Command {
  return cmd
    .option('--init-probe <how>', `${before}guess (the file's probeGuess or CXI illumination) or file:PATH (NPZ reconstructed_probe/probeGuess, a finished reconstruction's ` +
      `folder for its reconstruction.npz, CXI, ptychodus .h5 or .npz, PtyPy .ptyr) (default: ${settingsDefaults().reconstruction.initProbe})`)
    .option('--probe-model <spec>', `${before}model probe for data without one, lengths in metres: aperture:diameter=D ` +
      '(optionally ,distance=Z) or fzp:diameter=D,outer-zone=DR (or ,focal-length=F; optionally ,stop=S ,defocus=Z); ' +
      'add ,wavelength=…,pixel=… when the data states no geometry (docs/real-data.md)');
}

/**
 * reconstruction.orientation of `--orientation`: its names (flip-horizontal → flipHorizontal) or PtyPy's integer (its
 * range left for the schema to check), or [] for none; a word that names none is refused here, as the user spelled it.
 */
export function orientationFlag(v: string): number | OrientationName[] {
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (t === 'none' || t === '') return [];
  const words = t.split(',').map((w) => w.trim());
  const names = words.map((w) => w.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
  const unknown = words.find((_, i) => !(ORIENTATION_NAMES as readonly string[]).includes(names[i]!));
  if (unknown !== undefined) {
    throw new UsageError(`--orientation ${v}: expected flip-horizontal, flip-vertical, transpose (comma-separated, each at most once), none, ` +
      `or PtyPy's orientation, an integer 0 to 7; found ${unknown === '' ? 'an empty name' : unknown}`);
  }
  return names as OrientationName[];
}

/** reconstruction.crop, binSize and orientation from the flags (the schema checks their bounds), or nothing. */
export function frameSettings(flags: Pick<EngineFlags, 'cropCenter' | 'cropSize' | 'binSize' | 'orientation' | 'cxiEntry'>): { crop?: { center: [number, number]; size: number }; binSize?: number; orientation?: number | OrientationName[]; cxiEntry?: string } {
  if ((flags.cropCenter === undefined) !== (flags.cropSize === undefined)) {
    const [given, missing] = flags.cropCenter === undefined ? [`--crop-size ${flags.cropSize}`, '--crop-center Y,X'] : [`--crop-center ${flags.cropCenter}`, '--crop-size N'];
    throw new UsageError(`${given}: expected ${missing} with it (a crop is a centre and a size); found it missing`);
  }
  let crop: { center: [number, number]; size: number } | undefined;
  if (flags.cropCenter !== undefined) {
    const m = /^\s*(-?\d+)\s*,\s*(-?\d+)\s*$/.exec(flags.cropCenter);
    if (!m) throw new UsageError(`--crop-center ${flags.cropCenter}: expected Y,X, two integers (row, column in the file's pixels); found ${flags.cropCenter}`);
    crop = { center: [Number(m[1]), Number(m[2])], size: integerFlag('--crop-size', flags.cropSize)! };
  }
  const binSize = integerFlag('--bin-size', flags.binSize);
  return { ...(crop ? { crop } : {}), ...(binSize !== undefined ? { binSize } : {}), ...(flags.orientation !== undefined ? { orientation: orientationFlag(flags.orientation) } : {}),
    ...(flags.cxiEntry !== undefined ? { cxiEntry: flags.cxiEntry } : {}) };
}
