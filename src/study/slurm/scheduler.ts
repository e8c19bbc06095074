/**
 * SLURM's own client programs, called as programs: `sbatch` (submit a script), `squeue` (what is queued
 * or running), `scontrol show job` (a job's record, finished jobs included for MinJobAge), `scancel`,
 * `sinfo` (a partition's CPUs, for the size of the arrays).
 * Nothing here keeps a daemon, a connection or a cache: every call is one process with a time limit,
 * so a study needs nothing on the cluster but SLURM's client commands and a shared file system.
 */
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { UsageError } from '../../errors.js';

/** A SLURM command is missing, refused a request or did not answer (exit code 1: nothing of ours was wrong). */
export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

/**
 * sbatch refused a job for what the user asked of SLURM (a partition, account or QOS that does not exist, a time,
 * memory, CPUs or nodes no partition gives, an option sbatch does not know or cannot parse): exit code 2, a bad option,
 * as every other refusal of what the user gave. Still a SlurmError, so a submission records it as sbatch's refusal.
 */
export class SlurmOptionsError extends SlurmError {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'SlurmOptionsError';
  }
}

/**
 * sbatch's refusals of a job's options, by its messages: the client's own parse errors and slurmctld's `Batch job
 * submission failed: …`, whose wording is the same in every release from 20.11 to 24.11 (slurm_errno.c's `slurm_errtab`,
 * slurm_opt.c; test/fixtures/slurm/sbatch-refusals.json, made by scripts/slurm-refusal-strings.mjs from SchedMD's
 * repository, and test/slurm/sbatch-refusal.test.ts classifies each release's). What is not among them — slurmctld not answering, a socket timed out, the
 * controller too busy, an association or QOS limit on how many jobs a user may have — is the cluster's state, not a
 * wrong option: exit code 1.
 */
const OPTION_REFUSALS: readonly RegExp[] = [
  /^sbatch: unrecognized option\b/i,
  /^sbatch: (?:invalid option|option .* requires an argument)\b/i,
  /^sbatch: error: Invalid (?:--[\w-]+|numeric value|generic resource|feature|partition|account|qos)\b/i,
  /Batch job submission failed: (?:Invalid (?:partition|account|qos|generic resource|feature|node name|--[\w-]+)\b|Requested time limit is invalid|Memory required by task is not available|Requested node configuration is not available|More processors requested than permitted|Node count specification invalid|CPU count specification invalid|CPU count per node can not be satisfied)/i,
];

/** Whether sbatch's refusal `message` (its last line) refuses an option of the job (see OPTION_REFUSALS). */
export function refusesJobOptions(message: string): boolean {
  return OPTION_REFUSALS.some((re) => re.test(message));
}

/** Time limit of one call of a SLURM command. */
const CALL_TIMEOUT_MS = 60_000;

interface Output { status: number; stdout: string; stderr: string }

/** The last non-empty line of a command's error output, without the program's own prefix noise. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? '';
}

/**
 * Runs a SLURM command to its end. It runs in a session of its own (`detached`), so the Ctrl-C that a
 * terminal sends to its whole process group does not kill it half-way — an sbatch killed after slurmctld took
 * the job and before it printed the id would leave a job that no record names; the command's own stop
 * handler runs once the call has returned.
 */
