// Writes the published JSON Schemas under schemas/, generated from the zod schemas:
//   reconstruction_manifest.schema.json, skip_summary.schema.json   src/study/hub/reconstruction-files.ts
//   settings.schema.json                                            src/settings/schema.ts
// Run after `npx tsc -p .`:
//   node scripts/gen-schemas.mjs          (write)
//   node scripts/gen-schemas.mjs --check  (exit 1 when the committed files differ)
import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const { jsonSchemas } = await import(join(repo, 'dist/src/study/hub/reconstruction-files.js'));
const { settingsJsonSchema, SETTINGS_SCHEMA_FILE } = await import(join(repo, 'dist/src/settings/schema.js'));
const check = process.argv.includes('--check');
let stale = 0;
mkdirSync(join(repo, 'schemas'), { recursive: true });
for (const [name, text] of Object.entries({ ...jsonSchemas(), [SETTINGS_SCHEMA_FILE]: settingsJsonSchema() })) {
  const path = join(repo, 'schemas', name);
  let current = null;
  try { current = readFileSync(path, 'utf8'); } catch { /* new */ }
  if (current === text) continue;
  if (check) {
    console.error(`schemas/${name} is out of date; run node scripts/gen-schemas.mjs`);
    stale++;
  } else {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
    console.log(`wrote schemas/${name}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
