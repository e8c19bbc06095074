/**
 * One writer per root, across processes and machines: the lock every command that writes a shared root
 * takes (docs/limits.md, "Locks", states the protocol and what it relies on).
 *
 *  create    the owner record (JSON: host, boot id, pid namespace, pid, the process's start time, a random
 *            token) is written and synced to a temporary sibling, then hard-linked to the lock's name:
 *            link() fails when the name exists, so exactly one process creates the lock, and the lock
 *            never exists half-written. On NFS a lost reply is recognised by the temporary file's link
 *            count (2 = the link was made). Where a file system has no hard links, O_EXCL create + write.
 *  hold      a heartbeat thread sets the lock's mtime every 5 s (through the descriptor of the file this
 *            process created, so it never touches another holder's lock) and notices when the name no
 *            longer refers to that file (`lost`).
 *  stale     same host (host name, boot id and pid namespace agree): the pid is not running, or it is
 *            running but started at another time than recorded (the pid was reused; Linux
 *            /proc/<pid>/stat field 22); where the start time cannot be read, the heartbeat decides.
 *            Other host: no heartbeat for longer than the lease (60 s, PTYCHOSTUDY_LOCK_LEASE).
 *            A lock that cannot be parsed (empty: a crash between create and write of the O_EXCL path,
 *            or a foreign file) is held while younger than 10 s, stale after. A lock of the earlier
 *            format (the pid only) is this host's: stale when that pid is gone or started after the lock.
            A directory or a symbolic link in the lock's place is an InputError naming it (never followed or removed).
 *  take over only under a second lock (`<lock>.takeover`, held for microseconds): the lock is read again
 *            and judged again, renamed to a unique name, and removed only if the renamed file is the
 *            same file (device + inode) that was judged stale — so two processes that both see a stale
 *            lock never both win, and a fresh lock is never removed in its place.
 *  release   stops the heartbeat and removes the lock only if the name still refers to this process's
 *            file; locks still held when the process exits are released by an exit hook.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants, existsSync, fstatSync, fsyncSync, futimesSync, linkSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync,
  renameSync, rmdirSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../errors.js';
import { printable } from '../text.js';
import { NO_HARD_LINKS, tempNameFor, writeFailed } from './atomic.js';
import { entryKind } from './regular.js';

/** Default lease: a lock of another host is stale when its heartbeat is older than this. */
export const DEFAULT_LEASE_MS = 60_000;
/** The holder's heartbeat interval (fixed, so that every host judges leases against the same rhythm). */
export const HEARTBEAT_MS = 5_000;
/** The shortest lease accepted: three heartbeats. */
export const MIN_LEASE_MS = 3 * HEARTBEAT_MS;
/** An unparseable (e.g. empty) lock file younger than this counts as held: its creator may still be writing it. */
export const UNPARSEABLE_GRACE_MS = 10_000;
/** A takeover lock (held for microseconds) older than this is stale whatever its owner says. */
export const TAKEOVER_STALE_MS = 10_000;
/** How long merge steps wait for a busy lock by default. */
export const MERGE_WAIT_MS = 10 * 60_000;
/** Environment variable: the lease in seconds (≥ 15). */
export const LEASE_ENV = 'PTYCHOSTUDY_LOCK_LEASE';
/** Lock files are a few hundred bytes; a larger one is not ours and is not read further. */
const MAX_LOCK_BYTES = 4096;

export interface LockOptions {
  /** Wait this long (ms) for a busy lock before giving up; 0 = fail at once (default). */
  waitMs?: number;
  /** Lease (ms) after which another host's lock without heartbeat is stale; default PTYCHOSTUDY_LOCK_LEASE or 60 s. */
  leaseMs?: number;
  /** Heartbeat interval (ms); default 5 s. Tests use shorter ones. */
  heartbeatMs?: number;
  /**
   * Ends a wait for a busy lock when aborted (`waitForLock`, `withLock`): checked before each attempt and seen at once
   * during the pause between two, the wait then throws `LockWaitAbortedError` without the lock; `fn` is not run.
   */
  signal?: AbortSignal;
}

/** The owner record a lock file holds (one JSON line). */
export interface LockRecord {
  lock: 'ptychostudy';
  version: 1;
  /** What holds it, e.g. "reconstruct run". */
  owner: string;
  host: string;
  boot_id: string | null;
  pid_ns: string | null;
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22); null where unknown. */
  start_time: string | null;
  token: string;
  acquired_at: string;
}