function call(program: string, args: readonly string[], cwd?: string): Output {
  // spawnSync honours `detached` (a new session, as spawn's) though @types/node leaves it out of its options.
  const options = { encoding: 'utf8' as const, timeout: CALL_TIMEOUT_MS, cwd, maxBuffer: 64 * 1024 * 1024, detached: true, env: commandEnv(program) };
  const r = spawnSync(program, args, options);
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SlurmError(missingMessage(program));
    if (code === 'ETIMEDOUT') throw new SlurmError(`${program} did not answer within ${CALL_TIMEOUT_MS / 1000} s (is slurmctld reachable?)`);
    throw new SlurmError(`${program}: ${r.error.message}`);
  }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * sbatch's input environment variables that change what the tool relies on and that no option of its job scripts
 * sets (the options they set are given on sbatch's command line as well, which wins over the environment):
 * `SBATCH_WAIT` would hold each sbatch until its job ended (the chain's submission would stall, then time out with
 * the job unrecorded), `SBATCH_ERROR` would take the tasks' error lines out of the logs the failure lines quote,
 * `SBATCH_EXPORT` would keep the environment (`PTYCHOSTUDY_LOCK_LEASE`, `PTYCHOSTUDY_MEMORY_LIMIT`) from the tasks.
 * Left out of the tool's sbatch calls; `--slurm-sbatch-arg` gives `--export=…` or `--error=…` deliberately.
 */
export const SBATCH_ENV_DROPPED = ['SBATCH_WAIT', 'SBATCH_ERROR', 'SBATCH_EXPORT'] as const;

/** The prefix of the input environment variables of squeue, scontrol and scancel (their defaults of a user's own use). */
const QUERY_ENV_PREFIX: Readonly<Record<string, string>> = { squeue: 'SQUEUE_', scontrol: 'SCONTROL_', scancel: 'SCANCEL_' };

/**
 * The environment a SLURM command runs with: this process's, without the input variables that would change what the
 * tool asked. For sbatch, `SBATCH_ENV_DROPPED`; for squeue, scontrol and scancel, every variable of theirs
 * (`SQUEUE_STATES`, `SQUEUE_PARTITION`, `SQUEUE_USERS` hide queued jobs from the tool's query, which would then take
 * them for ended; `SCANCEL_STATE`, `SCANCEL_USER`, `SCANCEL_INTERACTIVE` leave jobs it cancels running): the
 * tool's calls name the jobs and the fields they want on the command line.
 */
export function commandEnv(program: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const prefix = QUERY_ENV_PREFIX[program];
  const drop = (name: string): boolean => program === 'sbatch'
    ? (SBATCH_ENV_DROPPED as readonly string[]).includes(name)
    : prefix !== undefined && name.startsWith(prefix);
  const kept = Object.fromEntries(Object.entries(env).filter(([name]) => !drop(name)));
  return QUERY_TIME_PROGRAMS.includes(program) ? { ...kept, ...QUERY_TIME_ENV } : kept;
}

/** The commands whose times the tool reads (a job's submit time): asked in UTC, as the hub records its own times. */
const QUERY_TIME_PROGRAMS: readonly string[] = ['squeue', 'scontrol', 'sacct'];

/**
 * Times as `2026-12-07T14:42:27` in UTC: SLURM's clients write a time in the local zone of their `TZ`, in the format of
 * `SLURM_TIME_FORMAT` (`standard`: `%FT%T`; a user's `relative` or own strftime format would not be read back), the same
 * from 20.11 to 24.11 (`slurm_make_time_str`, src/common/parse_time.c).
 */
const QUERY_TIME_ENV = { TZ: 'UTC', SLURM_TIME_FORMAT: 'standard' } as const;

/** A time as SLURM's clients write it with QUERY_TIME_ENV (`2026-12-07T14:42:27`), as the hub writes one (`…Z`); '' for another (`Unknown`, `None`). */
export function slurmUtcTime(text: string | undefined): string {
  return text !== undefined && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text) ? `${text}Z` : '';
}

/**
 * Refuses (exit 2, before anything is written) an environment whose `SBATCH_CLUSTERS` sends the jobs to another cluster
 * than the one squeue, scontrol and scancel ask (they do not read it): the submission could not follow nor cancel its jobs.
 */
export function checkSlurmEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const clusters = env['SBATCH_CLUSTERS'];
  if (clusters !== undefined && clusters !== '') {
    throw new UsageError(`SBATCH_CLUSTERS=${JSON.stringify(clusters)}: --executor slurm follows and cancels its jobs with squeue, scontrol and scancel, ` +
      'which do not read SBATCH_CLUSTERS, so jobs sbatch sent to another cluster could not be followed; unset SBATCH_CLUSTERS ' +
      '(SLURM_CLUSTERS, which every SLURM command reads, may name one cluster) or submit from a login node of that cluster');
  }
}

function missingMessage(program: string): string {
  return `${program} not found on PATH: --executor slurm runs SLURM's client commands (sbatch, squeue, scontrol, scancel) ` +
    'on this machine; run from a cluster login node, or use --executor local';
}

