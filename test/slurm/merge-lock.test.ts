/**
 * The merge lock under contention, across processes: many processes that read, change and rewrite one
 * record at the same instant (what array tasks finishing together do to a manifest) all land in it; a lock
 * left by a killed holder is taken over instead of blocking the merges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withMergeLock } from '../../src/study/slurm/merge-lock.js';
import { tempDir } from '../tmp.js';

const LOCK = pathToFileURL(resolve('dist/src/study/slurm/merge-lock.js')).href;
const RAW = pathToFileURL(resolve('dist/src/files/lock.js')).href;

/** A process that waits for `at` (ms since 1970), then adds its key to the JSON record `file` (read, pause, write). */
const WRITER = `
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
const [file, key, at, locked] = process.argv.slice(2);
const { withMergeLock } = await import(${JSON.stringify(LOCK)});
const addMine = async () => {
  const record = JSON.parse(readFileSync(file, 'utf8'));
  await new Promise((r) => setTimeout(r, 40)); // the time a merge takes between reading and writing
  record[key] = process.pid;
  writeFileSync(file + '.' + key, JSON.stringify(record));
  renameSync(file + '.' + key, file);
};
await new Promise((r) => setTimeout(r, Math.max(0, Number(at) - Date.now())));
if (locked === 'yes') await withMergeLock(file + '.lock', 'test writer', 'record', addMine);
else await addMine();
`;

function runAll(script: string, file: string, n: number, locked: boolean): Promise<number[]> {
  const at = Date.now() + 2500;
  return Promise.all(Array.from({ length: n }, (_, i) => new Promise<number>((done, fail) => {
    const p = spawn(process.execPath, [script, file, `task${i}`, String(at), locked ? 'yes' : 'no'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', (code) => (code === 0 ? done(code) : fail(new Error(`writer ${i} exited ${code}: ${err}`))));
  })));
}

test('24 processes merging into one record at the same instant: every one lands (and without the lock, some would not)', { timeout: 120_000 }, async () => {
  const dir = tempDir('merge');
  const script = join(dir, 'writer.mjs');
  writeFileSync(script, WRITER);
  const locked = join(dir, 'locked.json');
  writeFileSync(locked, '{}');
  await runAll(script, locked, 24, true);
  const got = JSON.parse(readFileSync(locked, 'utf8')) as Record<string, number>;
  assert.deepEqual(Object.keys(got).sort(), Array.from({ length: 24 }, (_, i) => `task${i}`).sort());
  assert.ok(!existsSync(`${locked}.lock`), 'the lock is released');
  // The same writers without the lock lose updates: the test above can fail.
  const unlocked = join(dir, 'unlocked.json');
  writeFileSync(unlocked, '{}');
  await runAll(script, unlocked, 24, false);
  assert.ok(Object.keys(JSON.parse(readFileSync(unlocked, 'utf8')) as object).length < 24, 'without the lock, concurrent merges overwrite each other');
});

test('a lock left by a killed holder is taken over by the next merge', { timeout: 60_000 }, async () => {
  const dir = tempDir('stale');
  const lock = join(dir, '.lock');
  const holder = join(dir, 'holder.mjs');
  writeFileSync(holder, `const { acquireLock } = await import(${JSON.stringify(RAW)});\nacquireLock(process.argv[2], 'holder', 'test');\nconsole.log('held');\nsetInterval(() => {}, 1000);\n`);
  const p = spawn(process.execPath, [holder, lock], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((done) => p.stdout!.once('data', () => done()));
  assert.ok(existsSync(lock));
  p.kill('SIGKILL');
  await new Promise((done) => p.once('exit', done));
  assert.ok(existsSync(lock), 'the killed holder left its lock behind');
  const t0 = Date.now();
  const value = await withMergeLock(lock, 'merge', 'test', () => 'merged', 30_000);
  assert.equal(value, 'merged');
  assert.ok(Date.now() - t0 < 20_000, 'the stale lock was taken over, not waited out');
  assert.ok(!existsSync(lock));
});
