/**
 * `overlap.order: raster` selects what the reference study's own `greedy_min_spacing_selection` selects: the
 * committed sets and the indices kept were made by that function (PtychoPINN's code, executed by
 * scripts/make-overlap-selection-fixture.py; a fingerprint of the function and where its text came from are in the file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectMinSpacing } from '../../src/geometry/spacing.js';
import { buildView, rasterOrder, readPhaseCSplit } from '../../src/study/overlap/view.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { phaseCArrays, studySplit } from './overlap-fixtures.js';

interface Case { name: string; threshold: number; x: number[]; y: number[]; kept: number[] }
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/overlap/reference-greedy.json', import.meta.url)), 'utf8')) as { cases: Case[] };

test('raster order keeps exactly the positions the reference\'s greedy_min_spacing_selection keeps', () => {
  assert.equal(fixture.cases.length, 6);
  for (const c of fixture.cases) {
    const sel = selectMinSpacing(c.x, c.y, c.threshold, rasterOrder(c.x, c.y));
    assert.deepEqual(Array.from(sel.selected), c.kept, c.name);
  }
});

test('raster order is by y, then x, then index; the seeded order (the default) keeps other positions', () => {
  assert.deepEqual(Array.from(rasterOrder([3, 1, 2, 1], [0, 5, 0, 5])), [2, 0, 1, 3]);
  const src = phaseCArrays(studySplit(400, 1));
  const split = readPhaseCSplit(src, 'f');
  const req = { view: 'dense', overlapFraction: 0.7, split: 'train', seed: 456, sourceFile: 'f' };
  const seeded = buildView(split, req);
  const raster = buildView(split, { ...req, order: 'raster' });
  assert.notDeepEqual(raster.selected, seeded.selected);
  assert.equal(raster.metadata['order'], 'raster');
  assert.equal(seeded.metadata['order'], undefined, 'the seeded order writes what it wrote before');
  assert.match(String(raster.metadata['visiting_order']), /sorted by y, then x, then index/);
  // the setting, with its default and its refusal
  assert.equal(parseStudySettings({}).overlap.order, 'seeded');
  assert.equal(parseStudySettings({ overlap: { order: 'raster' } }).overlap.order, 'raster');
  assert.throws(() => parseStudySettings({ overlap: { order: 'yx' as 'raster' } }), /overlap\.order/);
});
