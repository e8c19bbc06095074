/**
 * The line a stop during start-up prints (before a command has a handler of its own): the command, that its work had
 * not begun, and the command line that starts it again, quoted for a shell — or the stop alone without a command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpStoppedMessage } from '../../src/cli/interrupt.js';

test('a stop during start-up names the command and the command line that starts it again; without a command, the stop alone', () => {
  assert.equal(startUpStoppedMessage('SIGINT', ['lsqml', '--input', 'my scan.cxi', '--out', 'o']),
    "ptychostudy lsqml: interrupted while starting, before its work began. Start again with: ptychostudy lsqml --input 'my scan.cxi' --out o");
  assert.equal(startUpStoppedMessage('SIGHUP', ['run']), 'ptychostudy run: hung up (SIGHUP) while starting, before its work began. Start again with: ptychostudy run');
  assert.equal(startUpStoppedMessage('SIGTERM', []), 'ptychostudy: terminated (SIGTERM)');
  assert.equal(startUpStoppedMessage('SIGINT', ['--version']), 'ptychostudy: interrupted');
  // what is not a command's name is not shown as one (it goes to the terminal as it is)
  assert.equal(startUpStoppedMessage('SIGINT', ['\x1b[2Jrun']), 'ptychostudy: interrupted');
});
