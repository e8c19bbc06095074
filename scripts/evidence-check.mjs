#!/usr/bin/env node
// Checks, through the CLI, that no command loses an earlier result when it is run again into the same place
// (not part of `npm test`; needs a build).
//
// For each command that writes files (run, generate, overlap, reconstruct, compare, report, lsqml, export) it runs
// the command once into a fresh output, then again into the same output in a series of scenarios: as is, with
// --overwrite or --force where the command has one, with a changed setting (another seed, epoch count or option),
// after one output file was deleted by hand and after one was corrupted by hand (a data file and a JSON record).
// Before and after each run it records the SHA-256 of every file under the output, and then checks
//   - that the bytes of every file that was there before the run still exist somewhere under the output, at their
//     place or under a history/ folder (the file deleted or corrupted by hand is what it is when the run starts);
//   - that no temporary file is left (any name starting with '.' once the command has ended: temporaries and locks).
// `config` writes no file (--print-defaults prints on stdout), so it has nothing to check.
//
// usage: node scripts/evidence-check.mjs [--only CMD[,CMD]] [--work DIR] [--keep] [--dist DIR]
// Prints one line per step on stderr and a JSON summary on stdout: for each command and scenario the exit code,
// the files lost (their path before the run) and the temporaries left, then the totals. Exit code 1 when any file
// was lost or any temporary left, 0 otherwise. The tiny study (~10 s) and a dozen more commands: about 2 minutes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const DIST = resolve(opt('dist', join(REPO, 'dist')));
const CLI = join(DIST, 'src', 'cli', 'main.js');
if (!existsSync(CLI)) { console.error(`evidence-check: no build at ${DIST} (run \`npm run build\` first)`); process.exit(2); }
const ONLY = opt('only', '') ? opt('only', '').split(',') : null;
const KEEP = args.includes('--keep');
const WORK = resolve(opt('work', '') || mkdtempSync(join(tmpdir(), 'ptychostudy-evidence-')));
mkdirSync(WORK, { recursive: true });

const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24'];
const ENV = { ...process.env, NO_COLOR: '1', TERM: 'dumb' };
delete ENV.FORCE_COLOR;

function cli(argv) {
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', CLI, ...argv], { env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  const err = (r.stderr ?? '').trim().split('\n').filter((l) => /^ptychostudy/.test(l)).pop() ?? '';
  return { code: r.status ?? (r.signal ? `signal ${r.signal}` : null), line: err };
}

/** relative path → SHA-256 of every file under root (root may be a folder or, for export, the folder of one file). */
function snapshot(root) {
  const out = new Map();
  const walk = (dir) => {
    let names;
    try { names = readdirSync(dir); } catch { return; }
    for (const n of names.sort()) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
      else out.set(relative(root, p), `(${st.isSymbolicLink() ? 'link' : 'other'})`);
    }
  };
  walk(root);
  return out;
}

const isTemporary = (rel) => rel.split(sep).some((c) => c.startsWith('.'));
const inHistory = (rel) => rel.split(sep).includes('history');

const results = [];
/** Runs one scenario: `prepare` (a hand change) then the command; compares what was there before with what is after. */
function step(command, scenario, root, argv, prepare) {
  if (prepare) prepare();
  const before = snapshot(root);
  const r = cli(argv);
  const after = snapshot(root);
  const present = new Set(after.values());
  const lost = [...before].filter(([, h]) => !present.has(h)).map(([p]) => p);
  const temporaries = [...after.keys()].filter(isTemporary);
  const row = { command, scenario, exit: r.code, files_before: before.size, files_after: after.size, files_lost: lost, temporaries_left: temporaries };
  if (r.code !== 0) row.message = r.line.slice(0, 300);
  results.push(row);
  console.error(`${command.padEnd(11)} ${scenario.padEnd(34)} exit ${String(r.code).padEnd(3)} files ${before.size}→${after.size} lost ${lost.length} temporaries ${temporaries.length}${lost.length ? ` (${lost.slice(0, 3).join(', ')})` : ''}`);
  return r;
}

/** The largest file (outside history/ and temporaries) whose relative path matches `re`. */
function pick(root, re) {
  let best = null;
  for (const [rel] of snapshot(root)) {
    if (inHistory(rel) || isTemporary(rel) || !re.test(rel)) continue;
    const size = statSync(join(root, rel)).size;
    if (!best || size > best.size || (size === best.size && rel < best.rel)) best = { rel, size };
  }
  if (!best) throw new Error(`no file matching ${re} under ${root}`);
  return join(root, best.rel);
}
const remove = (root, re) => () => { const f = pick(root, re); rmSync(f); console.error(`  (deleted ${relative(root, f)})`); };
const corrupt = (root, re) => () => {
  const f = pick(root, re);
  const b = readFileSync(f);
  const at = Math.floor(b.length / 2);
  for (let i = at; i < Math.min(b.length, at + 16); i++) b[i] ^= 0x5a;
  writeFileSync(f, b);
  console.error(`  (corrupted ${relative(root, f)})`);
};

