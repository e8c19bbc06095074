/**
 * An LSQML checkpoint file: the engine's state after some epochs (engine/lsqml-state.ts) with what decides the run
 * it belongs to, so that a stopped reconstruction continues from it with the bytes of an uninterrupted one.
 *
 * An NPZ (stored, not deflated: written every few epochs, read once), each member a NumPy array:
 *   object c8|c16 [H, W], probe c8|c16 [M, N, N]   the engine's own values (c8 when it computes in float32)
 *   preconditioner f8 [H, W], poisson_step_state f8 [n], loss_history f8 [k], epoch_seconds f8 [k]
 *   rng f8 [2, 6]        the minibatch order's stream, then the Poisson step noise's: 4 state words, spare, hasSpare
 *   _metadata            JSON: format, format_version, epochs_done k, precision, rising_since, warnings, and `run`
 *                        (runIdentity: the tool's version, the input's and start files' size and SHA-256, every
 *                        setting and engine option but the epoch count and the thread count) with its SHA-256.
 * Written atomically (saveNpz: a temporary name, then a rename). Reading refuses, in one line naming the file, the
 * key, what was expected and what was found (an InputError, exit code 2): a file that is not such an NPZ (truncated,
 * corrupt: the members' CRC-32 is checked), one of a newer format, one of another run, one whose arrays do not fit
 * this run or hold a NaN or an infinity (the engine writes none); every member's size is checked against this run's
 * before it is read.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../errors.js';
import { shownJson } from '../../text.js';
import { MAX_METADATA_BYTES, metadataArray, readMetadata } from '../../data/metadata.js';
import { formatShape } from '../../npy/npy.js';
import { NpzReader, saveNpz } from '../../npy/npz.js';
import { c128, c64, f64, type NdArray } from '../../npy/types.js';
import { stableJson } from '../../settings/fingerprint.js';
import { LSQML_STATE_VERSION, type LsqmlState } from '../../engine/lsqml-state.js';
import type { RngState } from '../../math/rng.js';

export const CHECKPOINT_FORMAT = 'ptychostudy-lsqml-checkpoint';
/** The layout this version writes and reads; a file of a later one is refused. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/**
 * A whole checkpoint that belongs to another run: another input, start file, setting or tool version, or more epochs
 * done than this run asks for. Its file is sound (unlike one that cannot be read), so a caller may keep it aside and
 * start over (Phase F does; `lsqml` refuses it).
 */
export class CheckpointOfAnotherRun extends InputError {}

/** What decides a run's result, compared key by key with a checkpoint's (plain JSON values). */
export type RunIdentity = Record<string, unknown>;

/** The sizes of this run: every array a checkpoint of it holds is checked against them before it is read. */
export interface CheckpointShape { n: number; N: number; M: number; H: number; W: number }

/** SHA-256 of a run's identity (its stable JSON). */
export function runSha256(run: RunIdentity): string {
  return createHash('sha256').update(stableJson(run)).digest('hex');
}

const rngRow = (s: RngState): number[] => [...s.words, s.spare, s.hasSpare ? 1 : 0];

/** Writes `state` of the run `run` (which asks for `epochs` epochs) to `path`, atomically. */
export function writeCheckpoint(path: string, state: LsqmlState, run: RunIdentity, epochs: number, shape: CheckpointShape): void {
  const { N, M, H, W, n } = shape;
  const complex = (dims: number[], a: Float32Array | Float64Array): NdArray => (a instanceof Float32Array ? c64(dims, a) : c128(dims, a));
  const k = state.epochsDone;
  saveNpz(path, {
    object: complex([H, W], state.object),
    probe: complex([M, N, N], state.probe),
    ...(state.preconditioner ? { preconditioner: f64([H, W], state.preconditioner) } : {}),
    poisson_step_state: f64([n], state.poissonStepState),
    loss_history: f64([k], Float64Array.from(state.lossHistory)),
    epoch_seconds: f64([k], Float64Array.from(state.epochSeconds)),
    rng: f64([2, 6], Float64Array.from([...rngRow(state.batchRng), ...rngRow(state.noiseRng)])),
    _metadata: metadataArray({
      format: CHECKPOINT_FORMAT, format_version: CHECKPOINT_FORMAT_VERSION, state_version: state.version,
      epochs_done: k, epochs, precision: state.precision, rising_since: state.risingSince, warnings: state.warnings,
      run, run_sha256: runSha256(run),
    }),
  }, { compress: false });
}

