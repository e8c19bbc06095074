/**
 * Preloaded into a `ptychostudy` child process (`node --import barrier.js main.js …`) so that several
 * commands start their work at the same instant: it loads every command's modules first (so module loading
 * does not spread the start), writes $BARRIER_DIR/ready-$BARRIER_ID, waits for $BARRIER_DIR/go (which holds
 * the start time, ms since the epoch), sleeps until that instant and spins the last milliseconds.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BARRIER_DIR;
if (dir) {
  const { commands } = await import(new URL('../../src/cli/commands/index.js', import.meta.url).href) as typeof import('../../src/cli/commands/index.js');
  await Promise.all(commands.map((c) => c.load()));
  writeFileSync(join(dir, `ready-${process.env.BARRIER_ID ?? process.pid}`), '');
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const go = join(dir, 'go');
  const since = Date.now();
  while (!existsSync(go)) {
    if (Date.now() - since > 120_000) process.exit(3); // the test is gone: do not wait forever
    Atomics.wait(cell, 0, 0, 2);
  }
  const at = Number(readFileSync(go, 'utf8'));
  const wait = at - Date.now() - 3;
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  while (Date.now() < at) { /* spin */ }
}
