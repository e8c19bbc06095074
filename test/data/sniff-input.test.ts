/** A file a command was given to read that is not there is said in words, naming the file and what it was for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sniffInputFile } from '../../src/data/hdf5/signature.js';
import { InputError } from '../../src/errors.js';
import { tempDir } from '../tmp.js';

test('sniffInputFile: a path that names nothing is "no such file" (was Node\'s ENOENT text with its stat call)', () => {
  const dir = tempDir('sniff');
  const absent = join(dir, 'absent.npz');
  assert.throws(() => sniffInputFile(absent, 'the object file'), (e: unknown) => e instanceof InputError && e.message === `${absent}: cannot read the object file (no such file)`);
  writeFileSync(join(dir, 'file'), 'x');
  const under = join(dir, 'file', 'probe.h5');
  assert.throws(() => sniffInputFile(under, 'the probe file'), (e: unknown) => e instanceof InputError &&
    e.message === `${under}: cannot read the probe file (a part of the path is not a directory)`);
});