/**
 * The state a checkpoint of this run holds (see the module comment for what is refused). `epochs` is the epoch
 * count asked for now: a checkpoint past it is refused (the run cannot end before where it stands).
 */
export function readCheckpoint(path: string, run: RunIdentity, shape: CheckpointShape, epochs: number): LsqmlState {
  const refuse = (key: string, expected: string, found: string, another = false): never => {
    const message = `${path}: key '${key}': expected ${expected}; found ${found}`;
    throw another ? new CheckpointOfAnotherRun(message) : new InputError(message);
  };
  const { N, M, H, W, n } = shape;
  // the largest member this run's checkpoint holds: a complex128 object or probe, or the metadata
  const bound = Math.max(16 * H * W, 16 * M * N * N, 8 * n, 8 * epochs, 96, MAX_METADATA_BYTES) + 4096;
  let reader: NpzReader;
  try {
    reader = NpzReader.open(path, { maxMemberBytes: bound });
  } catch (err) {
    throw new InputError(`${path}: expected an LSQML checkpoint (an NPZ this tool wrote); found ${unprefixed(err, path)}`);
  }
  try {
    const md = readMetadata(reader);
    if (md.status !== 'ok') refuse('_metadata', `the checkpoint's JSON (${CHECKPOINT_FORMAT})`, md.status === 'absent' ? 'no such key' : unprefixed(md.error, path));
    const meta = (md as { value: Record<string, unknown> }).value;
    if (meta.format !== CHECKPOINT_FORMAT) refuse('_metadata.format', shownJson(CHECKPOINT_FORMAT), shownJson(meta.format));
    const version = meta.format_version;
    if (version !== CHECKPOINT_FORMAT_VERSION) {
      const newer = typeof version === 'number' && version > CHECKPOINT_FORMAT_VERSION ? ' (written by a newer ptychostudy)' : '';
      refuse('_metadata.format_version', `${CHECKPOINT_FORMAT_VERSION} (the format this ptychostudy reads)`, `${shownJson(version)}${newer}`);
    }
    if (meta.state_version !== LSQML_STATE_VERSION) refuse('_metadata.state_version', String(LSQML_STATE_VERSION), shownJson(meta.state_version));
    const theirs = meta.run !== null && typeof meta.run === 'object' && !Array.isArray(meta.run) ? meta.run as Record<string, unknown> : null;
    if (theirs === null) refuse('_metadata.run', 'an object (what decides the run)', shownJson(meta.run));
    const differs = firstDifference(run, theirs!, '_metadata.run');
    if (differs !== null) refuse(differs.key, `${shownJson(differs.ours, 200)} (this run)`, `${shownJson(differs.theirs, 200)}: a checkpoint of another run`, true);
    if (meta.run_sha256 !== runSha256(theirs!)) refuse('_metadata.run_sha256', `the SHA-256 of _metadata.run, ${runSha256(theirs!)}`, shownJson(meta.run_sha256));
    const k = meta.epochs_done;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > epochs) {
      refuse('_metadata.epochs_done', `an epoch count from 1 to ${epochs} (the epochs asked for: more would continue it)`, shownJson(k),
        typeof k === 'number' && Number.isInteger(k) && k > epochs);
    }
    const precision = meta.precision;
    if (precision !== 'float32' && precision !== 'float64') refuse('_metadata.precision', "'float32' or 'float64'", shownJson(precision));
    const rising = meta.rising_since;
    if (typeof rising !== 'number' || !Number.isInteger(rising) || rising < -1 || rising >= (k as number)) refuse('_metadata.rising_since', `−1 or an epoch below ${k}`, shownJson(rising));
    const warnings = meta.warnings;
    if (!Array.isArray(warnings) || !warnings.every((w) => typeof w === 'string')) refuse('_metadata.warnings', 'a list of strings', shownJson(warnings));
    const cdtype = precision === 'float32' ? '<c8' : '<c16';
    const member = (key: string, dtype: string, dims: number[]): NdArray => {
      if (!reader.has(key)) refuse(key, `${dtype} ${formatShape(dims)}`, 'no such key');
      let arr: NdArray;
      try {
        const h = reader.header(key);
        if (h.info.dtype !== dtype || h.fortranOrder || formatShape(h.shape) !== formatShape(dims)) {
          refuse(key, `${dtype} ${formatShape(dims)}`, `${h.info.dtype} ${formatShape(h.shape)}${h.fortranOrder ? ' (Fortran order)' : ''}`);
        }
        arr = reader.get(key);
      } catch (err) {
        if (err instanceof InputError) throw err;
        return refuse(key, `${dtype} ${formatShape(dims)}`, unprefixed(err, path));
      }
      return arr;
    };
    const doubles = (key: string, dims: number[]): Float64Array => member(key, '<f8', dims).data as Float64Array;
    // the engine writes finite values only (a NaN or an infinity would have stopped the run as diverged): one read here
    // would make the continued run diverge at once, a bad file reported as a failed reconstruction
    const finiteValues = <T extends Float32Array | Float64Array>(key: string, a: T, complex = false): T => {
      const i = a.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) refuse(key, 'finite values', complex ? `${a[i]} in element ${i >> 1} (its ${i % 2 === 0 ? 'real' : 'imaginary'} part)` : `${a[i]} at element ${i}`);
      return a;
    };
    const kk = k as number;
    const object = finiteValues('object', member('object', cdtype, [H, W]).data as Float32Array | Float64Array, true);
    const probe = finiteValues('probe', member('probe', cdtype, [M, N, N]).data as Float32Array | Float64Array, true);
    const rng = doubles('rng', [2, 6]);
    const stream = (row: number): RngState => {
      const r = Array.from(rng.subarray(6 * row, 6 * row + 6));
      const words = r.slice(0, 4);
      if (!words.every((w) => Number.isInteger(w) && w >= -0x80000000 && w <= 0x7fffffff) || (r[5] !== 0 && r[5] !== 1) || !Number.isFinite(r[4])) {
        refuse('rng', `row ${row}: four signed 32-bit words, a finite spare and 0 or 1`, `[${r.join(', ')}]`);
      }
      return { words: words as [number, number, number, number], spare: r[4]!, hasSpare: r[5] === 1 };
    };
    const finite = (key: string, a: Float64Array): number[] => Array.from(finiteValues(key, a));
    return {
      version: LSQML_STATE_VERSION, epochsDone: kk, precision: precision as LsqmlState['precision'], object, probe,
      preconditioner: finiteValues('preconditioner', doubles('preconditioner', [H, W])), poissonStepState: finiteValues('poisson_step_state', doubles('poisson_step_state', [n])),
      batchRng: stream(0), noiseRng: stream(1),
      lossHistory: finite('loss_history', doubles('loss_history', [kk])), epochSeconds: finite('epoch_seconds', doubles('epoch_seconds', [kk])),
      risingSince: rising as number, warnings: warnings as string[],
    };
  } finally {
    reader.close();
  }
}

/** The first key (sorted, depth first) whose value differs between two identities, or null when none does. */
function firstDifference(ours: unknown, theirs: unknown, key: string): { key: string; ours: unknown; theirs: unknown } | null {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(ours) && isObject(theirs)) {
    for (const k of [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort()) {
      const d = firstDifference(ours[k] ?? null, theirs[k] ?? null, `${key}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return stableJson(ours) === stableJson(theirs) ? null : { key, ours, theirs };
}

/** An error's message without a leading `path: ` (the refusal names the file once). */
function unprefixed(err: unknown, path: string): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.startsWith(`${path}: `) ? m.slice(path.length + 2) : m;
}
