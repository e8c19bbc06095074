/**
 * The CPUs a process may use and the threads of a reconstruction nobody asked a count of: inside a SLURM job, at most
 * the CPUs SLURM gave the task (a cluster with task/none leaves the affinity mask the whole node, so
 * os.availableParallelism() alone would run a one-CPU task on every core of the node); elsewhere min(2, CPUs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLsqmlThreads, slurmTaskCpus, usableCpus } from '../../src/engine/cpus.js';
import { MAX_LSQML_THREADS } from '../../src/engine/options.js';

test('inside a SLURM job the task\'s CPUs bound the count: SLURM_CPUS_PER_TASK, else SLURM_CPUS_ON_NODE', () => {
  const job = { SLURM_JOB_ID: '6288' };
  assert.equal(slurmTaskCpus({}), null);
  assert.equal(slurmTaskCpus({ SLURM_CPUS_PER_TASK: '1' }), null); // not in a job: a variable left over says nothing
  assert.equal(slurmTaskCpus({ ...job, SLURM_CPUS_PER_TASK: '1', SLURM_CPUS_ON_NODE: '4' }), 1);
  assert.equal(slurmTaskCpus({ ...job, SLURM_CPUS_ON_NODE: '3' }), 3);
  assert.equal(slurmTaskCpus({ ...job, SLURM_CPUS_PER_TASK: 'x', SLURM_CPUS_ON_NODE: '0' }), null);
  assert.equal(usableCpus({ ...job, SLURM_CPUS_PER_TASK: '1' }, 16), 1);
  assert.equal(usableCpus({ ...job, SLURM_CPUS_PER_TASK: '32' }, 16), 16); // the affinity mask, when the cluster binds tasks
  assert.equal(usableCpus({}, 16), 16);
  assert.equal(usableCpus({ ...job }, 16), 16);
});

test('a reconstruction\'s threads: min(2, CPUs) here, every CPU of a SLURM task (at most the engine\'s limit) there', () => {
  const job = { SLURM_JOB_ID: '6288' };
  assert.equal(defaultLsqmlThreads({}, 16), 2);
  assert.equal(defaultLsqmlThreads({}, 1), 1);
  assert.equal(defaultLsqmlThreads({ ...job, SLURM_CPUS_PER_TASK: '1' }, 2), 1);
  assert.equal(defaultLsqmlThreads({ ...job, SLURM_CPUS_PER_TASK: '8' }, 16), 8);
  assert.equal(defaultLsqmlThreads({ ...job, SLURM_CPUS_ON_NODE: '1' }, 2), 1);
  assert.equal(defaultLsqmlThreads({ ...job, SLURM_CPUS_PER_TASK: '512' }, 512), MAX_LSQML_THREADS);
});
