/**
 * The files PtyPy itself wrote (test/fixtures/ptypy/, made by scripts/ptypy-reference.py; kept gzip'd whole), unpacked
 * into a temporary folder removed after the test file, and read as a user's data file is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readInputData } from '../../src/data/input.js';
import type { MeasuredData } from '../../src/data/measured.js';

export const PTYPY_FIXTURES = 'test/fixtures/ptypy';

/** `unpack(name)`: the file `name` as PtyPy wrote it, under that name in a folder of its own (`prefix`). */
export function ptypyUnpacker(prefix: string): (name: string) => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  test.after(() => rmSync(root, { recursive: true, force: true }));
  return (name) => {
    const p = join(root, name);
    writeFileSync(p, gunzipSync(readFileSync(join(PTYPY_FIXTURES, `${name}.gz`))));
    return p;
  };
}

/** The measured data of a .ptyd or CXI file, as `lsqml --input` reads it. */
export async function measured(path: string): Promise<MeasuredData> {
  const r = await readInputData(path);
  assert.ok(r.format === 'ptyd' || r.format === 'cxi', `${path}: read as ${r.format}`);
  return r.measured;
}
