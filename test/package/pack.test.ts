/**
 * The npm package: `npm pack` ships the built program and library (no tests, fixtures or sources), and
 * the tarball installed into an empty project with the runtime dependencies only (`--omit=dev`) runs its
 * `ptychostudy` binary with no build step — help, a settings file, a tiny generate and a 2-epoch LSQML
 * reconstruction (worker threads and WebAssembly from the package) — and imports as a library with its
 * type declarations (and requires from CommonJS where Node.js can). Skipped, with the reason, where npm is missing or cannot reach its registry or cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../study/reconstruct-helpers.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The environment without the variables of the npm that runs the tests (its own config and command). */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function npm(args: string[], cwd: string) {
  return spawnSync(NPM, args, { cwd, encoding: 'utf8', env, timeout: 480_000 });
}

function npmMissing(): string | null {
  const r = spawnSync(NPM, ['--version'], { encoding: 'utf8', env });
  return r.status === 0 ? null : `npm is not available (${r.error?.message ?? r.stderr.trim()})`;
}

test('npm pack ships the built tool; installed from the tarball it runs and imports without a build', { timeout: 600_000 }, (t) => {
  const why = npmMissing();
  if (why !== null) { t.skip(why); return; }
  const dir = tmp('pack');
  // dist/ is fresh (`npm test` builds first), so pack without running prepack's build again
  const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], process.cwd());
  assert.equal(pack.status, 0, pack.stderr);
  const info = (JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[])[0]!;
  const files = info.files.map((f) => f.path);
  for (const f of ['dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/wasm/fft.wasm', 'dist/wasm/lsqml.wasm',
    'dist/src/study/reconstruct/engine-worker.js', 'dist/src/engine/lsqml-worker.js', 'dist/src/math/fft-worker.js',
    'schemas/settings.schema.json', 'package.json', 'README.md', 'LICENSE', 'examples/slurm-scans.sh']) {
    assert.ok(files.includes(f), `${f} is not in the package`);
  }
  const stray = files.filter((f) => /^(test|dist\/test|dist\/bench|src|assembly|bench|scripts)\/|\.map$/.test(f));
  assert.deepEqual(stray, [], 'tests, fixtures, sources or source maps in the package');
  // 2.0 MB on 2026-12-07, 0.9 MB of it docs/img (the README's figures): the bound catches a fixture or build output shipped by mistake
  assert.ok(info.size < 2_500_000, `the package is ${info.size} bytes`);

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  const install = npm(['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], app);
  if (install.status !== 0) {
    const net = /ENOTFOUND|ENOTCACHED|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/i.exec(install.stderr);
    if (net) { t.skip(`npm cannot fetch the runtime dependencies here (${net[0]})`); return; }
    assert.fail(`npm install of the tarball failed:\n${install.stderr}`);
  }
  const bin = join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'ptychostudy.cmd' : 'ptychostudy');
  const pty = (args: string[]) => spawnSync(bin, args, { cwd: app, encoding: 'utf8', env, timeout: 300_000 });
  const help = pty(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: ptychostudy /);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(pty(['--version']).stdout.trim(), pkg.version);
  const cfg = pty(['config', '--print-defaults']);
  assert.equal(cfg.status, 0, cfg.stderr);
  assert.match(cfg.stdout, /^reconstruction:$/m);
  // a tiny study's first steps, from the installed package alone
  const gen = pty(['generate', '--out', 'c', '--dose', '1e4', '--n-images', '24']);
  assert.equal(gen.status, 0, gen.stderr);
  const rec = pty(['lsqml', '--input', join('c', 'dose_10000', 'patched_train.npz'), '--out', 'f', '--epochs', '2']);
  assert.equal(rec.status, 0, rec.stderr);
  assert.ok(existsSync(join(app, 'f', 'reconstruction.npz')));
  // the library entry and its types
  const lib = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import * as p from 'ptychostudy';
    const names = ['parseStudySettings', 'runStudy', 'runLsqmlJob', 'loadNpz', 'loadDataset', 'readCxi', 'readSettingsFile', 'frc'];
    console.log(JSON.stringify({ missing: names.filter((n) => typeof p[n] !== 'function'), epochs: p.settingsDefaults().reconstruction.epochs }));
  `], { cwd: app, encoding: 'utf8', env });
  assert.equal(lib.status, 0, lib.stderr);
  assert.deepEqual(JSON.parse(lib.stdout), { missing: [], epochs: 50 });
  const types = readFileSync(join(app, 'node_modules', 'ptychostudy', 'dist', 'src', 'index.d.ts'), 'utf8');
  assert.match(types, /runStudy/);
  assert.match(types, /StudySettings/);
  // a CommonJS script of the project requires it, where Node.js loads ES modules by require (20.19 and later)
  if ((process.features as { require_module?: boolean }).require_module) {
    const cjs = spawnSync(process.execPath, ['-e', "const p = require('ptychostudy'); console.log(typeof p.runLsqmlJob)"], { cwd: app, encoding: 'utf8', env });
    assert.equal(cjs.status, 0, cjs.stderr);
    assert.equal(cjs.stdout.trim(), 'function');
  }
});
