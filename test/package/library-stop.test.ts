/**
 * Stopping a study from a script: an aborted `signal` of `runStudy` or of a phase's entry point stops the work as
 * Ctrl-C stops the command line's — what finished is kept and recorded, the locks are released, Phase F's worker
 * threads are ended, run.json says 'interrupted' — and rejects with StudyAbortedError; the same call again continues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockHolder } from '../../src/files/lock.js';
import {
  buildReport, exitCodeFor, LsqmlAbortedError, parseStudySettings, runComparison, runSimulation, runStudy, StudyAbortedError, UsageError, type RunEvent,
} from '../../src/index.js';
import { tempDir } from '../tmp.js';

const settings = parseStudySettings({
  preset: 'quick', simulation: { doses: [1e4], nImages: 24 }, reconstruction: { epochs: 2 }, execution: { jobs: 2 },
});

/** The lock files under `dir` (none is left by a stopped run). */
function locks(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /(^|\/)\.[\w-]+\.lock$/.test(f));
}

const runJson = (hub: string): { status: string; phases: Record<string, { status: string }> } =>
  JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { status: string; phases: Record<string, { status: string }> };

/** Runs the study into `hub`, aborting on the first event `when` matches; returns what it rejected with. */
async function stoppedAt(hub: string, when: (e: RunEvent) => boolean): Promise<StudyAbortedError> {
  const stop = new AbortController();
  let error: unknown = null;
  try {
    await runStudy(hub, settings, (e) => { if (!stop.signal.aborted && when(e)) stop.abort(new Error('enough')); }, { signal: stop.signal });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof StudyAbortedError, `expected a StudyAbortedError, got ${String(error)}`);
  assert.equal(error.code, 'ABORT_ERR');
  assert.equal(exitCodeFor(error), 130, 'as the command line stopped by Ctrl-C');
  assert.equal((error.cause as Error).message, 'enough');
  assert.deepEqual(locks(hub), [], 'every lock is released');
  assert.equal(runJson(hub).status, 'interrupted');
  assert.equal(runJson(hub).phases[error.phase]!.status, 'running', 'the phase under way is recorded as Ctrl-C leaves it');
  return error;
}

/** The hub of the first test, stopped in each phase; the later tests finish it. */
const hub = join(tempDir('lib-stop'), 'hub');

test('runStudy: an aborted signal stops each phase as Ctrl-C does (records kept, locks released, run.json interrupted); runStudy again continues it', async () => {
  // Phase F: stopped in its first epoch; its worker threads are ended and no job is recorded as failed
  const f = await stoppedAt(hub, (e) => e.type === 'reconstruct' && e.event.type === 'epoch');
  assert.equal(f.phase, 'reconstruct');
  assert.deepEqual(f.completedPhases, ['design', 'generate', 'overlap']);
  assert.ok(f.finishedJobs.length < 4, f.message);
  const manifest = join(hub, 'phase_f', 'reconstruction_manifest.json');
  const results = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { execution_results: { status: string }[] }).execution_results : [];
  assert.deepEqual(results.map((r) => r.status), f.finishedJobs.map(() => 'success'), 'a stopped job is not recorded (as failed or otherwise)');
  // Phase G: stopped after its first job; the run folder it reserved is not left empty
  const g = await stoppedAt(hub, (e) => e.type === 'compare' && e.progress.kind === 'job');
  assert.equal(g.phase, 'compare');
  assert.deepEqual(g.completedPhases, ['design', 'generate', 'overlap', 'reconstruct']);
  const runs = join(hub, 'phase_g', 'runs');
  for (const r of existsSync(runs) ? readdirSync(runs) : []) assert.notDeepEqual(readdirSync(join(runs, r)), [], `${r} is an empty run folder`);
  const fRecord = JSON.parse(readFileSync(manifest, 'utf8')) as { execution_results: { status: string }[] };
  assert.ok(fRecord.execution_results.length > 0 && fRecord.execution_results.every((r) => r.status === 'success'), 'the resume finished Phase F, no job failed');
  // the report on its own: stopped after its first section, nothing of it written, the lock released
  const stop = new AbortController();
  const sections: string[] = [];
  await assert.rejects(buildReport(hub, { signal: stop.signal, onProgress: (p) => { sections.push(p.section); stop.abort(new Error('enough')); } }), (e: unknown) => {
    assert.ok(e instanceof StudyAbortedError, String(e));
    assert.equal(e.phase, 'report');
    assert.equal(sections.length, 1, 'no section is built after the abort');
    return true;
  });
  assert.ok(!existsSync(join(hub, 'report', 'index.html')));
  if (existsSync(join(hub, 'report'))) assert.deepEqual(readdirSync(join(hub, 'report')).filter((n) => n.startsWith('.tmp')), []);
  assert.deepEqual(locks(hub), []);
  // a signal aborted before the call: nothing runs, nothing changes
  const before = readFileSync(join(hub, 'run.json'), 'utf8');
  await assert.rejects(runStudy(hub, undefined, undefined, { signal: AbortSignal.abort() }), StudyAbortedError);
  assert.equal(readFileSync(join(hub, 'run.json'), 'utf8'), before);
  await assert.rejects(runStudy(hub, undefined, undefined, { signal: 'stop' as never }), UsageError);
  await assert.rejects(runStudy(hub, undefined, undefined, { sigal: 1 } as never), /runStudy: option `sigal`: expected no such option/);
});

