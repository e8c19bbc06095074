/**
 * The closing line of a finished SLURM submission: when its only failure is hub files the report found broken (exit 1,
 * no job failed, so the manifests record no job failure), it names them as a local run does instead of pointing at
 * the manifests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closingLine } from '../../src/cli/cluster.js';
import type { SubmissionView } from '../../src/study/slurm/follow.js';
import { FinishSchema, type Finish } from '../../src/study/slurm/records.js';

const RESUME = ['ptychostudy', 'run', '--out', '/shared/h2'];
const BROKEN = [{ file: 'phase_g/metrics_summary.json', reason: 'not valid JSON (Unexpected end of JSON input)' }];

function view(finish: Finish, failed = 0): SubmissionView {
  return {
    home: '/shared/h2', number: 1, command: 'run', argv: ['ptychostudy', 'run'], state: 'finished', submittedAt: '2026-12-06T22:54:51Z', active: false,
    rejected: null, cancelled: [], stopped: null, finish, finishJob: { jobId: '5320', state: 'ended', reason: null },
    limits: { time: null, mem: null, tasks: 1, memPerCpu: null, memArg: null },
    steps: [{ step: 'compare', jobId: '5318', tasks: 1, arrayTasks: 1, queued: 0, requeued: 0, requeuedWaiting: [], running: 0, done: 1 - failed, failed, waiting: [], final: true,
      failures: failed > 0 ? [{ key: 'compare', message: 'failed: x', slurmJob: '5318_0' }] : [], detail: null }],
  } as SubmissionView;
}

test('a submission whose only failure is broken hub files names them, not the manifests', () => {
  // as the finish job records it: the finish record keeps the broken files
  const finish = FinishSchema.parse({ finished_at: '2026-12-06T22:56:40Z', finished_by: 'finish job', exit_code: 1, report: '/shared/h2/report/index.html',
    steps: [{ step: 'compare', complete: true, failed: 0, detail: '1 run (1 ok)' }], broken: BROKEN });
  assert.equal(closingLine('run', view(finish), RESUME),
    'ptychostudy run: finished with 1 broken hub file (named above and in the report\'s Broken evidence; its page is written from the rest). ' +
    'Fix the cause, then continue with: ptychostudy run --out /shared/h2 (the report is built again; finished jobs are kept)');
});

test('failed jobs keep the manifests line, broken files or not; a clean finish is done', () => {
  const finish: Finish = { finished_at: '2026-12-06T22:56:40Z', finished_by: 'finish job', exit_code: 1, report: null,
    steps: [{ step: 'compare', complete: true, failed: 1, detail: '1 run (1 failed)' }], broken: BROKEN };
  assert.match(closingLine('run', view(finish, 1), RESUME), /^ptychostudy run: finished with failures \(recorded in the manifests\)\. Fix the cause/);
  const { broken: _, ...noBroken } = finish;
  assert.match(closingLine('run', view({ ...noBroken, steps: [] }, 1), RESUME), /recorded in the manifests/);
  assert.equal(closingLine('status', view({ ...noBroken, exit_code: 0, steps: [] }), RESUME), 'ptychostudy status: done');
});
