/**
 * Same seed, same bytes for a whole hub: the tiny study (`scripts/hub-digests.mjs`, one dose, six
 * 2-epoch reconstructions) is run through the CLI and every file's digest — every NPZ array, manifest,
 * log, figure, chart and the report, with times, durations and the hub's path taken out — must equal
 * the committed fixture `test/fixtures/hub-digests/tiny.json` (see its README for when and how it is
 * regenerated).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

type Digests = Record<string, string | Record<string, string>>;
interface DigestScript { FIXTURE: string; tinyStudyDigests(): Digests }

test('the tiny study writes exactly the files and bytes of the committed digests', { timeout: 300_000 }, async () => {
  const script = (await import(new URL('../../../scripts/hub-digests.mjs', import.meta.url).href)) as DigestScript;
  const expected = JSON.parse(readFileSync(script.FIXTURE, 'utf8')) as Digests;
  const got = script.tinyStudyDigests();
  assert.deepEqual(Object.keys(got), Object.keys(expected), 'the hub holds other files than the fixture lists');
  const differ: string[] = [];
  for (const [file, want] of Object.entries(expected)) {
    const have = got[file]!;
    if (typeof want === 'string') { if (have !== want) differ.push(file); continue; }
    for (const [member, d] of Object.entries(want)) {
      if ((have as Record<string, string>)[member] !== d) differ.push(`${file}:${member}`);
    }
    const extra = Object.keys(have as Record<string, string>).filter((m) => !(m in want));
    for (const m of extra) differ.push(`${file}:${m} (not in the fixture)`);
  }
  assert.deepEqual(differ, [], `files whose bytes differ from the fixture: ${differ.join(', ')}`);
});
