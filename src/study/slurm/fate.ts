/**
 * What became of each task of an array, as SLURM tells it, and the one line that says why a task left no
 * result (killed at its time limit, out of memory, cancelled, its node failed, …), read from scontrol's
 * JobState, Reason and ExitCode.
 *
 * SLURM forgets: a finished job stays in scontrol's view for MinJobAge seconds (300 by default), and a
 * task cancelled while still queued leaves the array's record at once. Without accounting (sacct needs
 * slurmdbd) that is all there is, so a task that is in no record is described by what can be inferred.
 */
import { constants as osConstants } from 'node:os';
import { expandTaskRange, isActiveState, type JobRecord, type QueueEntry } from './scheduler.js';

export interface TaskFate {
  task: number;
  /** `123_4`: how SLURM names the task. */
  id: string;
  /** queued / running: not ended; ended: SLURM holds its final state; gone: SLURM holds no record of it. */
  where: 'queued' | 'running' | 'ended' | 'gone';
  state: string | null;
  reason: string | null;
  exitCode: string | null;
  timeLimit: string | null;
  /** The memory the task asked (`MinMemoryNode=8G`, `MinMemoryCPU=2G`), from scontrol; null or absent when none or not known. */
  memory?: string | null;
  nodeList: string | null;
  /** gone: whether SLURM still knows the array (then the task was removed from it while queued). */
  arrayKnown: boolean;
  /** gone: SLURM gives the job's id to another job now (`job 123 is now another job (name …, submitted …)`: identity.ts). */
  otherJob?: string;
}

/**
 * The fate of tasks 0…count−1 of array `jobId` from squeue's and scontrol's view (the hub's job's records only: identity.ts);
 * `otherJob` says which other job holds the id now, when one does (then a task in no record is told so).
 */
export function taskFates(jobId: string, count: number, queue: readonly QueueEntry[], records: readonly JobRecord[], otherJob: string | null = null): TaskFate[] {
  const fates: TaskFate[] = [];
  const byTask = new Map<number, JobRecord>();
  const mine = records.filter((r) => (r.arrayJobId ?? r.jobId) === jobId);
  for (const r of mine) {
    if (r.arrayTaskId === null) continue;
    // a task requeued has a record of each run (sacct --duplicates): the one SLURM took last is the task's
    for (const t of expandTaskRange(r.arrayTaskId, count + 1)) if (!byTask.has(t) || r.submitTime > byTask.get(t)!.submitTime) byTask.set(t, r);
  }
  const queued = new Map(queue.filter((q) => q.jobId === jobId && q.task !== null).map((q) => [q.task!, q]));
  for (let task = 0; task < count; task++) {
    const q = queued.get(task);
    const r = byTask.get(task);
    const base = { task, id: `${jobId}_${task}`, arrayKnown: mine.length > 0 };
    const state = q?.state ?? r?.state ?? null;
    const where: TaskFate['where'] = state === null ? 'gone' : state === 'PENDING' || state.startsWith('REQUEUE') ? 'queued'
      : isActiveState(state) ? 'running' : 'ended';
    fates.push({
      ...base, where, state, reason: q?.reason ?? r?.reason ?? null, exitCode: r?.exitCode ?? null,
      timeLimit: r?.timeLimit ?? null, memory: r?.memory || null, nodeList: r?.nodeList ?? null,
      ...(where === 'gone' && otherJob !== null ? { otherJob } : {}),
    });
  }
  return fates;
}

/**
 * SLURM shows a task whose processes are still being ended and cleaned up as `COMPLETING`, in squeue and scontrol alike,
 * which hides how it ended: killed at its time limit, cancelled, or done (a task that ignores SIGTERM stays so for the
 * cluster's KillWait). The next array's `afterany` dependency is met meanwhile, so its first task may finalize the step
 * then. The fates are asked again (`look`) until no task is COMPLETING, for at most `waitMs`; then they are taken as they are.
 */
export async function settledFates(look: () => TaskFate[], waitMs: number, pollMs = 1000,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms))): Promise<TaskFate[]> {
  const deadline = Date.now() + waitMs;
  let fates = look();
  while (fates.some((f) => f.state === 'COMPLETING') && Date.now() < deadline) {
    await sleep(pollMs);
    fates = look();
  }
  return fates;
}

/** Whether a task that ended this way ran its command to the end (so it wrote its result before exiting). */
export function endedByItself(f: TaskFate): boolean {
  // The worker exits 0 when its job did its work and 1 when the job failed, both after writing the result.
  return f.where === 'ended' && (f.state === 'COMPLETED' || f.state === 'COMPLETING' || (f.state === 'FAILED' && /^1:/.test(f.exitCode ?? '')));
}

/** Whether SLURM's record says the task was never given a node, so it never ran (a task cancelled while queued). */
export function neverStarted(f: TaskFate): boolean {
  return f.where === 'ended' && (f.nodeList === '' || f.nodeList === '(null)' || f.nodeList === 'None');
}

/**
 * Why a task left no result, in one line: SLURM's state and reason in its own words, and what they mean.
 * `logLine` is the last line the task printed, when its log has one; `tookJobs`: the task's claims show it
 * ran (a task requeued and cancelled while queued again has no node in SLURM's record, yet it ran before).
 */
