/**
 * PtyPy's parameter names (its parameter tree at commit 1681bec: scans.<name>.data (PtyScan),
 * scans.<name>.illumination, scans.<name>.coherence, engines.<name> (engines/base.py, engines/ML.py)) as someone
 * used to PtyPy writes them in a settings file or as a flag: what each is here, or that it is not here. An unknown
 * setting or flag with such a name gets this instead of "check the spelling" (parse.ts, cli/unknown-flag.ts);
 * docs/real-data.md, "Coming from PtyPy", is the same table for people, with the differences that change numbers.
 */

const SEE = 'docs/real-data.md, "Coming from PtyPy"';
const notHere = (what: string, instead?: string): string =>
  `PtyPy's ${what} is not available here${instead === undefined ? '' : `: ${instead}`}; ${SEE}`;
const FROM_FILE = (name: string, where: string): string =>
  `PtyPy's ${name} is read from the data file here (${where}), never set; ${SEE}`;
const TREE = 'PtyPy\'s parameter tree is not read here: the engine\'s settings are the group reconstruction ' +
  `(numiter is reconstruction.epochs, ML_type reconstruction.noiseModel, …) and the data's come from the file (--input); ${SEE}`;
const CROP = 'docs/real-data.md, "Cropping and binning detector frames"';
const PROBE_MODEL = 'PtyPy\'s illumination model is --probe-model (reconstruction.probeModel): aperture.size with propagation.parallel is ' +
  'aperture:diameter=D,distance=Z; with propagation.focussed it is fzp:diameter=D,focal-length=F,defocus=Z (central_stop, a fraction ' +
  `of the size there, is stop= in metres here); a .ptyr's probe is --init-probe file:PATH; ${SEE}`;

/** Hints by name with '_', '-' taken out and in lower case (so `ML_type`, `--ML-type` and `mltype` meet). */
const HINTS: Record<string, string> = {
  // the tree's groups
  engines: TREE,
  engine: TREE,
  scans: TREE,
  scan: TREE,
  scandata: TREE,
  ptycho: TREE,
  // engines.<name>
  numiter: `PtyPy's numiter is reconstruction.epochs, plus one: epoch 0 here only rescales the probe, so numiter N is reconstruction.epochs N + 1; ${SEE}`,
  probeupdatestart: 'PtyPy\'s probe_update_start is reconstruction.probePlan { start } plus one (PtyPy\'s iteration i is epoch i + 1 here, ' +
    `epoch 0 only rescaling the probe): probe_update_start: 2 is probePlan: { start: 3 }; ${SEE}`,
  mltype: 'PtyPy\'s ML_type is reconstruction.noiseModel, but the models differ: PtyPy\'s \'euclid\' (amplitudes) is gaussian here, ' +
    '\'poisson\' is poisson; PtyPy\'s \'gaussian\' (intensities weighted 1/(I + 1)) is not available (poisson is the nearest; ' +
    `gaussian here fits amplitudes); ${SEE}`,
  regdel2: notHere('Gaussian smoothness prior (reg_del2)'),
  regdel2amplitude: notHere('Gaussian smoothness prior (reg_del2)'),
  smoothgradient: notHere('gradient smoothing preconditioner (smooth_gradient)'),
  smoothgradientdecay: notHere('gradient smoothing preconditioner (smooth_gradient)'),
  scaleprecond: notHere('object/probe scaling preconditioner (scale_precond)', 'the object update is divided by the illumination ' +
    'preconditioner as in pty-chi, damped by reconstruction.preconditioningDampingFactor'),
  scaleprobeobject: notHere('object/probe scaling preconditioner (scale_probe_object)'),
  wavefieldprecond: notHere('wavefield preconditioner (wavefield_precond)', 'see reconstruction.preconditioningDampingFactor'),
  floatingintensities: notHere('floating intensities (a scale fitted per pattern)', 'every pattern keeps its measured scale'),
  intensityrenormalization: notHere('intensity_renormalization', 'the patterns are fitted as the file stores them'),
  polylinecoeffs: notHere('line search (poly_line_coeffs)', 'LSQML solves its step sizes by least squares'),
  probesupport: notHere('probe support (probe_support: the probe zeroed outside a disc of that fraction of the frame\'s area)', 'the probe has no support constraint'),
  probefouriersupport: notHere('probe Fourier support (probe_fourier_support)'),
  positionrefinement: notHere('position refinement', 'positions stay as the data file gives them'),
  numitercontiguous: notHere('numiter_contiguous', 'every epoch runs one after the other'),
  // scans.<name>.data (PtyScan) and its meta
  psize: FROM_FILE('psize', 'a .ptyd\'s meta/psize, the detector pixel in m'),
  energy: FROM_FILE('energy', 'a .ptyd\'s meta/energy in keV; CXI stores J'),
  distance: FROM_FILE('distance', 'a .ptyd\'s meta/distance in m'),
  // PtyScan crops the raw frames to `shape` about `center` and rebins them before it saves; the same steps on the frames
  // a file holds are reconstruction.crop and reconstruction.binSize here (docs/real-data.md, "Cropping and binning")
  center: 'PtyPy\'s data center (the beam\'s pixel in the raw frames, about which PtyScan crops them to shape) is reconstruction.crop.center ' +
    `(--crop-center Y,X) here, with reconstruction.crop.size (--crop-size N) for shape; a .ptyd's meta/center is read from the file; ${CROP}`,
  shape: 'PtyPy\'s data shape (the frames cropped about center) is reconstruction.crop.size (--crop-size N) here, with reconstruction.crop.center ' +
    `(--crop-center Y,X) for center; ${CROP}`,
  autocenter: notHere('auto_center', 'the direct beam is not found by itself: ptychostudy inspect FILE finds it and suggests reconstruction.crop ' +
    '(--crop-center Y,X --crop-size N), which puts it at the patterns\' centre'),
  rebin: 'PtyPy\'s rebin is reconstruction.binSize (--bin-size B) here, but PtyScan averages the B × B pixels and this sums them, so counts ' +
    `stay counts; ${CROP}`,
  dfile: 'PtyPy\'s dfile (the .ptyd file) is the option --input FILE (lsqml)',
  // scans.<name>.illumination and coherence
  illumination: PROBE_MODEL,
  aperture: PROBE_MODEL,
  propagation: PROBE_MODEL,
  diversity: 'PtyPy\'s illumination.diversity (noise and power of the extra modes) is not set here: the extra modes of reconstruction.modes ' +
    `are pty-chi's Hermite modes of the first; ${SEE}`,
  coherence: 'PtyPy\'s coherence.num_probe_modes is reconstruction.modes (incoherent probe modes); object modes are not available',
  numobjectmodes: notHere('object modes (coherence.num_object_modes)', 'one object'),
};

/**
 * What a PtyPy user's unknown setting `key` (in the top level, `where` '', or in `reconstruction.`) is here, or
 * null when it is not one of PtyPy's names.
 */
export function ptypyHint(where: string, key: string): string | null {
  if (where !== '' && where !== 'reconstruction.') return null;
  const flat = key.replace(/[_-]/g, '').toLowerCase();
  return Object.prototype.hasOwnProperty.call(HINTS, flat) ? HINTS[flat]! : null;
}
