/**
 * The terminal hangs up under a command (the SSH connection dropped): from then on every write to it fails with
 * EIO. In the terminal's session the command also gets SIGHUP (the login shell passes it on) and stops as for SIGTERM — its records written,
 * its lock released — with exit status 129; started in a session of its own (`setsid`, or `disown`ed) it gets no
 * signal, drops what it cannot print and works on to its end. Either way the exit status is the command's own,
 * not a crash of Node.js restoring a terminal that is gone.
 *
 * Node.js cannot open a pseudo-terminal, so a small Python program does (skipped where python3 is missing): the
 * command runs with the terminal as its stdin, stdout and stderr; once it has printed a given line the
 * terminal's master side is closed (the hang-up), and the program prints how the command ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

// argv: session ('same' | 'own'), the output after which the terminal hangs up, then the command. The terminal's session leader takes the hang-up as a login
// shell does: it passes the SIGHUP on to its job, the command — unless that runs in a session of its own — and
// reports how it ended.
const PTY = `
import os, pty, signal, sys
pid, fd = pty.fork()
if pid == 0:
    child = 0
    def hang_up(signum, frame):
        if sys.argv[1] == 'same':
            os.kill(child, signal.SIGHUP)
    signal.signal(signal.SIGHUP, hang_up)
    child = os.fork()
    if child == 0:
        if sys.argv[1] == 'own':
            os.setsid()
        os.execv(sys.argv[3], sys.argv[3:])
    _, st = os.waitpid(child, 0)
    os._exit(os.waitstatus_to_exitcode(st) & 0xff)
out = b''
while sys.argv[2].encode() not in out:
    try:
        out += os.read(fd, 4096)
    except OSError:
        break
os.close(fd)
_, st = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(st))
`;

const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' });
const skip = python.error !== undefined || python.status !== 0 ? 'python3 (with its pty module) is not available' : false;

/** Runs `generate` into `out` on a terminal that hangs up once it printed `after`; returns the command's exit status. */
function generateHungUp(session: 'same' | 'own', after: string, out: string): number {
  const r = spawnSync('python3', ['-c', PTY, session, after, process.execPath, CLI, 'generate', '--preset', 'quick', '--out', out],
    { encoding: 'utf8', timeout: 100_000 });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The doses run_manifest.json records, each checked against its files. */
function recordedDoses(out: string): string[] {
  if (!existsSync(join(out, 'run_manifest.json'))) return [];
  const manifest = JSON.parse(readFileSync(join(out, 'run_manifest.json'), 'utf8')) as Record<string, { train_sha256?: string; test_sha256?: string }>;
  const doses = Object.keys(manifest).filter((k) => k.startsWith('dose_')).sort();
  for (const d of doses) {
    for (const split of ['train', 'test'] as const) assert.equal(sha256(join(out, d, `patched_${split}.npz`)), manifest[d]![`${split}_sha256`]);
  }
  return doses;
}

test('generate in the terminal\'s session: the hang-up stops it with 129, what it recorded is whole, the lock is released', { skip, timeout: 120_000 }, () => {
  const out = join(tempDir('hang-up-same'), 'c');
  assert.equal(generateHungUp('same', 'complete for dose=1000 ', out), 129);
  const doses = recordedDoses(out);
  assert.ok(doses.includes('dose_1000') && doses.length < 3, doses.join(' '));
  assert.ok(!existsSync(join(out, '.generate.lock')), readdirSync(out).join(' '));
});

test('generate in a session of its own (setsid): it drops what it cannot print, finishes every dose and exits 0', { skip, timeout: 120_000 }, () => {
  const out = join(tempDir('hang-up-own'), 'c');
  assert.equal(generateHungUp('own', 'positions', out), 0);
  assert.deepEqual(recordedDoses(out), ['dose_1000', 'dose_10000', 'dose_100000']);
  assert.ok(!existsSync(join(out, '.generate.lock')), readdirSync(out).join(' '));
});
