/**
 * The failures of a cluster run as `status`, a following command and its closing summary print them: jobs that
 * failed for the same reason (a step that could not start fails each of its jobs alike) share one line that
 * counts them; different reasons keep a line each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ClusterProgress, failureLines } from '../../src/cli/progress/slurm.js';
import type { SubmissionView } from '../../src/study/slurm/follow.js';

const KEYS = ['baseline/train', 'dense/train', 'sparse/train', 'baseline/test', 'dense/test', 'sparse/test'].map((k) => `dose_10000/${k}`);
const WHY = 'failed: phase_d/dose_10000/sparse/sparse_test.npz: expected 1234 bytes (found 26): changed since Phase D wrote it';

test('six jobs failed for one reason: one line with their count and the first keys; other reasons keep their own line', () => {
  const same = KEYS.map((key, i) => ({ key, slurmJob: `77_${i % 2}`, message: WHY }));
  const lines = failureLines('reconstruct', same);
  assert.deepEqual(lines, [`FAILED reconstruct 6 jobs (dose_10000/baseline/train, dose_10000/dense/train, dose_10000/sparse/train and 3 more; SLURM tasks 77_0, 77_1), each: ${WHY}`]);
  // a reason the step's own line already gives is not repeated
  const detail = `the step did not start, so no job ran: ${WHY.replace(/^failed: /, '')}`;
  assert.match(failureLines('reconstruct', same, detail)[0]!, /^FAILED reconstruct 6 jobs \(.*\), each: the reason above$/);
  // one job of its own reason: the line it always had, with its SLURM job
  const mixed = [...same.slice(0, 2), { key: KEYS[2]!, slurmJob: '77_1', message: 'killed at its memory limit by the out-of-memory killer of the cgroup SLURM ran it in (JobState=OUT_OF_MEMORY, Reason=OutOfMemory)' }];
  assert.deepEqual(failureLines('reconstruct', mixed), [
    `FAILED reconstruct 2 jobs (dose_10000/baseline/train, dose_10000/dense/train; SLURM tasks 77_0, 77_1), each: ${WHY}`,
    'FAILED reconstruct dose_10000/sparse/train (SLURM job 77_1): killed at its memory limit by the out-of-memory killer of the cgroup SLURM ran it in (JobState=OUT_OF_MEMORY, Reason=OutOfMemory)',
  ]);
});

test('a following command prints six failures of one reason once', () => {
  let text = '';
  const out = new Writable({ write(chunk: Buffer, _e, done) { text += chunk.toString(); done(); } });
  const progress = new ClusterProgress(out, false);
  const view = {
    home: 'hub', number: 1, command: 'reconstruct', submittedAt: '2026-01-01T00:00:00Z', active: false, finish: null, rejected: null, cancelled: [],
    stopped: null, finishJob: { jobId: '78', state: 'ended' },
    steps: [{ step: 'reconstruct', jobId: '77', tasks: 6, arrayTasks: 2, queued: 0, requeued: 0, requeuedWaiting: [], running: 0, done: 0, failed: 6, waiting: [], final: true,
      failures: KEYS.map((key) => ({ key, slurmJob: '77_0', message: WHY })), detail: null }],
  } as unknown as SubmissionView;
  progress.update(view);
  progress.update(view);
  assert.equal(text.split('\n').filter((l) => l.startsWith('FAILED')).length, 1, text);
  assert.match(text, /^FAILED reconstruct 6 jobs \(/m);
});
