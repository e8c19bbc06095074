/**
 * ptychostudy as a library (`import … from 'ptychostudy'`): the settings (one schema, presets, settings
 * files), the whole study and its phases, one LSQML reconstruction file to files, the engine, the data
 * readers (NPZ, the dataset contract, `_metadata`, CXI / PtyPy) and the metrics. Everything here is what
 * the command line uses; nothing prints or reads argv.
 */
export { UsageError, InputError, exitCodeFor } from './errors.js';
export { packageVersion } from './version.js';

// settings
export {
  StudySettingsSchema, SimulationSettingsSchema, OverlapSettingsSchema, ReconstructionSettingsSchema, ExecutionSettingsSchema,
  PRESET_NAMES, settingsJsonSchema,
  type StudySettings, type StudySettingsInput, type SimulationSettings, type OverlapSettings, type ReconstructionSettings,
  type ExecutionSettings, type PresetName,
} from './settings/schema.js';
export { parseStudySettings, settingsDefaults, settingsIssues, mergeSettings, SettingsError, type SettingsIssue } from './settings/parse.js';
export { getPreset, type Preset } from './settings/presets.js';
export { readSettingsFile, parseSettingsText, SettingsFileError } from './settings/file.js';
export { settingsTemplate } from './settings/template.js';
export { reconstructionSettingsSha256, settingsDifferences, RESULT_NEUTRAL_SETTINGS, type SettingDifference } from './settings/fingerprint.js';
export { engineOptions } from './settings/engine-options.js';

// the study and its phases
export { runStudy, HubSettingsError, type RunEvent, type RunResult } from './study/run/study.js';
export { readRunState, readHubSettings, type RunState } from './study/run/state.js';
export { runSimulation } from './study/simulate/phase.js';
export { runOverlap } from './study/overlap/phase.js';
export { runReconstruction } from './study/reconstruct/phase.js';
export { runComparison, type PhaseGOptions, type PhaseGSummary } from './study/compare/phase.js';
export { buildReport, type ReportOptions, type ReportProgress, type ReportResult } from './study/report/phase.js';

// one reconstruction, and the engine
export { runLsqmlJob, type LsqmlJobOptions, type LsqmlJobResult, type JobProgress } from './study/reconstruct/lsqml-job.js';
export { runLsqml, LsqmlEngine, type LsqmlInput, type LsqmlResult } from './engine/lsqml.js';
export { DEFAULT_LSQML_OPTIONS, type LsqmlOptions } from './engine/options.js';

// data readers and writers
export { loadNpz, saveNpz, NpzReader } from './npy/npz.js';
export type { NdArray } from './npy/types.js';
export { loadDataset, saveDataset, validateDataset, type Dataset } from './data/dataset.js';
export { readMetadata, type MetadataResult } from './data/metadata.js';
export { readInputData, type InputData } from './data/input.js';
export { readCxi } from './data/cxi.js';

// metrics
export * from './metrics/index.js';
