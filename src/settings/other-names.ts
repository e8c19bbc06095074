/**
 * Other words than pty-chi's and PtyPy's (ptychi-names.ts, ptypy-names.ts) that people use for a setting of the top
 * level or of `reconstruction`, in a settings file or as a flag, by name with '_', '-' taken out and in lower case:
 * what each is here, said instead of "check the spelling" (parse.ts, cli/unknown-flag.ts). A data file is no setting
 * (one file serves runs of several datasets): `lsqml` reads it from --input, `reconstruct` and `run` from Phase C.
 */
const DATA_FILE_HINT = 'the data file is not a setting: lsqml reads it from --input FILE; reconstruct and run reconstruct the datasets of Phase C';
const EPOCHS_HINT = 'the number of iterations is reconstruction.epochs (epoch 0 included)';
const MASK_HINT = 'the detector mask of measured data is applied unless reconstruction.detectorMask is false';
const DEVICE_HINT = 'the engine runs on the CPU (WebAssembly kernels); its threads are reconstruction.threads, jobs at once execution.jobs';
const HINTS: Record<string, string> = {
  ...Object.fromEntries(['input', 'inputfile', 'inputnpz', 'inputpath', 'data', 'datafile', 'datapath', 'dataset', 'file', 'filename', 'path']
    .map((n) => [n, DATA_FILE_HINT])),
  ...Object.fromEntries(['iterations', 'iteration', 'iters', 'niter', 'niters', 'numiterations', 'niterations', 'maxiter', 'nepochs'].map((n) => [n, EPOCHS_HINT])),
  ...Object.fromEntries(['mask', 'usemask', 'applymask', 'masked'].map((n) => [n, MASK_HINT])),
  ...Object.fromEntries(['device', 'gpu', 'usegpu', 'cuda', 'gpus'].map((n) => [n, DEVICE_HINT])),
  algorithm: 'LSQML (pty-chi\'s) is the one engine here',
  method: 'LSQML (pty-chi\'s) is the one engine here',
};

/**
 * A name of the experiment's geometry — ptychodus's ProbeEnergyInElectronVolts, DetectorDistanceInMeters,
 * DetectorPixelWidthInMeters, pty-chi's wavelength_m, photon_energy_kev, det_pixel_size…: in any unit, none is a setting.
 */
const GEOMETRY_NAME = /energy|wavelength|^lambda|distance|pixel(?:size|width|height)|^psize|^det(?:ector)?pix/;
const GEOMETRY_HINT = 'the energy, the detector distance and its pixel size are read from the data file (CXI, PtyPy .ptyd), in whatever unit it ' +
  'stores them, never set; for a file that states none, --probe-model …,wavelength=…,pixel=… gives them in metres (docs/real-data.md)';
const SYNTHETIC_GEOMETRY_HINT = 'the synthetic study is in pixels and photons per pattern: it has no energy, distance or detector pixel size ' +
  '(measured data\'s are read from its file)';

/**
 * What `key`, unknown in the top level (`where` '') or in `reconstruction.` (or a geometry name in `simulation.`), is
 * here when it is one of those words, or null.
 */
export function otherNameHint(where: string, key: string): string | null {
  const flat = key.replace(/[_-]/g, '').toLowerCase();
  if (where === 'simulation.') return GEOMETRY_NAME.test(flat) ? SYNTHETIC_GEOMETRY_HINT : null;
  if (where !== '' && where !== 'reconstruction.') return null;
  if (Object.prototype.hasOwnProperty.call(HINTS, flat)) return HINTS[flat]!;
  return GEOMETRY_NAME.test(flat) ? GEOMETRY_HINT : null;
}
