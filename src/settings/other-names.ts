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

/** What `key`, unknown in the top level (`where` '') or in `reconstruction.`, is here when it is one of those words, or null. */
export function otherNameHint(where: string, key: string): string | null {
  if (where !== '' && where !== 'reconstruction.') return null;
  const flat = key.replace(/[_-]/g, '').toLowerCase();
  return Object.prototype.hasOwnProperty.call(HINTS, flat) ? HINTS[flat]! : null;
}
