/**
 * ptychostudy as a library (`import … from 'ptychostudy'`): the settings (one schema, presets, settings
 * files), the whole study and its phases, one LSQML reconstruction file to files, the engine, the data
 * readers (NPZ, the dataset contract, `_metadata`, CXI / PtyPy) and the metrics. Everything here is what
 * the command line uses; nothing prints or reads argv. What to call for what, the defaults that differ from
 * the command line's, the deprecated names and the errors: docs/library.md.
 */
export { UsageError, InputError, exitCodeFor } from './errors.js';
// what the functions below throw (the InputErrors among them have exit code 2)
export { NpyError, NpzError } from './npy/errors.js';
export { DatasetError } from './data/dataset.js';
export { Hdf5Error } from './data/hdf5/reader.js';
export { LockBusyError, type LockHolder, type LockRecord } from './files/lock.js';
export { LsqmlInputError, LsqmlDivergenceError, LsqmlAbortedError } from './engine/lsqml.js';
export { packageVersion } from './version.js';

// settings
export {
  StudySettingsSchema, SimulationSettingsSchema, OverlapSettingsSchema, ReconstructionSettingsSchema, ExecutionSettingsSchema,
  PRESET_NAMES, settingsJsonSchema,
  type StudySettings, type StudySettingsInput, type ReconstructionSettingsInput, type SimulationSettings, type OverlapSettings, type ReconstructionSettings,
  type ExecutionSettings, type PresetName,
} from './settings/schema.js';
export { parseStudySettings, settingsDefaults, settingsIssues, mergeSettings, SettingsError, type SettingsIssue } from './settings/parse.js';
export { getPreset, type Preset } from './settings/presets.js';
export { readSettingsFile, parseSettingsText, SettingsFileError } from './settings/file.js';
export { settingsTemplate } from './settings/template.js';
export { reconstructionSettingsSha256, settingsDifferences, RESULT_NEUTRAL_SETTINGS, type SettingDifference } from './settings/fingerprint.js';
export { checkedEngineOptions as engineOptions } from './settings/checked-engine-options.js';
export { settingsOrigin, type SettingsOrigin, type SettingsSources } from './settings/origin.js';

// the study and its phases
export { runStudy, DEFAULT_STUDY_PRESET, HubSettingsError, type RunEvent, type RunResult, type RunStudyOptions } from './study/run/study.js';
export { readRunState, readHubSettings, type RunState, type RunSettings, type PhaseRecord, type ResumedRun } from './study/run/state.js';
export { runSimulation, type PhaseCResult } from './study/simulate/phase.js';
export type { SimulationRunOptions, PhaseCProgress } from './study/simulate/plan.js';
export type { SimulationJobResult } from './study/simulate/job.js';
export type { TotalsStats } from './physics/forward.js';
export { runOverlap, type OverlapSummary } from './study/overlap/phase.js';
export type { OverlapRunOptions, OverlapProgress } from './study/overlap/plan.js';
export type { DoseSummary, ViewSplitSummary } from './study/overlap/job.js';
export type { SelectionStrategy } from './geometry/spacing.js';
export { runReconstruction, type ReconstructionExecution } from './study/reconstruct/phase.js';
export type { ReconstructionRunOptions } from './study/reconstruct/plan.js';
export type { JobFilters } from './study/reconstruct/filters.js';
export type { Split, View } from './study/hub/layout.js';
export type { EngineRunner, EpochProgress } from './study/reconstruct/engine-runner.js';
export type { PhaseFEvent, PhaseFSummary, JobRef } from './study/reconstruct/record.js';
export type {
  Manifest as ReconstructionManifest, SkipSummary, SkipEntry, ExecutionResult,
} from './study/hub/reconstruction-files.js';
export { runComparison, type PhaseGOptions, type PhaseGSummary, type StartedRun } from './study/compare/phase.js';
export type { PhaseGProgress } from './study/compare/job.js';
export type { CompareFilters, ExternalModel } from './study/compare/plan.js';
export { readMetricsSummary, metricValue, type MetricsSummary, type SummaryRowCore, type SkippedJob } from './study/hub/metrics-summary.js';
export type { BrokenFile, DrawnFigure } from './study/report/sections.js';
export type { PanelRecord } from './report/figure.js';
export type { ColormapName } from './report/colormap.js';
export type { Quantity } from './report/quantities.js';
export type { Executor, Phase, PlannedJob, PhaseName } from './study/phase.js';
export { StudyAbortedError } from './study/phase.js';
export { buildReport, type ReportOptions, type ReportProgress, type ReportResult } from './study/report/phase.js';
export { buildReconstructionReport, type ReconstructionReportOptions } from './study/report/reconstruction-report.js';
export { exportPtychodusProduct, type PtychodusExportOptions, type PtychodusExportResult } from './study/export/ptychodus.js';

// one reconstruction, and the engine
export type { LsqmlJobOptions, LsqmlJobResult, JobProgress, ResumedFrom } from './study/reconstruct/lsqml-job.js';
export { runLsqmlJobLocked as runLsqmlJob } from './study/reconstruct/standalone.js';
export {
  runLsqml, LsqmlEngine, type LsqmlInput, type LsqmlResult, type ProbeInput, type LsqmlHooks, type EpochInfo, type MinibatchCapture,
  type MinibatchResult,
} from './engine/lsqml.js';
export { LSQML_STATE_VERSION, type LsqmlState } from './engine/lsqml-state.js';
export type { RngState } from './math/rng.js';
export { syntheticProblem, type SyntheticSpec, type SyntheticProblem } from './engine/synthetic.js';
export type { PatchGeometry } from './engine/patches.js';
export type { JointSystem } from './engine/stepsize.js';
export type { OriginConvention } from './math/positions.js';
export { DEFAULT_LSQML_OPTIONS, type LsqmlOptions, type NoiseModel, type Precision, type OptimizationPlan } from './engine/options.js';

// data readers and writers
export { loadNpz, saveNpz, NpzReader, type NpzReadOptions, type NpzWriteOptions, type NpzMember, type MemberHeader } from './npy/npz.js';
export type { NdArray, ArrayData, NumericData, PyScalar } from './npy/types.js';
export type { DtypeInfo } from './npy/npy.js';
export type { BeforeRename } from './files/atomic.js';
export { loadDataset, saveDataset, validateDataset, type Dataset, type LoadDatasetOptions, type ValidateOptions } from './data/dataset.js';
export { readMetadata, type MetadataResult, type MetadataSource } from './data/metadata.js';
export { readInputData, type InputData, type ReadInputOptions } from './data/input.js';
export { readCxi, type ReadMeasuredOptions } from './data/cxi.js';
export type { MeasuredData, ProbeData, RadiationFrom } from './data/measured.js';
export type { DetectorMask, MaskSource } from './data/hdf5/mask.js';
export type { FramePrep, OrientationName, OrientationSetting } from './data/hdf5/frames.js';
export type { Geometry, Radiation } from './data/geometry.js';
export type { LsqmlJobRequest } from './data/memory.js';

// metrics
export * from './metrics/index.js';
// A script's local runs keep off the roots of queued or running SLURM jobs, as the command line's do (study/slurm/local-guard.ts).
import './study/slurm/local-guard.js';
