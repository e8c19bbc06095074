/**
 * pty-chi's option names (LSQMLOptions at commit 8aee9c2: reconstructor_options, object_options,
 * probe_options, probe_position_options, opr_mode_weight_options) as someone used to pty-chi writes them
 * in a settings file: what each is called here, or that the engine does not have it. An unknown setting
 * with such a name gets this instead of a "did you mean" guess (parse.ts); docs/lsqml.md, "pty-chi's
 * options here", is the same table for people.
 */

const SEE = 'docs/lsqml.md, "pty-chi\'s options here"';
const GROUPS = 'pty-chi\'s option groups are one group here, reconstruction: object_options.optimal_step_size_scaler is ' +
  `reconstruction.objectStepSizeScaler, …; ${SEE}`;
const notHere = (what: string, instead?: string): string =>
  `pty-chi's ${what} is not implemented here${instead === undefined ? '' : `: ${instead}`}; ${SEE}`;
const POSITIONS = notHere('position correction', 'positions stay as the data file gives them');
const OPR = notHere('OPR (orthogonal probe relaxation)', 'the probe modes are incoherent modes only, reconstruction.modes');

/** Hints by name with '_', '-' taken out and in lower case (so `num_epochs`, `numEpochs` and `num-epochs` meet). */
const HINTS: Record<string, string> = {
  // renamed here
  numepochs: 'pty-chi\'s num_epochs is reconstruction.epochs',
  randomseed: 'pty-chi\'s random_seed is reconstruction.seed',
  optimalstepsizescaler: 'pty-chi\'s optimal_step_size_scaler is reconstruction.objectStepSizeScaler (object_options) or reconstruction.probeStepSizeScaler (probe_options)',
  stepsize: 'pty-chi\'s step_size is reconstruction.objectLearningRate (object_options) or reconstruction.probeLearningRate (probe_options)',
  optimizable: 'pty-chi\'s optimizable is reconstruction.objectOptimizable or reconstruction.probeOptimizable',
  optimizationplan: 'pty-chi\'s optimization_plan is reconstruction.objectPlan, probePlan, orthogonalizePlan or ambiguityPlan ({ start, stop, stride })',
  defaultdtype: 'pty-chi\'s default_dtype is reconstruction.precision (float32 or float64)',
  usedoubleprecisionforfft: 'pty-chi\'s use_double_precision_for_fft is reconstruction.precision: float64 (every buffer in double precision)',
  nummodes: 'the number of incoherent probe modes is reconstruction.modes',
  nmodes: 'the number of incoherent probe modes is reconstruction.modes',
  probemodes: 'the number of incoherent probe modes is reconstruction.modes',
  numprobemodes: 'the number of incoherent probe modes is reconstruction.modes',
  nprobemodes: 'the number of incoherent probe modes is reconstruction.modes',
  orthogonalizeinitialprobe: 'pty-chi\'s orthogonalize_initial_probe is done by reconstruction.modes: with more modes than the probe holds, the extra ones come from its Hermite recipe',
  validpixelmask: 'pty-chi\'s valid_pixel_mask is the measured data\'s own detector mask here, applied unless reconstruction.detectorMask is false; docs/real-data.md, "Detector mask"',
  initialguess: 'the initial object and probe are reconstruction.initObject (ones, guess or file:PATH) and reconstruction.initProbe (guess or file:PATH)',
  // always on here
  singleslicesolveobjprbstepsizejointly: 'the joint object–probe step solve is the only one here (pty-chi\'s default, true)',
  solvestepsizesonlyusingfirstprobemode: 'the step sizes always come from the first probe mode here (pty-chi\'s default, true)',
  // groups of pty-chi
  reconstructoroptions: GROUPS,
  lsqmloptions: GROUPS,
  objectoptions: GROUPS,
  probeoptions: GROUPS,
  dataoptions: 'pty-chi\'s data_options (wavelength, distance, pixel size) come from the data file here (docs/real-data.md)',
  // not implemented
  probepositionoptions: POSITIONS,
  positioncorrection: POSITIONS,
  correctionoptions: POSITIONS,
  positionoptions: POSITIONS,
  oprmodeweightoptions: OPR,
  opr: OPR,
  oprmodes: OPR,
  numoprmodes: OPR,
  noprmodes: OPR,
  orthogonalizeoprmodes: OPR,
  eigenmodeupdaterelaxation: OPR,
  momentumaccelerationgain: notHere('momentum acceleration'),
  momentumaccelerationgradientmixingfactor: notHere('momentum acceleration'),
  batchingmode: notHere('batching_mode other than random', 'minibatches are random, seeded by reconstruction.seed'),
  compactmodeupdateclustering: notHere('compact batching'),
  optimizer: notHere('choice of optimizer', 'every update is the LSQ step, pty-chi\'s optimizer sgd'),
  powerconstraint: notHere('probe power constraint'),
  supportconstraint: notHere('probe support constraint'),
  centerconstraint: notHere('probe centre constraint'),
  l1normconstraint: notHere('l1_norm_constraint'),
  l2normconstraint: notHere('l2_norm_constraint'),
  smoothnessconstraint: notHere('smoothness_constraint'),
  totalvariation: notHere('total variation constraint'),
  hardlimitsmagnitudephase: notHere('hard_limits_magnitude_phase constraint'),
  removegridartifacts: notHere('remove_grid_artifacts'),
  slicespacingsm: notHere('multislice model', 'the object is one slice'),
  multisliceregularization: notHere('multislice model', 'the object is one slice'),
};

/**
 * What a pty-chi user's unknown setting `key` (in the top level, `where` '', or in `reconstruction.`) is
 * here, or null when it is not one of pty-chi's names.
 */
export function ptychiHint(where: string, key: string): string | null {
  if (where !== '' && where !== 'reconstruction.') return null;
  const flat = key.replace(/[_-]/g, '').toLowerCase();
  return Object.prototype.hasOwnProperty.call(HINTS, flat) ? HINTS[flat]! : null;
}