/** Whether every one of `programs` is on PATH. */
export function slurmCommandsOnPath(programs: readonly string[], path = process.env.PATH ?? ''): boolean {
  try {
    requireSlurmCommands(programs, path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The programs a command needs (a submission: all four), each found on PATH; refused otherwise, naming the first one
 * missing: a UsageError (exit 2), as the command is run where SLURM is not, and it says so before it writes or
 * submits anything. (A program that goes missing later, in the middle of the work — a task's scontrol on a node — is
 * a SlurmError of that call: exit 1.)
 */
export function requireSlurmCommands(programs: readonly string[] = ['sbatch', 'squeue', 'scontrol', 'scancel'], path = process.env.PATH ?? ''): void {
  for (const program of programs) {
    const found = path.split(delimiter).filter((d) => d !== '').some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) throw new UsageError(missingMessage(program));
  }
}

/**
 * Submits a batch script; returns its job id. A refusal is a SlurmError carrying sbatch's own message. `options` are
 * the script's own `#SBATCH` options, given again on the command line: sbatch takes an input environment variable
 * (`SBATCH_ARRAY_INX`, `SBATCH_OUTPUT`, `SBATCH_OPEN_MODE`, `SBATCH_TIMELIMIT`, `SBATCH_PARTITION`…) over a script's
 * line, and the command line over both, so the job is submitted as its script says.
 */
export function sbatch(script: string, cwd: string, options: readonly string[]): string {
  const r = call('sbatch', ['--parsable', ...options, script], cwd);
  const id = r.stdout.trim().split(';')[0] ?? '';
  if (r.status !== 0 || !/^\d+$/.test(id)) {
    // an option sbatch does not know ends with its pointer to --help: the line before it says which option
    const said = r.stderr.split('\n').filter((l) => !/^Try "sbatch --help" for more information/.test(l.trim())).join('\n');
    throw new SlurmError(lastLine(said) || lastLine(r.stdout) || `sbatch exited with status ${r.status}`);
  }
  return id;
}

/** One line of squeue: a queued or running job, or one task of an array. */
export interface QueueEntry {
  /** The job id as SLURM shows it: `123` or, for an array task, `123_4`. */
  id: string;
  jobId: string;
  /** Array task index, or null for a job that is not an array. */
  task: number | null;
  state: string;
  reason: string;
  /** The job's name (`finish-fly64`). */
  name?: string;
  /** When SLURM took the job (or last requeued the task), UTC (`2026-12-07T14:42:27Z`); '' when not known. */
  submitTime?: string;
}

/** The queued and running jobs (array tasks one by one) among `jobIds`; jobs SLURM no longer knows are absent. */
export function squeue(jobIds: readonly string[]): QueueEntry[] {
  if (jobIds.length === 0) return [];
  const r = call('squeue', ['--noheader', '--array', '--jobs', jobIds.join(','), '--format', '%i|%T|%r|%V|%j']);
  if (r.status !== 0) {
    // One id that SLURM no longer knows makes squeue refuse the whole request: it holds nothing we wait for.
    if (/Invalid job id/i.test(r.stderr)) return [];
    throw new SlurmError(`squeue: ${lastLine(r.stderr) || `exit status ${r.status}`}`);
  }
  const out: QueueEntry[] = [];
  for (const line of r.stdout.split('\n')) {
    const [id, state, reason, submit, ...name] = line.trim().split('|');
    if (!id || !state) continue;
    const m = /^(\d+)_(\d+)$/.exec(id);
    out.push({ id, jobId: m ? m[1]! : id, task: m ? Number(m[2]) : null, state, reason: reason ?? '', name: name.join('|'), submitTime: slurmUtcTime(submit) });
  }
  return out;
}

/** One record of `scontrol show job`: a job, one task of an array, or the still-pending rest of an array. */
export interface JobRecord {
  jobId: string;
  arrayJobId: string | null;
  /** `4`, or a range such as `0-3,5%2` for the tasks still pending together; null when not an array. */
  arrayTaskId: string | null;
  state: string;
  reason: string;
  exitCode: string;
  timeLimit: string;
  /** The memory asked (`MinMemoryNode=8G` for --mem, `MinMemoryCPU=2G` for --mem-per-cpu); '' when none was asked or not known. */
  memory: string;
  nodeList: string;
  startTime: string;
  endTime: string;
  /** The job's name (`JobName`, sacct's `JobName`): `generate-fly64` for a step of the hub `fly64`. */
  name: string;
  /**
   * When SLURM took the job, UTC (`2026-12-07T14:42:27Z`; scontrol's `SubmitTime`, sacct's `Submit`); a requeued task's
   * is the time of its requeue. '' when not known.
   */
  submitTime: string;
}

/**
 * The memory a job asked, as scontrol names it: `MinMemoryNode=8G` (--mem) or `MinMemoryCPU=2G` (--mem-per-cpu); ''
 * when it asked none (`MinMemoryNode=0`: the node's whole memory, or the cluster's default).
 */
function memoryAsked(kv: ReadonlyMap<string, string>): string {
  for (const key of ['MinMemoryNode', 'MinMemoryCPU']) {
    const v = kv.get(key);
    if (v !== undefined && v !== '' && v !== '0') return `${key}=${v}`;
  }
  return '';
}

/** Parses `scontrol show job --oneliner` output (one record per line, `Key=Value` words). */
export function parseScontrol(text: string): JobRecord[] {
  const out: JobRecord[] = [];
  for (const line of text.split('\n')) {
    if (!/\bJobId=/.test(line)) continue;
    const kv = new Map<string, string>();
    for (const m of line.matchAll(/(?:^|\s)([A-Za-z:/]+)=(\S*)/g)) if (!kv.has(m[1]!)) kv.set(m[1]!, m[2]!);
    // a name may hold spaces: it runs to the key scontrol writes after it (UserId, or HetJobIdSet for a part of a
    // heterogeneous job, in every release from 20.11 to 24.11)
    const name = /(?:^|\s)JobName=(.*?) (?:HetJobIdSet|UserId)=/.exec(line)?.[1] ?? kv.get('JobName') ?? '';
    out.push({
      jobId: kv.get('JobId') ?? '',
      arrayJobId: kv.get('ArrayJobId') ?? null,
      arrayTaskId: kv.get('ArrayTaskId') ?? null,
      state: kv.get('JobState') ?? 'UNKNOWN',
      reason: kv.get('Reason') ?? 'None',
      exitCode: kv.get('ExitCode') ?? '',
      timeLimit: kv.get('TimeLimit') ?? '',
      memory: memoryAsked(kv),
      nodeList: kv.get('NodeList') ?? '',
      startTime: kv.get('StartTime') ?? '',
      endTime: kv.get('EndTime') ?? '',
      name, submitTime: slurmUtcTime(kv.get('SubmitTime')),
    });
  }
  return out;
}

/** Every record SLURM still holds for a job (all tasks of an array); empty when it no longer knows the job. */
export function scontrolJob(jobId: string): JobRecord[] {
  const r = call('scontrol', ['show', 'job', '--oneliner', jobId]);
  if (r.status !== 0) {
    if (/Invalid job id|not found/i.test(r.stderr + r.stdout)) return [];
    throw new SlurmError(`scontrol show job ${jobId}: ${lastLine(r.stderr) || `exit status ${r.status}`}`);
  }
  return parseScontrol(r.stdout);
}

/**
 * The fields asked of sacct, in order (each known to sacct from 20.11 to 24.11; `Reason` is not asked: older ones lack it).
 * `JobName` last: a name may hold the `|` that separates the fields.
 */
const SACCT_FORMAT = 'JobID,State,ExitCode,Timelimit,NodeList,Submit,JobName';

/** Job states in which a job has not ended (it may still start, run or write its result). */
const ACTIVE = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING',
  'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);

/** Whether a job (or job step) in `state` has not ended. */
export function isActiveState(state: string): boolean {
  return ACTIVE.has(state);
}

/**
 * Parses `sacct --noheader --parsable2 --duplicates --format JobID,State,ExitCode,Timelimit,NodeList,Submit,JobName` as
 * scontrol's records (slurm-wlm 22.05 with slurmdbd, test/fixtures/slurm/sacct-*.txt): `123_4|TIMEOUT|0:0|00:01:00|node7|…`
 * is task 4 of array 123; `123_[5-7]|CANCELLED by 1000|…|None assigned|…` the tasks 5 to 7, cancelled before they were
 * given a node (`by <uid>` is left out of the state; the record has no reason, `None`), `123_[1-4%1]|PENDING|…` the
 * pending rest of a throttled array. A task's own line gives its state, time limit, node, submit time and name; the exit
 * code is its batch step's (`123_4.batch`, the line after it) once that step has ended: a task SLURM ended (cancelled, at
 * its time limit) is recorded `0:0` on its own line and with the signal, `0:15`, on its batch step, as scontrol's ExitCode
 * has it. Other steps (`.extern`, `.0`) and other jobs' lines are skipped. With `--duplicates`, one id may have several
 * records: each job that SLURM gave the id (after its ids were reset or wrapped at MaxJobId), and each run of a requeued
 * task (the earlier ones `REQUEUED`, each with the submit time of its requeue); all are returned, in sacct's order (by
 * submit time), and a step belongs to the record just before it. Lines of the format before Submit and JobName were
 * asked (five fields) give both as ''.
 */
export function parseSacct(text: string, jobId: string): JobRecord[] {
  const out: JobRecord[] = [];
  const last = new Map<string, JobRecord>();
  for (const line of text.split('\n')) {
    const [id, state, exitCode, timeLimit, nodeList, submit, ...name] = line.trim().split('|');
    if (id === undefined || state === undefined || state === '') continue;
    const m = /^((\d+)(?:_(\d+|\[[\d,\-%:]+\]))?)(?:\.(\w+))?$/.exec(id);
    if (m === null || m[2] !== jobId) continue;
    const own = m[1]!;
    if (m[4] !== undefined) {
      const r = last.get(own);
      if (m[4] === 'batch' && exitCode !== undefined && r !== undefined && !isActiveState(state.split(' ')[0]!) && !isActiveState(r.state)) r.exitCode = exitCode;
      continue;
    }
    const task = m[3] === undefined ? null : m[3].replace(/^\[|\]$/g, '');
    const r: JobRecord = {
      jobId: own, arrayJobId: task === null ? null : m[2]!, arrayTaskId: task, state: state.split(' ')[0]!, reason: 'None',
      exitCode: exitCode ?? '', timeLimit: timeLimit ?? '', memory: '', nodeList: nodeList === 'None assigned' ? '' : nodeList ?? '', startTime: '', endTime: '',
      name: name.join('|'), submitTime: slurmUtcTime(submit),
    };
    out.push(r);
    last.set(own, r);
  }
  return out;
}

/**
 * What SLURM's accounting (sacct, with slurmdbd) records of a job and its array tasks, once scontrol has forgotten it
 * (`MinJobAge` after its end); empty where there is no accounting (sacct missing, or `accounting storage is disabled`)
 * or it holds nothing of the job. Asked with the job steps (no `--allocations`): the batch step holds the exit code.
 * Asked with `--duplicates`: without it, sacct gives only the most recent job of that id, which after SLURM's ids were
 * reset or wrapped is another job than the one submitted under it (recordsOf, identity.ts, picks the hub's).
 */
export function sacctJob(jobId: string): JobRecord[] {
  try {
    const r = call('sacct', ['--noheader', '--parsable2', '--duplicates', '--jobs', jobId, '--format', SACCT_FORMAT]);
    return r.status === 0 ? parseSacct(r.stdout, jobId) : [];
  } catch {
    return [];
  }
}

/**
 * The CPUs of a partition from `sinfo --format %P|%C` (`debug*|0/2/0/2`: partition, `*` on the default
 * one; allocated/idle/other/total CPUs): the total of `partition`, or of the default partition when null;
 * null when the partition is not listed.
 */
export function parsePartitionCpus(text: string, partition: string | null): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*([^|\s]+?)(\*?)\|(\d+)\/(\d+)\/(\d+)\/(\d+)\s*$/.exec(line);
    if (!m) continue;
    if (partition === null ? m[2] !== '*' : m[1] !== partition) continue;
    total = (total ?? 0) + Number(m[6]);
  }
  return total;
}