export function describeFate(f: TaskFate, logLine: string | null, tookJobs = false): string {
  const facts = (extra: string[] = []): string =>
    `(JobState=${f.state ?? '?'}${f.reason && f.reason !== 'None' ? `, Reason=${f.reason}` : ''}${extra.join('')})`;
  const tail = logLine ? `; last line of its log: ${logLine}` : '';
  switch (f.state) {
    case 'TIMEOUT': return `killed by SLURM at its time limit ${facts([f.timeLimit ? `, TimeLimit=${f.timeLimit}` : ''])}; ` +
      'the limit is a task\'s, which takes its jobs one after another: resume with a longer --slurm-time or more --slurm-tasks';
    case 'OUT_OF_MEMORY':
      // The kernel's out-of-memory killer of the task's cgroup ended it (slurmstepd saw the event); the limit is the
      // memory the task asked (--mem, or --mem-per-cpu times its CPUs), or the cluster's default when it asked none.
      return `killed at its memory limit by the out-of-memory killer of the cgroup SLURM ran it in ${facts([f.memory ? `, ${f.memory}` : ''])}; ` +
        'the limit is a task\'s and holds for each job it runs, one after another: resume with ' +
        `${f.memory?.startsWith('MinMemoryCPU=') === true ? 'a larger --slurm-sbatch-arg=--mem-per-cpu=…' : 'a larger --slurm-mem'}${tail}`;
    case 'CANCELLED':
      // No node was ever given to it (NodeList empty): it was cancelled while it waited in the queue.
      return neverStarted(f) && !tookJobs
        ? `cancelled before it started: it never ran ${facts()} — by scancel, \`ptychostudy cancel\` or an administrator`
        : `cancelled ${facts()} — by scancel, \`ptychostudy cancel\` or an administrator`;
    case 'NODE_FAIL': return `its node failed ${facts([f.nodeList ? `, NodeList=${f.nodeList}` : ''])}`;
    case 'PREEMPTED': return `preempted by SLURM ${facts()}`;
    case 'BOOT_FAIL': return `its node could not boot ${facts()}`;
    case 'DEADLINE': return `killed by SLURM at its deadline ${facts()}`;
    case 'FAILED': {
      // ExitCode is <status>:<signal>. A task killed by a signal SLURM did not send (the kernel's out-of-memory killer
      // on a cluster without memory cgroups, a kill -9) ends FAILED with a Reason that does not say so (JobLaunchFailure).
      const signal = Number(/^\d+:(\d+)$/.exec(f.exitCode ?? '')?.[1] ?? 0);
      if (signal > 0) {
        const name = Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0];
        return `killed by signal ${signal}${name ? ` (${name}${signal === 9 ? ': the kernel\'s out-of-memory killer, or a kill -9' : ''})` : ''} ` +
          `${facts([`, ExitCode=${f.exitCode}`])}${tail}`;
      }
      return `ended without writing its result ${facts([f.exitCode ? `, ExitCode=${f.exitCode}` : ''])}${tail}`;
    }
    case 'COMPLETED':
    case 'COMPLETING':
      return `ended without writing its result ${facts([f.exitCode ? `, ExitCode=${f.exitCode}` : ''])}${tail}`;
    case null:
      if (f.otherJob !== undefined) return `left no result, and SLURM no longer knows the job: ${f.otherJob}, and sacct holds no record of this hub's job`;
      return f.arrayKnown
        ? 'cancelled while queued (SLURM removed the task from its array before it started)'
        : 'left no result, and SLURM no longer knows the job (scontrol forgets a finished job after MinJobAge, and no accounting record of it was found by sacct)';
    default: return `ended by SLURM ${facts()}${tail}`;
  }
}

/** A job of a step that has no result: the array task that took it (if one did) and what became of it. */
export interface MissingJob {
  job: number;
  /** The task that took the job; an untaken job is described by the task whose own index it is (job mod tasks). */
  arrayTask: number;
  claimed: boolean;
  fate: TaskFate;
}

/**
 * The jobs without a result, each with the fate of the array task that took it. `claimedBy(job)` is the
 * task of the job's claim, or null when no task took it; `fates` holds every array task (taskFates).
 */
export function missingJobs(missing: readonly number[], claimedBy: (job: number) => number | null, fates: readonly TaskFate[]): MissingJob[] {
  return missing.map((job) => {
    const by = claimedBy(job);
    const arrayTask = by !== null && by < fates.length ? by : job % fates.length;
    return { job, arrayTask, claimed: by !== null, fate: fates[arrayTask]! };
  });
}

/** Whether a job without a result may still get one: its task has not ended or, untaken, some task of the array has not. */
export function mayStillRun(m: MissingJob, fates: readonly TaskFate[]): boolean {
  const active = (f: TaskFate): boolean => f.where === 'queued' || f.where === 'running';
  return m.claimed ? active(m.fate) : fates.some(active);
}

/** Why a job left no result, in one line (see describeFate); `logLine` is the last line its task printed. */
export function describeMissing(m: MissingJob, logLine: string | null): string {
  if (!m.claimed && endedByItself(m.fate)) return 'was never taken: every task of its array ended before reaching it';
  // No task took the job, yet the task of its index ran (SLURM gave it a node): the job itself never ran.
  if (!m.claimed && m.fate.state === 'CANCELLED' && !neverStarted(m.fate)) {
    return `cancelled before any task took it: it never ran (its task ${m.fate.id}: JobState=CANCELLED${m.fate.reason && m.fate.reason !== 'None' ? `, Reason=${m.fate.reason}` : ''})` +
      ' — by scancel, `ptychostudy cancel` or an administrator';
  }
  // No task took the job and the task of its index ended otherwise (killed at its time limit, out of memory, …) after
  // its own jobs: the job itself never ran, which a line naming that task's end alone does not say.
  if (!m.claimed && m.fate.where === 'ended' && m.fate.state !== 'CANCELLED') {
    return `ended before reaching this job, which no task took and which never ran: ${describeFate(m.fate, null, true)}`;
  }
  return describeFate(m.fate, m.claimed ? logLine : null, m.claimed);
}