test('runSimulation: an aborted signal stops it after the dose under way, which is recorded; the lock is released', async () => {
  const root = join(tempDir('lib-stop-c'), 'c');
  const stop = new AbortController();
  const s = parseStudySettings({ preset: 'quick', simulation: { doses: [1e3, 1e4], nImages: 24 } });
  await assert.rejects(runSimulation(s, { outputRoot: root, signal: stop.signal }, (p) => {
    if (p.stage === 'write' && p.dose === 1e3 && p.file!.endsWith('patched_test.npz')) stop.abort(); // the first dose's last file
  }), (e: unknown) => {
    assert.ok(e instanceof StudyAbortedError, String(e));
    assert.equal(e.phase, 'generate');
    assert.equal(e.finishedJobs.length, 1);
    assert.deepEqual(e.completedPhases, []);
    return true;
  });
  assert.deepEqual(locks(root), []);
  const manifest = JSON.parse(readFileSync(join(root, 'run_manifest.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(manifest).filter((k) => k.startsWith('dose_')), ['dose_1000']);
  // as Ctrl-C's message says: finished with --overwrite (`overwrite`)
  const r = await runSimulation(s, { outputRoot: root, overwrite: true });
  assert.deepEqual(r.doses.map((d) => d.dose), [1e3, 1e4]);
});

/** Every file under `dir` but the locks, with its size and modification time (what a run that writes nothing leaves as it was). */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile() && !/(^|\/)\.[\w-]+\.lock$/.test(f)) out.set(f, `${st.size} ${st.mtimeMs}`);
  }
  return out;
}