/** The CPUs of a partition (its total, busy or not), or null when sinfo cannot tell. */
export function partitionCpus(partition: string | null): number | null {
  try {
    const r = call('sinfo', ['--noheader', '--format', '%P|%C']);
    return r.status === 0 ? parsePartitionCpus(r.stdout, partition) : null;
  } catch {
    return null;
  }
}

/** Cancels jobs (or array tasks `123_4`); returns scancel's complaint, if any (e.g. a job already finished). */
export function scancel(ids: readonly string[]): string | null {
  return scancelEach(ids).complaint;
}

/**
 * scancel on `ids`: its complaint as `scancel` gives it, and the jobs it named as refused (`Kill job error on job id N:
 * Access/permission denied`, …) — those it will not end, which a caller need not wait for.
 */
export function scancelEach(ids: readonly string[]): { complaint: string | null; refused: Set<string> } {
  const refused = new Set<string>();
  if (ids.length === 0) return { complaint: null, refused };
  const r = call('scancel', [...ids]);
  if (r.status === 0) return { complaint: null, refused };
  for (const m of r.stderr.matchAll(/error on job id (\d+(?:_\d+)?)\b/gi)) if (ids.includes(m[1]!)) refused.add(m[1]!);
  return { complaint: lastLine(r.stderr) || `scancel exited with status ${r.status}`, refused };
}

/** The task indices of an ArrayTaskId field: `4` → [4]; `0-3,5%2` → [0, 1, 2, 3, 5]. */
export function expandTaskRange(text: string, limit = 1_000_000): number[] {
  const out: number[] = [];
  for (const part of text.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = a; i <= b && out.length < limit; i += step) out.push(i);
  }
  return out;
}
