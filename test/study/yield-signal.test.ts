/**
 * yieldToEventLoop, the pause between two units of synchronous work, lets a signal handler run (a command's
 * Ctrl-C / SIGTERM handler), also when the work resumed from an I/O callback: there a single setImmediate runs
 * before the loop polls again, where the signal is seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { yieldToEventLoop } from '../../src/study/phase.js';

test('a signal that arrives during work resumed from an I/O callback is handled at the next pause', async () => {
  let handled = 0;
  const handler = (): void => { handled++; };
  process.on('SIGUSR2', handler);
  try {
    for (let i = 0; i < 5; i++) {
      await new Promise((done) => readFile(fileURLToPath(import.meta.url), done)); // resumes in the loop's I/O (poll) phase
      process.kill(process.pid, 'SIGUSR2'); // arrives while this "work" runs
      await yieldToEventLoop();
      assert.equal(handled, i + 1, `the handler ran at the pause (round ${i + 1})`);
    }
  } finally {
    process.removeListener('SIGUSR2', handler);
  }
});