/** A process that holds the lock at `path` until it is killed; resolves once it holds it. */
async function holder(path: string): Promise<ChildProcess> {
  const lockJs = fileURLToPath(new URL('../../src/files/lock.js', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `import { tryLock } from ${JSON.stringify(lockJs)}; tryLock(${JSON.stringify(path)}, 'compare run', 'output root'); ` +
    `console.log('held'); setTimeout(() => {}, 120000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((held, failed) => {
    child.stdout!.on('data', () => held());
    child.on('exit', (code) => failed(new Error(`the lock holder ended (${code})`)));
  });
  return child;
}

test('a signal aborted while runStudy, runComparison or buildReport waits for another process\'s lock ends the wait at once with StudyAbortedError; nothing is written', { timeout: 120_000 }, async () => {
  // the first test's hub, with Phase G recorded complete (as a finished compare records it; its files are not read before
  // the lock is taken, and comparing the rest of its jobs here would only add time)
  const record = JSON.parse(readFileSync(join(hub, 'run.json'), 'utf8')) as { phases: Record<string, unknown> };
  assert.equal((record.phases['reconstruct'] as { status: string }).status, 'complete');
  record.phases['compare'] = { status: 'complete', started: '2026-12-06T12:00:00Z', finished: '2026-12-06T12:00:01Z', detail: 'every job compared' };
  writeFileSync(join(hub, 'run.json'), JSON.stringify(record, null, 2) + '\n');
  const lock = join(hub, 'phase_g', '.compare.lock');
  const child = await holder(lock);
  try {
    const before = files(hub);
    const stop = new AbortController();
    // a finished hub's resume reads Phase G under its lock, waiting (up to 10 minutes) while a `compare` holds it
    const resumed = runStudy(hub, undefined, (e) => {
      if (e.type === 'phase-skip' && e.phase === 'reconstruct') setTimeout(() => stop.abort(new Error('enough')), 200);
    }, { signal: stop.signal });
    await assert.rejects(resumed, (e: unknown) => {
      assert.ok(e instanceof StudyAbortedError, String(e));
      assert.equal(e.phase, 'compare');
      assert.deepEqual(e.finishedJobs, []);
      assert.deepEqual(e.completedPhases, ['design', 'generate', 'overlap', 'reconstruct', 'compare']);
      assert.equal((e.cause as Error).message, 'enough');
      return true;
    });
    assert.equal(lockHolder(lock)?.record?.pid, child.pid, 'it stopped while the other process still held the lock');
    assert.deepEqual(locks(hub), ['phase_g/.compare.lock'], 'no lock of its own is left');
    assert.deepEqual(files(hub), before, 'nothing was written');
    // a compare of one job, stopped while it waits to merge: its rows stay in its snapshot, the summary is untouched
    const g = join(hub, 'phase_g');
    const summary = existsSync(join(g, 'metrics_summary.json')) ? readFileSync(join(g, 'metrics_summary.json'), 'utf8') : null;
    const runsBefore = existsSync(join(g, 'runs')) ? readdirSync(join(g, 'runs')) : [];
    const stopMerge = new AbortController();
    const compared = runComparison({ phaseCRoot: join(hub, 'phase_c'), phaseDRoot: join(hub, 'phase_d'), phaseFRoot: join(hub, 'phase_f'), outputRoot: g,
      dose: 1e4, view: 'dense', split: 'train', figures: false, charts: false, signal: stopMerge.signal });
    const snapshotWritten = (): boolean => existsSync(join(g, 'runs')) && readdirSync(join(g, 'runs')).some((r) => !runsBefore.includes(r) && existsSync(join(g, 'runs', r, 'metrics_summary.json')));
    const watch = setInterval(() => { if (snapshotWritten()) { clearInterval(watch); stopMerge.abort(new Error('enough')); } }, 20);
    await assert.rejects(compared, (e: unknown) => {
      assert.ok(e instanceof StudyAbortedError, String(e));
      assert.equal(e.phase, 'compare');
      assert.deepEqual(e.finishedJobs, ['dose_10000/dense/train']);
      return true;
    });
    clearInterval(watch);
    assert.ok(snapshotWritten(), 'its rows are kept in its snapshot');
    assert.equal(existsSync(join(g, 'metrics_summary.json')) ? readFileSync(join(g, 'metrics_summary.json'), 'utf8') : null, summary, 'the summary is not merged into');
    assert.equal(lockHolder(lock)?.record?.pid, child.pid);
    assert.deepEqual(locks(hub), ['phase_g/.compare.lock']);
    // the report waits for another build the same way
    const report = join(hub, 'report', '.report.lock');
    const other = await holder(report);
    const beforeReport = files(hub);
    try {
      const stopReport = new AbortController();
      setTimeout(() => stopReport.abort(new Error('enough')), 200);
      await assert.rejects(buildReport(hub, { signal: stopReport.signal }), (e: unknown) => e instanceof StudyAbortedError && e.phase === 'report');
      assert.equal(lockHolder(report)?.record?.pid, other.pid);
      assert.deepEqual(files(hub), beforeReport, 'nothing was written');
    } finally {
      other.kill('SIGKILL');
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('a stopped study or reconstruction has the exit code of the command line stopped by a signal: 130, or 143 / 129 for a reason SIGTERM / SIGHUP', () => {
  for (const make of [(r: unknown) => new StudyAbortedError('reconstruct', [], r), (r: unknown) => new LsqmlAbortedError(3, 50, [1, 2, 3], r)]) {
    assert.equal(exitCodeFor(make(new Error('enough'))), 130);
    assert.equal(exitCodeFor(make(new DOMException('timed out', 'TimeoutError'))), 130);
    assert.equal(exitCodeFor(make('SIGINT')), 130);
    assert.equal(exitCodeFor(make('SIGTERM')), 143);
    assert.equal(exitCodeFor(make('SIGHUP')), 129);
    assert.equal(make('SIGTERM').exitCode, 143);
  }
});