/** Who holds a lock, as far as the lock file tells. */
export interface LockHolder {
  path: string;
  record: LockRecord | null;
  /** pid of a lock of the earlier format (the pid only). */
  legacyPid: number | null;
  /** Age of the last heartbeat (ms, by this machine's clock). */
  heartbeatAgeMs: number;
  /** One phrase for messages: "reconstruct run (pid 123) on host node7 since 2026-…Z". */
  description: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly record: LockRecord;
  /** True once the lock's name no longer refers to this process's lock file (it was taken over). */
  readonly lost: boolean;
  /** What was taken over to get the lock (a stale holder's description), if anything. */
  readonly tookOver: string | null;
  release(): void;
}

/** The lock is held by another live process (InputError: exit code 2). */
export class LockBusyError extends InputError {
  constructor(message: string, readonly holder: LockHolder) { super(message); this.name = 'LockBusyError'; }
}

/**
 * A wait for a busy lock ended by its `signal` (LockOptions): the lock was not taken. `cause` is the signal's reason;
 * the entry points that take a `signal` turn it into their own stopped error.
 */
export class LockWaitAbortedError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(readonly lockPath: string, cause: unknown) {
    super(`${dirname(lockPath)}: stopped by its signal while waiting for the lock ${lockPath}; the lock was not taken`, { cause });
    this.name = 'LockWaitAbortedError';
  }
}

// ─── this process ────────────────────────────────────────────────────────────────────────────────────

interface Identity { host: string; bootId: string | null; pidNs: string | null; startTime: string | null }
let me: Identity | null = null;

function readTrimmed(path: string): string | null {
  try { return readFileSync(path, 'utf8').trim() || null; } catch { return null; }
}

const PROC = existsSync('/proc/self/stat');

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); 'gone' when there is no such process; null where unknown. */
export function processStartTicks(pid: number): string | null | 'gone' {
  if (!PROC) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? 'gone' : null;
  }
  // field 2 (comm) is in parentheses and may hold spaces or parentheses: count from the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const v = fields[22 - 3];
  return v !== undefined && /^\d+$/.test(v) ? v : null;
}

function identity(): Identity {
  if (me === null) {
    let pidNs: string | null = null;
    try { pidNs = readlinkSync('/proc/self/ns/pid'); } catch { /* not Linux */ }
    const st = processStartTicks(process.pid);
    me = { host: hostname(), bootId: readTrimmed('/proc/sys/kernel/random/boot_id'), pidNs, startTime: typeof st === 'string' && st !== 'gone' ? st : null };
  }
  return me;
}

