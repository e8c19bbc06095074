/**
 * A signal that arrives during synchronous work (a SLURM call, a file read) while the start-up handler is
 * installed reaches the command's own handler installed right after that work: replacing one handler by the
 * other must not drop it (Node stops watching a signal whose last listener is removed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const INTERRUPT = pathToFileURL(resolve('dist', 'src', 'cli', 'interrupt.js')).href;

for (const [signal, code] of [['TERM', 143], ['INT', 130], ['HUP', 129]] as const) {
  test(`SIG${signal} during synchronous work before a command installs its handler reaches that handler (exit ${code})`, () => {
    const script = [
      `import { onStop, stopDuringStartUp } from ${JSON.stringify(INTERRUPT)};`,
      `import { spawnSync } from 'node:child_process';`,
      'stopDuringStartUp();',
      `spawnSync('/bin/sh', ['-c', 'kill -${signal} $PPID']);`,
      `onStop((s) => process.stderr.write('own handler: ' + s + '\\n'));`,
      `setTimeout(() => process.stderr.write('the signal was lost\\n'), 2000);`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.stderr, `own handler: SIG${signal}\n`);
    assert.equal(r.status, code);
  });
}
