/**
 * A lock's name taken by something that is no lock file — a directory, a symbolic link (dangling or not) — is
 * one error naming the path, what was expected and what was found (InputError, exit code 2), for `tryLock`
 * and for `lockHolder`: never a bare EISDIR, and never "another process is writing" with a holder made up
 * from a lock that "changed hands 50 times". The entry is left as it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder, LockBusyError, tryLock } from '../../src/files/lock.js';
import { exitCodeFor, InputError } from '../../src/errors.js';
import { tempDir } from '../tmp.js';

const root = tempDir('lock-entry');

function refused(path: string, found: RegExp): void {
  for (const call of [() => tryLock(path, 'test', 'root'), () => lockHolder(path)]) {
    assert.throws(call, (err: unknown) => {
      assert.ok(err instanceof InputError && !(err instanceof LockBusyError), `expected an InputError naming the entry, got ${String(err)}`);
      assert.equal(exitCodeFor(err), 2);
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.match(err.message, /expected a lock file/);
      assert.match(err.message, found);
      return true;
    });
  }
}

test('a directory where the lock file goes is refused, naming it', () => {
  const path = join(root, 'a', '.test.lock');
  mkdirSync(path, { recursive: true });
  refused(path, /found a directory/);
  assert.ok(lstatSync(path).isDirectory());
});

test('a dangling symbolic link where the lock file goes is refused, naming it', () => {
  mkdirSync(join(root, 'b'));
  const path = join(root, 'b', '.test.lock');
  symlinkSync(join(root, 'nowhere'), path);
  refused(path, /found a symbolic link/);
  assert.equal(readlinkSync(path), join(root, 'nowhere'));
});

test('a symbolic link to a file where the lock file goes is refused, naming it', () => {
  mkdirSync(join(root, 'c'));
  const target = join(root, 'c', 'elsewhere');
  writeFileSync(target, '');
  const path = join(root, 'c', '.test.lock');
  symlinkSync(target, path);
  refused(path, /found a symbolic link/);
});
