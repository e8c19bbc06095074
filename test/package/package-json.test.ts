/**
 * package.json's `exports`: what the package ships for callers is reachable through its name — the entry,
 * package.json and the published JSON Schemas (the settings file's schema, the Phase F manifests') — and the
 * internal modules are not (they are no API). Resolved by self-reference, as an installed package resolves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

test('the entry, package.json and every published schema resolve through the package name; internal modules do not', () => {
  assert.match(require.resolve('ptychostudy'), /dist\/src\/index\.js$/);
  assert.match(require.resolve('ptychostudy/package.json'), /package\.json$/);
  for (const name of ['settings', 'reconstruction_manifest', 'skip_summary']) {
    const path = require.resolve(`ptychostudy/schemas/${name}.schema.json`);
    const schema = JSON.parse(readFileSync(path, 'utf8')) as { $schema?: string };
    assert.ok(typeof schema.$schema === 'string', `${name}: a JSON Schema`);
  }
  assert.throws(() => require.resolve('ptychostudy/dist/src/npy/npz.js'), /ERR_PACKAGE_PATH_NOT_EXPORTED|not defined by "exports"/);
});