/** The common series: as is, the refresh flag, a changed setting, a deleted file, a corrupted data file and record. */
function series(command, root, base, { refresh, changed, data, record }) {
  step(command, 'first', root, base);
  step(command, 'again as is', root, base);
  if (refresh) step(command, `again ${refresh.join(' ')}`, root, [...base, ...refresh]);
  for (const [name, extra] of changed) {
    step(command, `changed ${name}`, root, [...base, ...extra]);
    if (refresh) step(command, `changed ${name} ${refresh.join(' ')}`, root, [...base, ...extra, ...refresh]);
  }
  step(command, 'after deleting a file', root, base, remove(root, data));
  if (refresh) step(command, `after deleting a file ${refresh.join(' ')}`, root, [...base, ...refresh]);
  step(command, 'after corrupting a data file', root, base, corrupt(root, data));
  if (refresh) step(command, `after corrupting a data file ${refresh.join(' ')}`, root, [...base, ...refresh]);
  if (record) {
    step(command, 'after corrupting a record', root, base, corrupt(root, record));
    if (refresh) step(command, `after corrupting a record ${refresh.join(' ')}`, root, [...base, ...refresh]);
  }
}

const want = (c) => !ONLY || ONLY.includes(c);

// The tiny study: the inputs of every other command (copied, never written into).
const SRC = join(WORK, 'source-hub');
if (!existsSync(join(SRC, 'run.json'))) {
  const r = cli(['run', '--out', SRC, ...TINY, '--epochs', '2', '--jobs', '1', '--quiet']);
  if (r.code !== 0) { console.error(`evidence-check: the tiny study failed (exit ${r.code}): ${r.line}`); process.exit(2); }
}
const fresh = (name) => { const d = join(WORK, name); rmSync(d, { recursive: true, force: true }); mkdirSync(dirname(d), { recursive: true }); return d; };
const copyOf = (rel, name) => { const d = fresh(name); cpSync(join(SRC, rel), d, { recursive: true }); return d; };

if (want('run')) {
  // run --force makes a new hub beside the old one: the output checked is the folder holding the hub.
  const parent = fresh('run');
  mkdirSync(parent);
  const hub = join(parent, 'hub');
  const base = ['run', '--out', hub, ...TINY, '--epochs', '2', '--jobs', '1', '--quiet'];
  step('run', 'first', parent, base);
  step('run', 'again as is', parent, base);
  step('run', 'again (resume, no flags)', parent, ['run', '--out', hub, '--quiet']);
  step('run', 'changed --epochs 3', parent, [...base.filter((a, i) => !(a === '2' && base[i - 1] === '--epochs')), '--epochs', '3']);
  step('run', 'changed --seed 7', parent, [...base, '--seed', '7']);
  step('run', 'after deleting a file', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^phase_f\/.*reconstruction\.npz$/));
  step('run', 'after deleting a comparison', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^phase_g\/.*comparison\.json$/));
  step('run', 'after deleting the report', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^report\/index\.html$/));
  step('run', 'after corrupting a data file', parent, ['run', '--out', hub, '--quiet'], corrupt(hub, /^phase_f\/.*reconstruction\.npz$/));
  step('run', 'after corrupting a record', parent, ['run', '--out', hub, '--quiet'], corrupt(hub, /^phase_g\/.*comparison\.json$/));
  step('run', '--force (a new hub beside)', parent, [...base, '--force']);
}

if (want('generate')) {
  const out = fresh('generate');
  series('generate', out, ['generate', '--out', out, ...TINY], {
    refresh: ['--overwrite'], changed: [['--seed 7', ['--seed', '7']]],
    data: /^dose_\d+\/patched_train\.npz$/, record: /^run_manifest\.json$/,
  });
}

if (want('overlap')) {
  const c = copyOf('phase_c', 'inputs/overlap-c');
  const out = fresh('overlap');
  series('overlap', out, ['overlap', '--phase-c-root', c, '--out', out, '--dose', '1e4'], {
    refresh: ['--overwrite'], changed: [['--seed 7', ['--seed', '7']]],
    data: /^dose_\d+\/dense\/dense_train\.npz$/, record: /^overlap_manifest\.json$/,
  });
}