/** Boot time (ms since the epoch) from /proc/stat, for turning start ticks into a time; null where unknown. */
function bootTimeMs(): number | null {
  const m = /^btime (\d+)$/m.exec(readTrimmed('/proc/stat') ?? '');
  return m ? Number(m[1]) * 1000 : null;
}
/** Linux's USER_HZ: /proc/<pid>/stat counts in 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lease in ms: `leaseMs`, else PTYCHOSTUDY_LOCK_LEASE (seconds), else 60 s. */
export function leaseMs(opts: LockOptions = {}): number {
  if (opts.leaseMs !== undefined) return opts.leaseMs;
  const raw = process.env[LEASE_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_LEASE_MS;
  const s = Number(raw);
  if (!Number.isFinite(s) || s * 1000 < MIN_LEASE_MS) {
    throw new UsageError(`${LEASE_ENV}=${raw}: expected a lock lease in seconds, at least ${MIN_LEASE_MS / 1000} (three heartbeats of ${HEARTBEAT_MS / 1000} s)`);
  }
  return s * 1000;
}

// ─── reading and judging a lock file ─────────────────────────────────────────────────────────────────

interface LockFileState {
  dev: number;
  ino: number;
  mtimeMs: number;
  size: number;
  text: string;
  record: LockRecord | null;
  legacyPid: number | null;
}

/** The lock file at `path` (opened, so NFS revalidates its attributes), or null when there is none. */
function readLockFile(path: string): LockFileState | null {
  let fd: number;
  try {
    // never through a symbolic link: this process creates lock files, never links to them
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw notALockFile(path, 'a symbolic link');
    throw new InputError(`${path}: cannot read the lock file (${code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notALockFile(path, entryKind(st));
    const buf = Buffer.alloc(Math.min(st.size, MAX_LOCK_BYTES));
    let n = 0;
    while (n < buf.length) {
      const k = readSync(fd, buf, n, buf.length - n, n);
      if (k === 0) break;
      n += k;
    }
    const text = buf.subarray(0, n).toString('utf8');
    return { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, text, record: parseRecord(text), legacyPid: parseLegacy(text) };
  } finally {
    closeSync(fd);
  }
}

/** The lock's name is taken by something else (a directory, a symbolic link): it is neither held nor stale, and left alone. */
function notALockFile(path: string, found: string): InputError {
  return new InputError(`${path}: expected a lock file (a regular file this program creates); found ${found} — move it away`);
}

function parseRecord(text: string): LockRecord | null {
  if (!text.startsWith('{')) return null;
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  const r = v as Partial<LockRecord>;
  if (typeof v !== 'object' || v === null || r.lock !== 'ptychostudy' || typeof r.pid !== 'number' || !Number.isInteger(r.pid) || r.pid <= 0
    || typeof r.host !== 'string' || typeof r.token !== 'string') return null;
  return {
    lock: 'ptychostudy', version: 1, owner: typeof r.owner === 'string' ? r.owner : 'ptychostudy process', host: r.host,
    boot_id: typeof r.boot_id === 'string' ? r.boot_id : null, pid_ns: typeof r.pid_ns === 'string' ? r.pid_ns : null, pid: r.pid,
    start_time: typeof r.start_time === 'string' ? r.start_time : null, token: r.token,
    acquired_at: typeof r.acquired_at === 'string' ? r.acquired_at : '?',
  };
}

/** The earlier format: the holder's pid and a newline. */
function parseLegacy(text: string): number | null {
  const m = /^(\d{1,10})\n?$/.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function sameHost(r: LockRecord): boolean {
  const i = identity();
  if (r.host !== i.host) return false;
  if (r.boot_id !== null && i.bootId !== null && r.boot_id !== i.bootId) return false;
  if (r.pid_ns !== null && i.pidNs !== null && r.pid_ns !== i.pidNs) return false;
  return true;
}

type Verdict = { stale: false; holder: LockHolder } | { stale: true; reason: string };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function describe(path: string, st: LockFileState, now: number): LockHolder {
  const age = now - st.mtimeMs;
  const r = st.record;
  // owner, host and time come from the lock file: shown printable (a forged one could hold a line break)
  const description = r !== null ? `${printable(r.owner, 100)} (pid ${r.pid}) on host ${printable(r.host, 100)} since ${printable(r.acquired_at, 60)}`
    : st.legacyPid !== null ? `process (pid ${st.legacyPid}; lock of an earlier ptychostudy)`
      : `process (lock file of ${st.size} bytes that is not a ptychostudy owner record, written ${seconds(age)} ago)`;
  return { path, record: r, legacyPid: st.legacyPid, heartbeatAgeMs: age, description };
}

/** Is the lock in `st` stale (its holder is gone) or held? See the module comment. */
function judge(path: string, st: LockFileState, lease: number, now = Date.now()): Verdict {
  const holder = describe(path, st, now);
  const age = now - st.mtimeMs;
  const r = st.record;
  if (r === null && st.legacyPid === null) {
    return age < UNPARSEABLE_GRACE_MS ? { stale: false, holder }
      : { stale: true, reason: `an unreadable lock file (${st.size} bytes) ${seconds(age)} old` };
  }
  if (r === null) {
    // the earlier format: a pid of this host, no start time, no heartbeat
    const pid = st.legacyPid!;
    if (!pidAlive(pid)) return { stale: true, reason: `pid ${pid} is no longer running` };
    const ticks = processStartTicks(pid);
    if (ticks === 'gone') return { stale: true, reason: `pid ${pid} is no longer running` };
    const boot = bootTimeMs();
    if (ticks !== null && boot !== null) {
      const startedMs = boot + (Number(ticks) * 1000) / TICKS_PER_SECOND;
      return startedMs > st.mtimeMs + 2000 ? { stale: true, reason: `pid ${pid} now belongs to a process started after the lock was written` }
        : { stale: false, holder };
    }
    return age > lease ? { stale: true, reason: `pid ${pid}: a lock without start time or heartbeat, ${seconds(age)} old` } : { stale: false, holder };
  }
  if (sameHost(r)) {
    if (!pidAlive(r.pid)) return { stale: true, reason: `${holder.description}: pid ${r.pid} is no longer running` };
    const ticks = processStartTicks(r.pid);
    if (ticks === 'gone') return { stale: true, reason: `${holder.description}: pid ${r.pid} is no longer running` };
    if (ticks !== null && r.start_time !== null) {
      return ticks === r.start_time ? { stale: false, holder }
        : { stale: true, reason: `${holder.description}: pid ${r.pid} now belongs to another process (started at tick ${ticks}, the holder at ${r.start_time})` };
    }
  }
  return age > lease ? { stale: true, reason: `${holder.description}: no heartbeat for ${seconds(age)} (lease ${seconds(lease)})` }
    : { stale: false, holder };
}

/** Who holds the lock at `lockPath` now (null when nobody does, or its holder is gone). */
export function lockHolder(lockPath: string, opts: LockOptions = {}): LockHolder | null {
  const st = readLockFile(lockPath);
  if (st === null) return null;
  const v = judge(lockPath, st, leaseMs(opts));
  return v.stale ? null : v.holder;
}

// ─── creating and removing lock files ───────────────────────────────────────────────────────────────

function newRecord(owner: string): LockRecord {
  const i = identity();
  return {
    lock: 'ptychostudy', version: 1, owner, host: i.host, boot_id: i.bootId, pid_ns: i.pidNs, pid: process.pid,
    start_time: i.startTime, token: randomBytes(8).toString('hex'), acquired_at: new Date().toISOString(),
  };
}

function writeAll(fd: number, text: string): void {
  const b = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/**
 * Creates `path` holding `record`, exclusively; returns an open (read-only) descriptor of the new file, or
 * null when `path` exists. The record is complete before the name appears: it is written to a temporary
 * file and closed (which, on NFS, sends it to the server), then hard-linked to `path`.
 */
function createExclusive(path: string, record: LockRecord): number | null {
  const text = JSON.stringify(record) + '\n';
  const tmp = tempNameFor(path);
  let w: number;
  try {
    w = openSync(tmp, 'wx', 0o644);
  } catch (err) {
    throw writeFailed(path, err); // a full disk: the lock's own name, not its temporary one
  }
  try {
    writeAll(w, text);
    closeSync(w);
  } catch (err) {
    try { closeSync(w); } catch { /* closed, or the write's error is the one to report */ }
    try { unlinkSync(tmp); } catch { /* gone */ }
    throw writeFailed(path, err);
  }
  const fd = openSync(tmp, 'r');
  let linked = false;
  try {
    linkSync(tmp, path);
    linked = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    linked = code === 'EEXIST' && fstatSync(fd).nlink === 2; // NFS: the reply was lost, the link was made
    if (!linked) {
      closeSync(fd);
      try { unlinkSync(tmp); } catch { /* gone */ }
      if (code === 'EEXIST') return null;
      if (NO_HARD_LINKS.has(code)) return createWithExcl(path, text);
      throw writeFailed(path, err); // a full disk (tmpfs counts a link against its inodes): the lock's own name
    }
  }
  unlinkSync(tmp);
  return fd;
}

/** File systems without hard links: O_EXCL create, then the record (an empty lock is held for UNPARSEABLE_GRACE_MS). */
function createWithExcl(path: string, text: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw writeFailed(path, err);
  }
  try {
    writeAll(fd, text);
    fsyncSync(fd); // on NFS, so that other clients read the record, not an empty file
  } catch (err) {
    // a full disk: no empty lock file is left to stand for a holder
    try { closeSync(fd); } catch { /* the write's error is the one to report */ }
    try { unlinkSync(path); } catch { /* gone */ }
    throw writeFailed(path, err);
  }
  return fd;
}

/**
 * Removes `path` only if it is still the file `st` describes: renames it to a unique name first, then
 * checks device and inode; a newer file moved by mistake is linked back.
 */
function removeIfSame(path: string, st: LockFileState): boolean {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = statSync(aside);
  if (moved.dev === st.dev && moved.ino === st.ino) {
    unlinkSync(aside);
    return true;
  }
  try { linkSync(aside, path); } catch { /* the name was taken meanwhile; that holder's heartbeat reports it lost */ }
  try { unlinkSync(aside); } catch { /* gone */ }
  return false;
}

/** Removes the stale lock `judged` under the takeover lock; returns the stale holder's description when it did. */
function takeOver(lockPath: string, judged: LockFileState, lease: number): string | null {
  const tk = `${lockPath}.takeover`;
  const fd = createExclusive(tk, newRecord(`takeover of ${basename(lockPath)}`));
  if (fd === null) {
    // someone else is taking over, or died doing so (a takeover lasts microseconds)
    const ts = readLockFile(tk);
    if (ts !== null && judge(tk, ts, Math.min(lease, TAKEOVER_STALE_MS)).stale) removeIfSame(tk, ts);
    return null;
  }
  const mine = fstatSync(fd);
  try {
    const cur = readLockFile(lockPath);
    if (cur === null || cur.dev !== judged.dev || cur.ino !== judged.ino || cur.text !== judged.text) return null;
    const v = judge(lockPath, cur, lease);
    if (!v.stale) return null;
    return removeIfSame(lockPath, cur) ? v.reason : null;
  } finally {
    try {
      const st = statSync(tk);
      if (st.dev === mine.dev && st.ino === mine.ino) unlinkSync(tk);
    } catch { /* gone */ }
    closeSync(fd);
  }
}

// ─── holding: heartbeat, release, exit hook ──────────────────────────────────────────────────────────

/**
 * The heartbeat thread, one per process, shared by every lock it holds: every `s[1]` ms it sets the
 * mtime of each active slot's file through the slot's descriptor. Slot i is s[2 + 2i] (0 free, 1 active,
 * 2 being touched, 3 stopping) and s[3 + 2i] (the descriptor). A slot is only touched while active, so
 * once `stop` returns the descriptor may be closed. Being a thread of its own, it beats while the main
 * thread computes.
 */
const HEARTBEAT_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const s = new Int32Array(workerData.sab);
for (;;) {
  Atomics.wait(s, 0, 0, Atomics.load(s, 1));
  const now = new Date();
  for (let i = 0; i < workerData.slots; i++) {
    const b = 2 + 2 * i;
    if (Atomics.compareExchange(s, b, 1, 2) !== 1) continue;
    try { fs.futimesSync(Atomics.load(s, b + 1), now, now); } catch { /* the lease decides */ }
    Atomics.store(s, b, 1);
  }
}
`;
const HEARTBEAT_SLOTS = 64;
let beats: Int32Array | null | 'none' = null;

function heartbeatTable(): Int32Array | null {
  if (beats === null) {
    const sab = new SharedArrayBuffer(4 * (2 + 2 * HEARTBEAT_SLOTS));
    const s = new Int32Array(sab);
    s[1] = HEARTBEAT_MS;
    try {
      const w = new Worker(HEARTBEAT_SOURCE, { eval: true, workerData: { sab, slots: HEARTBEAT_SLOTS } });
      w.unref();
      w.on('error', () => { /* no heartbeat: other hosts then judge by the lease */ });
      beats = s;
    } catch {
      beats = 'none';
    }
  }
  return beats === 'none' ? null : beats;
}

interface Heartbeat { stop(): void }

function startHeartbeat(fd: number, interval: number): Heartbeat {
  const s = heartbeatTable();
  if (s !== null) {
    if (interval < Atomics.load(s, 1)) {
      Atomics.store(s, 1, interval);
      Atomics.notify(s, 0); // the thread may be waiting out a longer interval
    }
    for (let i = 0; i < HEARTBEAT_SLOTS; i++) {
      const b = 2 + 2 * i;
      if (Atomics.compareExchange(s, b, 0, 3) !== 0) continue;
      Atomics.store(s, b + 1, fd);
      Atomics.store(s, b, 1);
      return {
        stop: () => {
          // wait out a touch in progress; afterwards the thread never uses this descriptor again
          while (Atomics.compareExchange(s, b, 1, 3) === 2) Atomics.wait(s, 0, 0, 1);
          Atomics.store(s, b, 0);
        },
      };
    }
  }
  // no heartbeat thread (or every slot taken): beat from this thread
  const t = setInterval(() => {
    try { const now = new Date(); futimesSync(fd, now, now); } catch { /* the lease decides */ }
  }, interval);
  t.unref();
  return { stop: () => clearInterval(t) };
}

const held = new Set<{ release(): void }>();
let exitHook = false;

/** Removes `dir` and its parents up to `top` while they are empty (what taking a lock created, when nothing else was written). */
function removeEmptyDirs(dir: string, top: string): void {
  for (let d = dir; ; d = dirname(d)) {
    try { rmdirSync(d); } catch { return; }
    if (d === top || dirname(d) === d) return;
  }
}

function hold(path: string, fd: number, record: LockRecord, interval: number, tookOver: string | null, madeDir: string | undefined): HeldLock {
  const beat = startHeartbeat(fd, interval);
  const mine = fstatSync(fd);
  let released = false;
  const lock: HeldLock = {
    path, record, tookOver,
    get lost() { return !released && !namesMine(); },
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      beat.stop();
      try {
        if (namesMine()) unlinkSync(path);
      } finally {
        closeSync(fd);
      }
      if (madeDir !== undefined) removeEmptyDirs(dirname(path), madeDir);
    },
  };
  function namesMine(): boolean {
    try {
      const st = statSync(path);
      return st.dev === mine.dev && st.ino === mine.ino;
    } catch {
      return false;
    }
  }
  held.add(lock);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => { for (const l of [...held]) { try { l.release(); } catch { /* exiting */ } } });
  }
  return lock;
}

// ─── acquiring ───────────────────────────────────────────────────────────────────────────────────────

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

type Attempt = { lock: HeldLock } | { busy: LockHolder };

/** One attempt: create, or judge the existing lock and take it over when stale; never waits for a live holder. */
function attempt(lockPath: string, owner: string, opts: LockOptions): Attempt {
  const lease = leaseMs(opts);
  const interval = opts.heartbeatMs ?? HEARTBEAT_MS;
  const madeDir = mkdirSync(dirname(lockPath), { recursive: true });
  let tookOver: string | null = null;
  let last: LockHolder | null = null;
  for (let i = 0; i < 50; i++) {
    const record = newRecord(owner);
    let fd: number | null;
    try {
      fd = createExclusive(lockPath, record);
    } catch (err) {
      // a full disk: no lock, and no folder made for it left behind
      if (madeDir !== undefined) removeEmptyDirs(dirname(lockPath), madeDir);
      throw err;
    }
    if (fd !== null) return { lock: hold(lockPath, fd, record, interval, tookOver, madeDir) };
    const st = readLockFile(lockPath);
    if (st === null) continue; // released meanwhile
    const v = judge(lockPath, st, lease);
    if (!v.stale) return { busy: v.holder };
    last = describe(lockPath, st, Date.now());
    tookOver = takeOver(lockPath, st, lease) ?? tookOver;
    sleepSync(1 + Math.random() * 4 * Math.min(i, 10)); // let a concurrent takeover finish
  }
  return { busy: last ?? { path: lockPath, record: null, legacyPid: null, heartbeatAgeMs: 0, description: 'process (the lock changed hands 50 times)' } };
}

/**
 * An owner named "<who> (reading)" holds the lock to read the root (a study run checking a phase it builds on):
 * said as "another <who> (pid N) … is reading this <place>", not as one writing into it.
 */
const READING_OWNER = / \(reading\)$/;

function busyMessage(lockPath: string, place: string, holder: LockHolder, waitedMs: number | null): string {
  const reading = holder.record !== null && READING_OWNER.test(holder.record.owner);
  const who = reading ? holder.description.replace(/^(.*?) \(reading\) \(pid /, '$1 (pid ') : holder.description;
  const doing = reading ? `is reading this ${place} (no other process writes into it meanwhile)` : `is writing into this ${place}`;
  const tail = waitedMs === null ? `${doing} (lock ${lockPath})`
    : `still holds this ${place} after a wait of ${seconds(waitedMs)} (lock ${lockPath})`;
  return `${dirname(lockPath)}: another ${who} ${tail}`;
}

/**
 * Throws the `LockBusyError` that `tryLock` would throw when a live process holds `lockPath` now; takes nothing and
 * writes nothing (a command that checks a root before it hands the work to others, who take the lock themselves).
 */
export function checkLockFree(lockPath: string, place: string, opts: LockOptions = {}): void {
  const holder = lockHolder(lockPath, opts);
  if (holder !== null) throw new LockBusyError(busyMessage(lockPath, place, holder, null), holder);
}

/**
 * Takes the lock `lockPath` at once, or throws a `LockBusyError` (exit code 2) naming the live holder:
 * "<dir>: another <owner> (pid N) on host H since T is writing into this <place> (lock <path>)".
 * A stale lock is taken over (module comment). Returns the function that releases it.
 */
export function acquireLock(lockPath: string, owner: string, place: string, opts: LockOptions = {}): () => void {
  const lock = tryLock(lockPath, owner, place, opts);
  return () => lock.release();
}

/** `acquireLock` returning the held lock itself (its record, `lost`, `release`). */
export function tryLock(lockPath: string, owner: string, place: string, opts: LockOptions = {}): HeldLock {
  const r = attempt(lockPath, owner, opts);
  if ('busy' in r) throw new LockBusyError(busyMessage(lockPath, place, r.busy, null), r.busy);
  return r.lock;
}

/**
 * The attempts of a wait for the lock: yields the pause before the next attempt (doubling from 25 ms to 500 ms,
 * with jitter) while another process holds it, returns the held lock, throws LockBusyError after `opts.waitMs`.
 */
function* lockAttempts(lockPath: string, owner: string, place: string, opts: LockOptions): Generator<number, HeldLock> {
  const waitMs = opts.waitMs ?? 0;
  const t0 = Date.now();
  let pause = 25;
  for (;;) {
    const r = attempt(lockPath, owner, opts);
    if ('lock' in r) return r.lock;
    const waited = Date.now() - t0;
    if (waited >= waitMs) throw new LockBusyError(busyMessage(lockPath, place, r.busy, waitMs > 0 ? waited : null), r.busy);
    yield Math.min(waitMs - waited, pause * (0.5 + Math.random()));
    pause = Math.min(pause * 2, 500);
  }
}

/**
 * Takes the lock, waiting up to `opts.waitMs` (polling with jitter) while another process holds it; an aborted
 * `opts.signal` ends the wait with `LockWaitAbortedError` (the lock not taken).
 */
export async function waitForLock(lockPath: string, owner: string, place: string, opts: LockOptions = {}): Promise<HeldLock> {
  const signal = opts.signal;
  if (signal?.aborted) throw new LockWaitAbortedError(lockPath, signal.reason);
  const attempts = lockAttempts(lockPath, owner, place, opts);
  for (let next = attempts.next(); ; next = attempts.next()) {
    if (next.done) return next.value;
    const ms = next.value;
    await pause(ms, signal);
    if (signal?.aborted) throw new LockWaitAbortedError(lockPath, signal.reason);
  }
}

/** Waits `ms`, or less when `signal` is aborted meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    const end = (): void => { clearTimeout(timer); signal?.removeEventListener('abort', end); done(); };
    const timer = setTimeout(end, ms);
    signal?.addEventListener('abort', end, { once: true });
  });
}

/**
 * `waitForLock` without returning to the event loop: for a stop handler, which must write its record before
 * the process exits. Waits up to `opts.waitMs` (polling with jitter) while another process holds the lock.
 */
export function waitForLockSync(lockPath: string, owner: string, place: string, opts: LockOptions = {}): HeldLock {
  const attempts = lockAttempts(lockPath, owner, place, opts);
  for (let next = attempts.next(); ; next = attempts.next()) {
    if (next.done) return next.value;
    sleepSync(next.value);
  }
}

/**
 * Runs `fn` holding the lock (taken at once, or after waiting up to `opts.waitMs`) and releases it after,
 * whatever happens. When the lock was taken over while `fn` ran (no heartbeat for longer than the lease,
 * e.g. a machine that stalled), the result is an Error saying so, since another writer may have written.
 */
export async function withLock<T>(lockPath: string, owner: string, place: string, fn: (lock: HeldLock) => T | Promise<T>,
  opts: LockOptions = {}): Promise<T> {
  const lock = await waitForLock(lockPath, owner, place, opts);
  let out: T;
  try {
    out = await fn(lock);
  } catch (err) {
    lock.release();
    throw err;
  }
  releaseChecked(lock, lockPath, owner, place);
  return out;
}

/**
 * Releases `lock` at the end of work that succeeded; throws an Error saying so when the lock was taken over
 * meanwhile (no heartbeat for longer than the lease): another process may have written at the same time.
 */
export function releaseChecked(lock: HeldLock, lockPath: string, owner: string, place: string): void {
  const lost = lock.lost;
  lock.release();
  if (lost) {
    throw new Error(`${dirname(lockPath)}: the lock ${lockPath} was taken over while this ${owner} held it (its heartbeat stopped for ` +
      `longer than the lease); another process may have written into this ${place} at the same time — check its merged files`);
  }
}
