/** What the SLURM tests share: whether a cluster takes jobs here, and waiting for a condition. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { after } from 'node:test';
import { InputError } from '../../src/errors.js';
import { saveNpz } from '../../src/npy/npz.js';
import { c64 } from '../../src/npy/types.js';
import { testDirs } from '../tmp.js';

/** Why SLURM tests cannot run here (no sinfo, no answer, no node taking jobs), or null when they can. */
export function noSlurm(): string | null {
  const r = spawnSync('sinfo', ['--noheader', '--format', '%T'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) {
    return (r.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'SLURM is not installed here (no sinfo on PATH; scripts/local-slurm.sh brings up a one-node cluster)'
      : `sinfo did not answer: ${r.error.message}`;
  }
  if (r.status !== 0) return `SLURM does not answer: sinfo: ${(r.stderr || r.stdout).trim()}`;
  if (!/idle|mixed|alloc|completing/.test(r.stdout)) return `no SLURM node takes jobs (sinfo: ${r.stdout.trim() || 'no node'})`;
  return null;
}

/** The final line scripts/local-slurm.sh printed last on this machine (it says whether accounting came up). */
export const LOCAL_SLURM_LAST = '/var/log/slurm/local-slurm.last';

/**
 * Why tests of SLURM's accounting (sacct, with slurmdbd) cannot run here, or null when they can: no cluster
 * (noSlurm), or a sacct that does not answer — named with its own line and scripts/local-slurm.sh's last line.
 */
export function noAccounting(): string | null {
  const slurm = noSlurm();
  if (slurm !== null) return slurm;
  const r = spawnSync('sacct', ['--noheader', '--parsable2', '--allocations', '--jobs', '1', '--format', 'JobID'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error === undefined && r.status === 0) return null;
  let said = '';
  try { said = `; ${readFileSync(LOCAL_SLURM_LAST, 'utf8').trim()}`; } catch { /* the cluster was not brought up by the script */ }
  const why = r.error ? `sacct: ${r.error.message}` : (r.stderr || r.stdout).trim().split('\n').pop() || `sacct: exit status ${r.status}`;
  return `SLURM keeps no accounting here (${why})${said}`;
}

/** The message of the InputError `f` rejects with; fails the test when it resolves or rejects otherwise. */
export async function refusal(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.message;
  }
  assert.fail('expected a refusal');
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `cond` every `pollMs` until it holds; throws naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms: number, pollMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** The jobs this test file submitted itself with `submitOwnJob` (a held job standing for a step, a job to account). */
const ownJobs = new Set<string>();

/**
 * Submits a job with `sbatch --parsable --output /dev/null ARGS` from this process (a held job standing for a step, a
 * job whose accounting a test reads) and returns its id; `endOwnSlurmJobs` cancels it at the end of the file if the test
 * has not.
 */
export function submitOwnJob(args: readonly string[]): string {
  const r = spawnSync('sbatch', ['--parsable', '--output', '/dev/null', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim().split(';')[0]!;
  ownJobs.add(id);
  return id;
}

/**
 * The SLURM jobs of this test file still queued or running, by id (an array's own id for its tasks): those it submitted
 * with `submitOwnJob`, and those whose batch script or working directory lies under a folder it made (`testDirs`: the
 * steps a `ptychostudy` command submitted for a hub or an output root of the test) — never another file's or user's.
 */
function ownJobsQueued(): string[] {
  const r = spawnSync('squeue', ['--noheader', '--format', '%F|%i|%o|%Z'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error !== undefined || r.status !== 0) return [];
  const roots = testDirs().map((d) => d + sep);
  const under = (p: string): boolean => roots.some((root) => p.startsWith(root));
  const ids = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [arrayId, id, command, workdir] = line.split('|');
    if (arrayId === undefined || id === undefined || command === undefined || workdir === undefined) continue;
    const base = id.split('_')[0]!;
    if (ownJobs.has(arrayId) || ownJobs.has(base) || under(resolve(workdir, command)) || under(workdir + sep)) ids.add(arrayId);
  }
  return [...ids];
}

/**
 * Cancels the SLURM jobs of this test file still queued or running (`ownJobsQueued`: by their ids, never `scancel -u`)
 * and waits, at most `ms`, until they have left the queue — so that the file's folders are removed (test/tmp.ts, at
 * exit) only once no task of it writes into them (a finish job still running after `status --wait` returned, a task
 * requeued), and none runs into the next file's time. `leaveNoSlurmJobs` runs it after the file's tests.
 */
export async function endOwnSlurmJobs(ms = 120_000): Promise<void> {
  const ids = ownJobsQueued();
  if (ids.length === 0) return;
  process.stderr.write(`test/slurm: cancelling SLURM jobs ${ids.join(', ')} of this file, still queued or running after its tests\n`);
  spawnSync('scancel', ids, { encoding: 'utf8', timeout: 20_000 });
  const queued = (): boolean => spawnSync('squeue', ['--noheader', '--format', '%i', '--jobs', ids.join(',')], { encoding: 'utf8' }).stdout.trim() !== '';
  await waitFor(`SLURM jobs ${ids.join(', ')} to leave the queue`, () => !queued(), ms, 250);
}

/** For a test file that submits SLURM jobs: ends its own jobs (`endOwnSlurmJobs`) once its tests have run (node:test `after`). */
export function leaveNoSlurmJobs(): void {
  after(() => endOwnSlurmJobs());
}

/** A small base NPZ (objectGuess 64×64, probeGuess 16×16 Gaussian) at `path`: a dose of it simulates in a fraction of a second. */
export function writeSmallBase(path: string): void {
  const object = new Float32Array(2 * 64 * 64);
  for (let i = 0; i < 64 * 64; i++) { object[2 * i] = Math.cos(0.3 * Math.sin(i / 7)); object[2 * i + 1] = Math.sin(0.3 * Math.sin(i / 7)); }
  const probe = new Float32Array(2 * 16 * 16);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) probe[2 * (y * 16 + x)] = Math.exp(-((x - 7.5) ** 2 + (y - 7.5) ** 2) / 18);
  saveNpz(path, { objectGuess: c64([64, 64], object), probeGuess: c64([16, 16], probe) });
}

/** What a `ptychostudy` command run by a test printed, and its exit status. */
export interface CliRun { status: number | null; stdout: string; stderr: string }

/** Runs `ptychostudy ARGS` (dist's CLI) without blocking the event loop, so that a test can watch its files meanwhile. */
export function cliAsync(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [resolve('dist', 'src', 'cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (status) => done({ status, stdout, stderr }));
  });
}
