/**
 * A write that fails part-way (a full disk, a file size limit) names the file it was writing, and leaves
 * neither a temporary file nor a partial target behind; the earlier file at the target stays whole. The failure
 * is made real in a child process whose largest file is limited with `ulimit -f`.
 */
import { test } from 'node:test';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../tmp.js';
import { linkNew } from '../../src/files/atomic.js';

const ATOMIC = pathToFileURL(join(process.cwd(), 'dist', 'src', 'files', 'atomic.js')).href;

test('a write that fails part-way names the file, removes its temporary file and keeps the earlier file', () => {
  const dir = tempDir('atomic');
  const target = join(dir, 'summary.json');
  writeFileSync(target, '{"earlier": true}\n');
  const script = `import(${JSON.stringify(ATOMIC)}).then((m) => {
    try { m.writeJsonAtomic(${JSON.stringify(target)}, { data: 'x'.repeat(64 * 1024) }); console.log('written'); }
    catch (err) { console.log('code=' + err.code); console.log('message=' + err.message); }
  });`;
  // POSIX sh counts `ulimit -f` in 512-byte blocks: 16 KiB here, for a file of 64 KiB
  const r = spawnSync('/bin/sh', ['-c', 'ulimit -f 32 && exec "$@"', 'sh', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /^written$/m, 'the file size limit did not hold');
  assert.match(r.stdout, /^code=EFBIG$/m, 'the error keeps its code');
  const message = /^message=(.*)$/m.exec(r.stdout)?.[1] ?? '';
  assert.ok(message.includes(target), `the message does not name the file being written: ${message}`);
  assert.match(message, /file too large/);
  assert.deepEqual(readdirSync(dir), ['summary.json'], 'a temporary file was left behind');
  assert.equal(readFileSync(target, 'utf8'), '{"earlier": true}\n');
});

test('linkNew puts a file at a name no file holds, by a hard link or, on a file system without them, an exclusive create and a rename', (t) => {
  const dir = tempDir('link-new');
  const put = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
  // with hard links: the name taken, the temporary file still there for its caller to remove
  const taken = put('taken', 'earlier');
  assert.equal(linkNew(put('.tmp-a', 'new'), taken), false);
  assert.equal(readFileSync(taken, 'utf8'), 'earlier');
  assert.equal(linkNew(join(dir, '.tmp-a'), join(dir, 'a')), true);
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'new');
  // without (link() fails with EPERM on FAT, EOPNOTSUPP on some FUSE mounts): the same outcome, the temporary file renamed
  for (const code of ['EPERM', 'EOPNOTSUPP']) {
    const link = t.mock.method(fs, 'linkSync', () => { throw Object.assign(new Error(`${code}: link`), { code }); });
    syncBuiltinESMExports();
    try {
      const tmp = put(`.tmp-${code}`, code);
      assert.equal(linkNew(tmp, taken), false);
      assert.equal(readFileSync(taken, 'utf8'), 'earlier');
      assert.equal(linkNew(tmp, join(dir, code)), true);
      assert.equal(readFileSync(join(dir, code), 'utf8'), code);
      assert.ok(!existsSync(tmp));
      assert.equal(link.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  }
  // any other failure is thrown as it is
  assert.throws(() => linkNew(join(dir, '.tmp-missing'), join(dir, 'b')), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(dir).sort(), ['.tmp-a', 'EOPNOTSUPP', 'EPERM', 'a', 'taken']);
});
