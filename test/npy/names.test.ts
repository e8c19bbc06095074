/**
 * Names inside an NPZ are shown in messages and in `inspect`: a member name or a header that holds a
 * line break or a terminal escape must never print a second (forged) line or reach the terminal raw.
 * Member names with control characters are refused (escaped in the message); what a `.npy` header or
 * a pickle quotes is escaped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/npy/npy.js';
import { NpzReader, encodeNpz } from '../../src/npy/npz.js';
import { NpyError, NpzError } from '../../src/npy/errors.js';
import type { NdArray } from '../../src/npy/types.js';
import { hasUnprintable, printable, quoted } from '../../src/text.js';
import { OP, headerDict, latin1, npyWithHeader, zipOf } from './craft.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'ptychostudy-names-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const f8: NdArray = { dtype: '<f8', shape: [2], data: Float64Array.from([1, 2]) };
const FORGED = 'diffraction\nptychostudy inspect: FAKE\x1b[31mred';

function throwsMessage(fn: () => unknown, cls: typeof NpyError | typeof NpzError, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.ok(!hasUnprintable(err.message), 'the message itself is printable');
    return true;
  });
}

test('printable and quoted escape what could end a line or drive a terminal, and cut long text', () => {
  assert.equal(printable('ok\nptychostudy lsqml: done\x1b[2K'), 'ok\\nptychostudy lsqml: done\\u001b[2K');
  assert.equal(printable('tab\there\r\u0000\u007f\u009b'), 'tab\\there\\r\\u0000\\u007f\\u009b');
  assert.equal(printable('line\u2028sep \u202eright-to-left\u2066'), 'line\\u2028sep \\u202eright-to-left\\u2066');
  assert.equal(printable('lone \ud800 surrogate, pair 😀 kept'), 'lone \\ud800 surrogate, pair 😀 kept');
  assert.equal(printable('objectGuess'), 'objectGuess');
  assert.equal(printable('C:\\data\\x.npz'), 'C:\\data\\x.npz', 'a backslash is kept as it is');
  assert.equal(printable('x'.repeat(250)), `${'x'.repeat(200)}… (50 more characters)`);
  assert.equal(printable('abc', 2), 'ab… (1 more characters)');
  assert.equal(quoted('a"b\n\u0085'), '"a\\"b\\n\\u0085"');
  assert.equal(hasUnprintable('diffraction'), false);
  assert.equal(hasUnprintable('a\u2029'), true);
});

test('an NPZ member name with a line break or an escape sequence is refused, the name escaped in the one line', () => {
  const bytes = zipOf({ [`${FORGED}.npy`]: encodeNpy(f8) });
  throwsMessage(() => NpzReader.fromBytes(bytes, 'names.npz'), NpzError,
    'names.npz: member name "diffraction\\nptychostudy inspect: FAKE\\u001b[31mred.npy" contains a control character ' +
    '(a line break, an escape sequence or a bidirectional mark); refusing the archive');
  // C1 controls, DEL and bidirectional overrides too (JSON quoting alone leaves those raw)
  for (const [name, shown] of [['a\u009b2Jb', 'a\\u009b2Jb'], ['a\u007fb', 'a\\u007fb'], ['evil\u202egpj', 'evil\\u202egpj'], ['x\u2028y', 'x\\u2028y']]) {
    throwsMessage(() => NpzReader.fromBytes(zipOf({ [`${name}.npy`]: encodeNpy(f8) }), 'c.npz'), NpzError,
      `c.npz: member name "${shown}.npy" contains a control character (a line break, an escape sequence or a bidirectional mark); refusing the archive`);
  }
  // ordinary names, non-ASCII ones included, still read
  const ok = NpzReader.fromBytes(Buffer.concat(encodeNpz({ objectGuess: f8, 'température_°C': f8 })), 'ok.npz');
  assert.deepEqual(ok.keys(), ['objectGuess', 'température_°C']);
  // and the writer refuses to make such a member
  throwsMessage(() => encodeNpz({ [FORGED]: f8 }, {}, 'out.npz'), NpzError,
    'out.npz: key "diffraction\\nptychostudy inspect: FAKE\\u001b[31mred" contains a control character (a line break, an escape sequence or a bidirectional mark)');
});

test('inspect of an NPZ with a forged member name prints one line and no escape sequence', () => {
  const file = join(root, 'forged.npz');
  writeFileSync(file, zipOf({ [`${FORGED}.npy`]: encodeNpy(f8), 'xcoords.npy': encodeNpy(f8) }));
  const r = ptychostudy(['inspect', file]);
  assertRefused(r, 'inspect', `${file}: member name "diffraction\\nptychostudy inspect: FAKE\\u001b[31mred.npy" contains a control character ` +
    '(a line break, an escape sequence or a bidirectional mark); refusing the archive');
  assert.equal(r.stdout, '');
});

test('what a .npy header or a pickle quotes is escaped: extra header keys, a dtype, a global name', () => {
  const extra = npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (0,), 'x\\nptychostudy: forged\\x1b[2K': 1, }`);
  throwsMessage(() => parseNpy(extra, 'h.npy'), NpyError,
    'h.npy: malformed .npy header (keys descr,fortran_order,shape,x\\nptychostudy: forged\\u001b[2K; expected descr, fortran_order, shape)');
  const dtype = npyWithHeader(headerDict('<f8\\n\\x1b[31m', [0]));
  throwsMessage(() => parseNpy(dtype, 'd.npy'), NpyError, 'd.npy: expected a dtype of float32/64, complex64/128, int8–64, uint8–64, bool, a fixed-length string or an object array; found "<f8\\n\\u001b[31m"');
  const pickle = npyWithHeader(headerDict('|O', []), Uint8Array.from([OP.PROTO, 2, OP.GLOBAL, ...latin1('os\x1b[2K\nsystem\n'), OP.STOP]));
  throwsMessage(() => parseNpy(pickle, 'p.npy'), NpyError,
    "p.npy: object array pickle references the global os\\u001b[2K.system; only numpy's array reconstruction " +
    '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed');
});
