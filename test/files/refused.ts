/** The assertion the file readers' tests share: `fn` throws one `InputError` of one line that matches `message`. */
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';

export function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.message.split('\n').length, 1);
    assert.match(e.message, message);
    return true;
  });
}
