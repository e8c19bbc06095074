// Jobs in worker threads (study/job-thread.ts): a stop handler, which blocks this thread, lets the jobs under way
// finish their files and counts them, or asks them to stop first (the job's signal in its thread); a caller's signal
// does the same within `stopWaitMs`; a thread whose job failed is ended and its error keeps the error's name. A job that
// ended with its result while this thread blocked is counted until its message is read (`resultsUnread`); a thread ended
// with its job under way has what the job was writing under a temporary name removed once it has stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  endJobsUnderWay, finishJobsUnderWay, IDLE_WORKER_MS, JobError, jobsEnded, resultsUnread, runInThread, stopJobsUnderWay, threadsStarted,
} from '../../src/study/job-thread.js';
import { ownCheckpointTemporaries } from '../../src/study/reconstruct/engine-runner.js';
import { tempNameFor } from '../../src/files/atomic.js';

const FIXTURE = new URL('./job-thread-fixture.js', import.meta.url);
const root = mkdtempSync(join(tmpdir(), 'ptychostudy-job-thread-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('finishJobsUnderWay blocks this thread until the jobs under way in threads have written their files, and jobsEnded counts them', async () => {
  const ended = jobsEnded(FIXTURE);
  const a = join(root, 'a'), b = join(root, 'b');
  const lines: string[] = [];
  const pa = runInThread<string, string>(FIXTURE, { ms: 400, path: a }, (l) => lines.push(l));
  const pb = runInThread<string, string>(FIXTURE, { ms: 600, path: b }, (l) => lines.push(l));
  // this thread reads no message while it waits: the threads write and count by themselves
  assert.equal(finishJobsUnderWay(FIXTURE, 10_000), true);
  assert.ok(existsSync(a) && existsSync(b), 'both jobs wrote their file');
  assert.equal(jobsEnded(FIXTURE) - ended, 2);
  assert.deepEqual(lines, [], 'no message was read while this thread waited');
  assert.deepEqual(await Promise.all([pa, pb]), [a, b]);
  assert.deepEqual(lines.sort(), [`started ${a}`, `started ${b}`]);
  assert.equal(finishJobsUnderWay(FIXTURE, 0), true, 'nothing under way: no wait');
});

test('finishJobsUnderWay gives up after its timeout when a job is still under way', async () => {
  const c = join(root, 'c');
  const p = runInThread<string, string>(FIXTURE, { ms: 1500, path: c }, () => {});
  assert.equal(finishJobsUnderWay(FIXTURE, 100), false);
  assert.ok(!existsSync(c), 'the job had not finished');
  assert.equal(await p, c);
});

test('a job that fails rejects with its error\'s name and message, and its thread is ended: the next job starts a new one', async () => {
  await new Promise((done) => setTimeout(done, IDLE_WORKER_MS + 300)); // the earlier tests' idle threads have ended
  await runInThread<string, string>(FIXTURE, { ms: 0, path: join(root, 'd') }, () => {}); // leaves one idle thread
  const started = threadsStarted(FIXTURE);
  await assert.rejects(runInThread(FIXTURE, { ms: 0, path: join(root, 'e'), fail: true }, () => {}),
    (e: unknown) => e instanceof JobError && e.kind === 'InputError' && /key 'x': expected a number/.test(e.message));
  assert.equal(threadsStarted(FIXTURE), started, 'the failed job ran in the idle thread');
  await runInThread<string, string>(FIXTURE, { ms: 0, path: join(root, 'f') }, () => {});
  assert.equal(threadsStarted(FIXTURE) - started, 1, 'a new thread after the failed job');
});

test('stopJobsUnderWay aborts the signal of each job under way in its thread and blocks until they have ended', async () => {
  const g = join(root, 'g'), h = join(root, 'h');
  const pg = runInThread<string, string>(FIXTURE, { ms: 30_000, path: g, untilStopped: true }, () => {});
  const ph = runInThread<string, string>(FIXTURE, { ms: 30_000, path: h, untilStopped: true }, () => {});
  await new Promise((done) => setTimeout(done, 300)); // both threads have started their job
  const t0 = Date.now();
  assert.equal(stopJobsUnderWay(FIXTURE, 'SIGTERM', 10_000), true);
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(readFileSync(g, 'utf8'), 'stopped by SIGTERM');
  assert.equal(readFileSync(h, 'utf8'), 'stopped by SIGTERM');
  assert.deepEqual(await Promise.all([pg, ph]), [g, h]);
  assert.equal(stopJobsUnderWay(FIXTURE, 'SIGTERM', 0), true, 'nothing under way: no wait');
});

