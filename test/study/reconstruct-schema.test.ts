import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemas, SCHEMA_FILES } from '../../src/study/hub/reconstruction-files.js';
import { phaseF, testEngine, tmp, writeTree } from './reconstruct-helpers.js';

test('the committed JSON Schemas under schemas/ are the ones generated from the zod schemas', () => {
  const generated = jsonSchemas();
  assert.deepEqual(Object.keys(generated).sort(), Object.values(SCHEMA_FILES).sort());
  for (const [name, text] of Object.entries(generated)) {
    assert.equal(readFileSync(join('schemas', name), 'utf8'), text,
      `schemas/${name} is stale: run npx tsc -p . && node scripts/gen-schemas.mjs`);
    const schema = JSON.parse(text) as Record<string, unknown>;
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.ok((schema.required as string[]).includes('schema_version'));
  }
});

function pythonWithJsonschema(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import jsonschema'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

test('files written by a run validate against the published JSON Schemas (independent validator)', async (t) => {
  const py = pythonWithJsonschema();
  if (py === null) { t.skip('python3 with jsonschema not available'); return; }
  const root = tmp('schema');
  const tree = writeTree(root, { doses: [1000, 10000], views: ['dense'] });
  const engine = testEngine(/dense_test/);
  const base = { phaseCRoot: tree.phaseC, phaseDRoot: tree.phaseD, artifactRoot: tree.artifact, doses: [1000, 10000], allowMissingPhaseD: true,
    settings: { epochs: 2 }, executor: engine.executor };
  await phaseF({ ...base, filters: { dose: 1000 } });
  const second = await phaseF({ ...base, filters: { dose: 1000 }, force: true });
  const code = 'import json, sys, jsonschema\n' +
    'for schema, doc in zip(sys.argv[1::2], sys.argv[2::2]):\n' +
    '    jsonschema.Draft202012Validator(json.load(open(schema))).validate(json.load(open(doc)))\n' +
    'print("ok")\n';
  const m = join(tree.artifact, 'reconstruction_manifest.json');
  const s = join(tree.artifact, 'skip_summary.json');
  const args = [join('schemas', SCHEMA_FILES.manifest), m, join('schemas', SCHEMA_FILES.skipSummary), s,
    join('schemas', SCHEMA_FILES.manifest), join(second.snapshotDir, 'reconstruction_manifest.json')];
  const r = spawnSync(py, ['-c', code, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // and a document that breaks the schema is rejected by it (the check can fail)
  const bad = join(root, 'bad.json');
  const doc = JSON.parse(readFileSync(s, 'utf8')) as Record<string, unknown>;
  writeFileSync(bad, JSON.stringify({ ...doc, timestamp: '2025-11-04T05:26:29.012417' }));
  const r2 = spawnSync(py, ['-c', code, join('schemas', SCHEMA_FILES.skipSummary), bad], { encoding: 'utf8' });
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /ValidationError/);
  rmSync(root, { recursive: true, force: true });
});