if (want('reconstruct')) {
  const c = copyOf('phase_c', 'inputs/reconstruct-c');
  const d = copyOf('phase_d', 'inputs/reconstruct-d');
  const out = fresh('reconstruct');
  const base = ['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', out, '--doses', '1e4', '--view', 'dense', '--epochs', '2', '--jobs', '1'];
  series('reconstruct', out, base, {
    refresh: ['--force'], changed: [['--seed 7', ['--seed', '7']]],
    data: /reconstruction\.npz$/, record: /^reconstruction_manifest\.json$/,
  });
}

if (want('compare')) {
  const c = copyOf('phase_c', 'inputs/compare-c');
  const d = copyOf('phase_d', 'inputs/compare-d');
  const f = copyOf('phase_f', 'inputs/compare-f');
  const out = fresh('compare');
  const base = ['compare', '--phase-c-root', c, '--phase-d-root', d, '--phase-f-root', f, '--out', out, '--view', 'dense', '--quiet'];
  series('compare', out, base, {
    refresh: null, changed: [['--no-figures', ['--no-figures']], ['--region patches', ['--region', 'patches']]],
    data: /comparison\.json$/, record: /^metrics_summary\.json$/,
  });
}

if (want('report')) {
  const hub = copyOf('.', 'report-hub');
  // The hub's report is made by `run`; `report --out HUB` makes it again (the earlier one must survive somewhere).
  step('report', 'again as is (hub)', hub, ['report', '--out', hub, '--quiet']);
  step('report', 'after deleting a file (hub)', hub, ['report', '--out', hub, '--quiet'], remove(hub, /^report\/.*\.png$/));
  step('report', 'after corrupting a file (hub)', hub, ['report', '--out', hub, '--quiet'], corrupt(hub, /^report\/index\.html$/));
  step('report', 'after corrupting a record (hub)', hub, ['report', '--out', hub, '--quiet'], corrupt(hub, /^phase_g\/metrics_summary\.json$/));
}

let lsqmlDir = null;
if (want('lsqml') || want('export') || want('report')) {
  const input = join(copyOf('phase_c', 'inputs/lsqml-c'), 'dose_10000', 'patched_train.npz');
  const out = fresh('lsqml');
  lsqmlDir = out;
  const base = ['lsqml', '--input', input, '--out', out, '--epochs', '2'];
  if (want('lsqml')) {
    series('lsqml', out, base, {
      refresh: ['--overwrite'], changed: [['--epochs 3', ['--epochs', '3']], ['--seed 7', ['--seed', '7']]],
      data: /^reconstruction\.npz$/, record: /^reconstruction_run\.json$/,
    });
  } else cli(base);
  if (want('report')) {
    // A report of the one reconstruction, then lsqml --overwrite over a folder holding it.
    step('report', 'first (lsqml folder)', out, ['report', '--out', out, '--quiet']);
    step('report', 'again as is (lsqml folder)', out, ['report', '--out', out, '--quiet']);
    step('report', 'again --force (lsqml folder)', out, ['report', '--out', out, '--quiet', '--force']);
    step('report', 'after corrupting it --force', out, ['report', '--out', out, '--quiet', '--force'], corrupt(out, /^report\/index\.html$/));
    step('report', 'after deleting a file --force', out, ['report', '--out', out, '--quiet', '--force'], remove(out, /^report\/.*\.png$/));
    step('lsqml', 'over a report, --overwrite --seed 9', out, [...base, '--overwrite', '--seed', '9']);
  }
}

if (want('export')) {
  const src = lsqmlDir;
  const dir = fresh('export');
  mkdirSync(dir);
  const file = join(dir, 'product.h5');
  series('export', dir, ['export', '--input', src, '--out', file, '--pixel-size', '1e-8'], {
    refresh: ['--force'], changed: [['--pixel-size 2e-8', ['--pixel-size', '2e-8']]],
    data: /^product\.h5$/, record: null,
  });
}

const lostRows = results.filter((r) => r.files_lost.length);
const tempRows = results.filter((r) => r.temporaries_left.length);
const summary = {
  work: WORK,
  steps: results.length,
  steps_losing_files: lostRows.length,
  files_lost: lostRows.reduce((n, r) => n + r.files_lost.length, 0),
  steps_leaving_temporaries: tempRows.length,
  temporaries_left: tempRows.reduce((n, r) => n + r.temporaries_left.length, 0),
  results,
};
process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
if (!KEEP && !opt('work', '')) rmSync(WORK, { recursive: true, force: true });
process.exit(lostRows.length || tempRows.length ? 1 : 0);
