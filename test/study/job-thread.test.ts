// Jobs in worker threads (study/job-thread.ts): a stop handler, which blocks this thread, lets the jobs under way
// finish their files and counts them, or asks them to stop first (the job's signal in its thread); a caller's signal
// does the same within `stopWaitMs`; a thread whose job failed is ended and its error keeps the error's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishJobsUnderWay, IDLE_WORKER_MS, JobError, jobsEnded, runInThread, stopJobsUnderWay, threadsStarted } from '../../src/study/job-thread.js';

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