test('a caller\'s signal with stopWaitMs asks the job to stop and settles with what it reports; without, the thread is ended at once', async () => {
  const i = join(root, 'i'), j = join(root, 'j');
  const stop = new AbortController();
  const pi = runInThread<string, string>(FIXTURE, { ms: 30_000, path: i, untilStopped: true }, () => {}, stop.signal, 10_000);
  const plain = new AbortController();
  const pj = runInThread<string, string>(FIXTURE, { ms: 1000, path: j, untilStopped: true }, () => {}, plain.signal);
  await new Promise((done) => setTimeout(done, 300));
  stop.abort('SIGINT');
  plain.abort('SIGINT');
  const ended = assert.rejects(pj, (e: unknown) => e instanceof JobError && e.message === 'stopped by its signal');
  assert.equal(await pi, i);
  assert.equal(readFileSync(i, 'utf8'), 'stopped by SIGINT');
  await ended;
  await new Promise((done) => setTimeout(done, 1200));
  assert.ok(!existsSync(j), 'the thread was ended before its job wrote anything');
});

test('a job still under way stopWaitMs after its signal is ended with its thread', async () => {
  const k = join(root, 'k');
  const stop = new AbortController();
  const pk = runInThread<string, string>(FIXTURE, { ms: 1500, path: k }, () => {}, stop.signal, 200); // does not watch its signal
  await new Promise((done) => setTimeout(done, 300));
  stop.abort('SIGTERM');
  await assert.rejects(pk, (e: unknown) => e instanceof JobError && e.message === 'stopped by its signal');
  await new Promise((done) => setTimeout(done, 1500));
  assert.ok(!existsSync(k), 'ended before it wrote its file');
});

test('a job that ended with its result while this thread blocked is counted by resultsUnread until its message is read; a failed one is not', async () => {
  const l = join(root, 'l'), m = join(root, 'm');
  const pl = runInThread<string, string>(FIXTURE, { ms: 200, path: l }, () => {});
  const pm = runInThread<string, string>(FIXTURE, { ms: 200, path: m, fail: true }, () => {});
  const failed = assert.rejects(pm, JobError);
  assert.equal(finishJobsUnderWay(FIXTURE, 10_000), true);
  assert.equal(resultsUnread(FIXTURE), 1, 'the result of one job waits to be read; the failure is none');
  assert.equal(await pl, l);
  await failed;
  assert.equal(resultsUnread(FIXTURE), 0);
});

/** Waits until `path` exists (the job under way in its thread has begun its write). */
async function appears(path: string): Promise<void> {
  for (let i = 0; i < 1000 && !existsSync(path); i++) await new Promise((done) => setTimeout(done, 10));
  assert.ok(existsSync(path), `${path} was written`);
}

test('a thread ended stopWaitMs after its signal, its job in the middle of a write, has the job\'s temporary removed before the call rejects', async () => {
  const n = join(root, 'n'), temporary = join(root, '.tmp-n.half');
  const stop = new AbortController();
  const pn = runInThread<string, string>(FIXTURE, { ms: 3000, path: n, temporary }, () => {}, stop.signal, 200, () => rmSync(temporary, { force: true }));
  await appears(temporary);
  stop.abort('SIGTERM');
  await assert.rejects(pn, (e: unknown) => e instanceof JobError && e.message === 'stopped by its signal');
  assert.equal(existsSync(temporary), false, 'the temporary of the ended job is removed');
  await new Promise((done) => setTimeout(done, 3200));
  assert.equal(existsSync(n), false, 'the thread had stopped: its job wrote nothing after');
  assert.equal(existsSync(temporary), false);
});

test('endJobsUnderWay, after a stop handler\'s wait ran out, ends the threads whose job is still under way and removes their temporaries', async () => {
  const o = join(root, 'o'), temporary = join(root, '.tmp-o.half');
  void runInThread<string, string>(FIXTURE, { ms: 3000, path: o, temporary }, () => {}, undefined, 0, () => rmSync(temporary, { force: true }));
  await appears(temporary);
  assert.equal(stopJobsUnderWay(FIXTURE, 'SIGTERM', 100), false, 'the job does not see the stop');
  await endJobsUnderWay(FIXTURE);
  assert.equal(existsSync(temporary), false, 'the temporary of the ended job is removed once its thread has stopped');
  await new Promise((done) => setTimeout(done, 3200));
  assert.equal(existsSync(o), false, 'the thread had stopped: its job wrote nothing after');
  assert.equal(finishJobsUnderWay(FIXTURE, 0), true, 'nothing under way');
});

test('a Phase F job\'s own checkpoint temporaries are the files this process names after its checkpoint; another process\'s stay', () => {
  const checkpoint = join(root, 'lsqml-checkpoint.npz');
  const mine = tempNameFor(checkpoint);
  const other = join(root, `.tmp-lsqml-checkpoint.npz.${process.pid + 1}.abcd1234`);
  for (const p of [mine, other, checkpoint]) writeFileSync(p, 'x');
  ownCheckpointTemporaries(checkpoint)();
  assert.deepEqual([mine, other, checkpoint].map(existsSync), [false, true, true]);
});
