/**
 * The engine flags both commands that reconstruct take (`lsqml`: one dataset; `reconstruct`: every job of
 * Phase F), one for each setting of the `reconstruction` group they share (src/settings/schema.ts). Each command
 * words their help for what it runs and puts their values into its settings itself; `lsqml` adds its own
 * (`--threads`, `--precision`, the old `--num-epochs`).
 */

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
}

/** The flag of each of those settings (library messages name settings in backticks; commands show flags). */
export const ENGINE_FLAGS: Record<string, string> = {
  'reconstruction.epochs': '--epochs', 'reconstruction.batchSize': '--batch-size', 'reconstruction.noiseModel': '--noise-model',
  'reconstruction.modes': '--modes', 'reconstruction.nImages': '--n-images', 'reconstruction.seed': '--seed',
  'reconstruction.initObject': '--init-object', 'reconstruction.initProbe': '--init-probe', 'reconstruction.probeModel': '--probe-model',
  'reconstruction.detectorMask': '--no-detector-mask', 'reconstruction.radiation': '--radiation',
};
