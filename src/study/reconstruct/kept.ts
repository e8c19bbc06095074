/**
 * Whether the reconstruction a directory holds already is the one asked now (`ptychostudy lsqml --keep-same`, which
 * examples/slurm-scans.sh uses to skip a finished scan): made of the same input (its size and SHA-256, as its
 * `_metadata.input` records them) with the same reconstruction settings (`_metadata.settings_sha256`, every setting
 * but the thread count). The same: it is kept, and said so. Another input or other settings: refused, naming what
 * differs, so that a run with changed settings never passes off the earlier result as its own. A reconstruction
 * whose `_metadata` cannot be read, or records neither, is refused too (never taken for the one asked).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readMetadata, requireReadableMetadata } from '../../data/metadata.js';
import { InputError, UsageError } from '../../errors.js';
import { fingerprintSync } from '../../files/fingerprint.js';
import { reconstructionSettingsSha256, settingsDifferences } from '../../settings/fingerprint.js';
import { PHASE_F } from '../hub/layout.js';
import { checkJobOptions, startFilesByName, type LsqmlJobOptions } from './lsqml-job.js';

/** At most this many differing settings are named in a refusal (then "and N more"). */
const NAMED_DIFFERENCES = 6;

const shown = (v: unknown): string => (v === undefined ? '(not recorded)' : JSON.stringify(v));

/**
 * `job.outputDir`'s reconstruction.npz when it was made of `job`'s input with `job`'s settings (its path); null when
 * the directory holds none. Throws a UsageError naming the differences when it was made otherwise, an InputError
 * when its `_metadata` cannot be read or does not record them.
 */
export function keptReconstruction(job: LsqmlJobOptions): { path: string } | null {
  const { opts, inputPath } = checkJobOptions(job);
  const path = join(resolve(job.outputDir), PHASE_F.reconstruction);
  if (!existsSync(path)) return null;
  const meta = requireReadableMetadata(readMetadata(path), path);
  const recorded = meta?.['reconstruction_settings'];
  const sha = meta?.['settings_sha256'];
  const input = meta?.['input'] as { size_bytes?: unknown; sha256?: unknown; file?: unknown } | undefined;
  if (meta === undefined || typeof sha !== 'string' || recorded === null || typeof recorded !== 'object' || input === null || typeof input !== 'object') {
    throw new InputError(`${path}: key '_metadata': expected the input and reconstruction settings it was made with (input, reconstruction_settings, ` +
      `settings_sha256), to tell whether it is the reconstruction asked now; found ${meta === undefined ? 'no _metadata' : 'them missing'}`);
  }
  const asked = startFilesByName(opts);
  const differs: string[] = [];
  const fp = fingerprintSync(inputPath);
  if (input.size_bytes !== fp.size || input.sha256 !== fp.sha256) {
    differs.push(`the input: ${String(input.file)} of ${String(input.size_bytes)} bytes, SHA-256 ${String(input.sha256).slice(0, 12)}…; ` +
      `now ${inputPath} of ${fp.size} bytes, SHA-256 ${fp.sha256.slice(0, 12)}…`);
  }
  if (sha !== reconstructionSettingsSha256(asked)) {
    const { threads: _threads, ...now } = asked;
    const d = settingsDifferences(recorded, now);
    const named = d.slice(0, NAMED_DIFFERENCES).map((x) => `reconstruction.${x.setting} ${shown(x.was)}, now ${shown(x.now)}`);
    if (d.length > NAMED_DIFFERENCES) named.push(`and ${d.length - NAMED_DIFFERENCES} more`);
    differs.push(named.length > 0 ? named.join('; ') : 'the settings (their hash differs; no one setting does: made by another version)');
  }
  if (differs.length > 0) {
    throw new UsageError(`${path}: expected a reconstruction of ${inputPath} with the settings asked now, to keep it; found one made with ` +
      `${differs.join('; ')}. It is kept as it is: --overwrite reconstructs it again (its files move to history/), or give another --out`);
  }
  return { path };
}
