/**
 * Temporary directories of a test file: made under the system's temporary folder and removed when the test
 * process exits (node's test runner gives every file its own process), so a suite run leaves nothing behind.
 * Set PTYCHOSTUDY_KEEP_TEST_DIRS=1 to keep them for a look after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (process.env.PTYCHOSTUDY_KEEP_TEST_DIRS === '1') return;
  for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
});

/** A fresh directory `<tmp>/ptychostudy-<label>-XXXXXX`, removed when the test process exits. */
export function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `ptychostudy-${label}-`));
  made.push(d);
  return d;
}
