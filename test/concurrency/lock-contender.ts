/**
 * One contender of the lock race (test/concurrency/lock-race.test.ts), run as its own process:
 *
 *   node lock-contender.js DIR INDEX TRIALS
 *
 * For each trial k it waits for DIR/go-k (which holds the start time in ms since the epoch), sleeps until
 * that instant and spins the last milliseconds, so that every contender tries at the same moment; then it
 * takes DIR/root/.race.lock — at once (`acquireLock`, the call shape every command uses) or waiting
 * (`waitForLock`), as go-k says — and, holding it, creates DIR/root/critical exclusively (O_EXCL): a second
 * holder at the same time finds it there and records a violation. Each outcome is one line in DIR/out-k-INDEX.
 * LOCK_MODULE may name another build of the lock module (to run the race against an older lock).
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface LockModule {
  acquireLock(path: string, owner: string, place: string): () => void;
  waitForLock?(path: string, owner: string, place: string, opts: { waitMs: number }): Promise<{ release(): void }>;
}

const [dir, index, trials] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const lockModule = process.env.LOCK_MODULE ? pathToFileURL(process.env.LOCK_MODULE).href : new URL('../../src/files/lock.js', import.meta.url).href;
const lock = (await import(lockModule)) as LockModule;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => { if (ms > 0) Atomics.wait(sleeper, 0, 0, ms); };
const root = join(dir, 'root');
const lockPath = join(root, '.race.lock');
const critical = join(root, 'critical');

writeFileSync(join(dir, `ready-${index}`), '');
for (let k = 0; k < trials; k++) {
  const go = join(dir, `go-${k}`);
  const waitingSince = Date.now();
  while (!existsSync(go)) {
    if (Date.now() - waitingSince > 120_000) process.exit(3); // the test is gone: do not wait forever
    sleep(2);
  }
  const { at, mode, holdMs } = JSON.parse(readFileSync(go, 'utf8')) as { at: number; mode: 'at-once' | 'wait'; holdMs: number };
  sleep(at - Date.now() - 3);
  while (Date.now() < at) { /* spin: all contenders start within a millisecond or two */ }
  let outcome: string;
  let release: (() => void) | null = null;
  try {
    if (mode === 'wait') release = (await lock.waitForLock!(lockPath, `contender ${index}`, 'race root', { waitMs: 60_000 })).release;
    else release = lock.acquireLock(lockPath, `contender ${index}`, 'race root');
    let fd = -1;
    try {
      fd = openSync(critical, 'wx');
      sleep(holdMs);
      outcome = 'won';
    } catch (err) {
      outcome = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'violation' : `error ${String(err)}`;
    }
    if (fd >= 0) { closeSync(fd); unlinkSync(critical); }
  } catch (err) {
    const m = (err as Error).message;
    outcome = /is writing into this race root/.test(m) ? 'busy' : `error ${m}`;
  } finally {
    release?.();
  }
  // to a temporary name, then renamed: the test never reads a half-written outcome
  writeFileSync(join(dir, `.out-${k}-${index}`), outcome);
  renameSync(join(dir, `.out-${k}-${index}`), join(dir, `out-${k}-${index}`));
}
