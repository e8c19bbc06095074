/**
 * The memory limit inside a SLURM job (data/slurm-job.ts, data/memory.ts): the memory SLURM gave the job — --mem
 * (SLURM_MEM_PER_NODE) or --mem-per-cpu times the task's CPUs (SLURM_MEM_PER_CPU × SLURM_CPUS_PER_TASK, else
 * SLURM_CPUS_ON_NODE) — at most the machine's, unless PTYCHOSTUDY_MEMORY_LIMIT says otherwise; outside a job, half
 * the machine's as before. Was: --mem-per-cpu was not read at all, and a job's --mem only by examples/slurm-scans.sh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { memoryLimit } from '../../src/data/memory.js';
import { slurmJobMemory } from '../../src/data/slurm-job.js';
import { UsageError } from '../../src/errors.js';

const MiB = 2 ** 20;
const job = { SLURM_JOB_ID: '17' };

test('a SLURM job\'s --mem, or --mem-per-cpu × its CPUs, is the memory limit of a command in it', () => {
  assert.deepEqual(memoryLimit({ ...job, SLURM_MEM_PER_NODE: '700' }),
    { bytes: 700 * MiB, source: "the SLURM job's 700.0 MiB: SLURM_MEM_PER_NODE=700, the job's --mem in MiB; PTYCHOSTUDY_MEMORY_LIMIT sets it" });
  assert.equal(memoryLimit({ ...job, SLURM_MEM_PER_CPU: '300', SLURM_CPUS_PER_TASK: '3', SLURM_CPUS_ON_NODE: '4' }).bytes, 900 * MiB);
  assert.equal(memoryLimit({ ...job, SLURM_MEM_PER_CPU: '300', SLURM_CPUS_ON_NODE: '2' }).bytes, 600 * MiB);
  assert.equal(memoryLimit({ ...job, SLURM_MEM_PER_CPU: '300' }).bytes, 300 * MiB, 'no CPUs named: one');
  assert.match(memoryLimit({ ...job, SLURM_MEM_PER_CPU: '300', SLURM_CPUS_PER_TASK: '3' }).source,
    /^the SLURM job's 900\.0 MiB: SLURM_MEM_PER_CPU=300, the job's --mem-per-cpu in MiB, × SLURM_CPUS_PER_TASK=3;/);
});

test('PTYCHOSTUDY_MEMORY_LIMIT wins over the job\'s memory; a job asking more than the machine has gets the machine\'s', () => {
  assert.equal(memoryLimit({ ...job, SLURM_MEM_PER_NODE: '700', PTYCHOSTUDY_MEMORY_LIMIT: '64M' }).bytes, 64 * MiB);
  const huge = memoryLimit({ ...job, SLURM_MEM_PER_NODE: String(64 * 2 ** 20) }); // 64 TiB
  assert.ok(huge.bytes <= os.totalmem(), String(huge.bytes));
  assert.match(huge.source, /^this machine's .*, less than the SLURM job's 64\.0 TiB \(SLURM_MEM_PER_NODE=67108864, the job's --mem in MiB\)/);
});

test('outside a SLURM job, or in one given no memory (--mem=0: the whole node), the limit is half the machine\'s as before', () => {
  const half = memoryLimit({});
  assert.match(half.source, /^half of this machine's /);
  assert.deepEqual(memoryLimit({ SLURM_MEM_PER_NODE: '700' }), half, 'a variable left over outside a job says nothing');
  assert.deepEqual(memoryLimit({ ...job, SLURM_MEM_PER_NODE: '0' }), half);
  assert.equal(slurmJobMemory({ ...job }), null);
});

test('a SLURM memory variable that is no number of MiB is refused, naming it, not taken for none', () => {
  assert.throws(() => memoryLimit({ ...job, SLURM_MEM_PER_CPU: '2G' }),
    (e: unknown) => e instanceof UsageError && e.message === "SLURM_MEM_PER_CPU=2G: expected SLURM's memory of the job, a number of MiB; found no number");
});
