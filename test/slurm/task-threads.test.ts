/**
 * The threads of a SLURM task's reconstruction: reconstruction.threads, else SLURM_CPUS_PER_TASK, else
 * execution.slurm.cpusPerTask, else 1 — at most MAX_LSQML_THREADS, the engine's bound, with a note when capped
 * (before, 512 CPUs reached the engine, which refused every job of the task).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStudySettings } from '../../src/settings/parse.js';
import { taskThreads } from '../../src/study/slurm/threads.js';
import { MAX_LSQML_THREADS, resolveLsqmlOptions } from '../../src/engine/options.js';

test('a task given more CPUs than the engine runs threads uses the engine\'s limit and says so', () => {
  const base = parseStudySettings({ preset: 'quick' });
  assert.deepEqual(taskThreads(base, { SLURM_CPUS_PER_TASK: '8' }), { threads: 8, note: null });
  assert.deepEqual(taskThreads(base, {}), { threads: 1, note: null });
  const capped = taskThreads(base, { SLURM_CPUS_PER_TASK: '512' });
  assert.equal(capped.threads, MAX_LSQML_THREADS);
  assert.equal(capped.note, `note: SLURM_CPUS_PER_TASK is 512; a reconstruction runs at most ${MAX_LSQML_THREADS} threads (MAX_LSQML_THREADS), so it uses ${MAX_LSQML_THREADS}`);
  const fromSetting = taskThreads(parseStudySettings({ preset: 'quick', execution: { slurm: { cpusPerTask: 300 } } }), {});
  assert.equal(fromSetting.threads, MAX_LSQML_THREADS);
  assert.match(fromSetting.note!, /^note: execution\.slurm\.cpusPerTask is 300; /);
  // reconstruction.threads wins over what SLURM gave
  assert.deepEqual(taskThreads(parseStudySettings({ preset: 'quick', reconstruction: { threads: 3 } }), { SLURM_CPUS_PER_TASK: '512' }), { threads: 3, note: null });
  // the capped count is one the engine accepts
  assert.doesNotThrow(() => resolveLsqmlOptions({ threads: capped.threads }));
});
