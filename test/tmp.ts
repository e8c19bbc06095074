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
  for (const d of made) {
    // The SLURM tests end their own jobs before this (slurm-helpers.ts `leaveNoSlurmJobs`); a task that still wrote its
    // last record into a folder all the same is retried for about 5 s, then left behind with a line naming it, since a
    // folder that could not be removed says nothing of the test's own assertions.
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 10 });
    } catch (err) {
      process.stderr.write(`test/tmp.ts: could not remove ${d}: ${(err as Error).message}\n`);
    }
  }
});

/** A fresh directory `<tmp>/ptychostudy-<label>-XXXXXX`, removed when the test process exits. */
export function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `ptychostudy-${label}-`));
  made.push(d);
  return d;
}

/** The directories `tempDir` made in this test process (SLURM tests end their own jobs found under them first). */
export function testDirs(): readonly string[] {
  return made;
}
