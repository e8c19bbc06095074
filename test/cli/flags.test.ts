/** Flag values of the wrong kind are a UsageError saying what the flag takes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integerFlag } from '../../src/cli/flags.js';
import { UsageError } from '../../src/errors.js';

test('integerFlag: a word or a fraction is refused as "expected an integer" (a word was "expected a number", which 2.5 is)', () => {
  const refused = (text: string) => (e: unknown): boolean => e instanceof UsageError && e.message === `--epochs ${text}: expected an integer`;
  assert.throws(() => integerFlag('--epochs', 'ten'), refused('ten'));
  assert.throws(() => integerFlag('--epochs', '2.5'), refused('2.5'));
  assert.throws(() => integerFlag('--epochs', ' '), refused(' '));
  assert.equal(integerFlag('--epochs', '1e3'), 1000);
  assert.equal(integerFlag('--epochs', undefined), undefined);
});
