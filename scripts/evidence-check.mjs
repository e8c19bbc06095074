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
// `checkpoint` (a name for --only): an `lsqml` run and a Phase F job stopped by SIGTERM once they kept a checkpoint,
// continued, run again; stopped under --overwrite / --force, then met by a run of other settings (lsqml refuses the
// checkpoint, Phase F moves it to the job's history/). Not results, so reported apart: the checkpoint a run continued
// from, which it removes once its result is in place, and what a stopped run leaves (its staging folder), which the
// next run moves to history/. A checkpoint a stopped run was writing (`.tmp-lsqml-checkpoint.npz.…`) is a temporary
// left: the stop removes its own, even from a worker thread it ended (docs/reconstruct.md, "Execution").
//
// usage: node scripts/evidence-check.mjs [--only CMD[,CMD]] [--work DIR] [--keep] [--dist DIR]
// Prints one line per step on stderr and a JSON summary on stdout: for each command and scenario the exit code,
// the files lost (their path before the run) and the temporaries left, then the totals. Exit code 1 when any file
// was lost or any temporary left, 0 otherwise. The tiny study (~10 s) and a dozen more commands: about 2 minutes.
import { spawn, spawnSync } from 'node:child_process';
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
const { NpzReader } = await import(join(DIST, 'src', 'npy', 'npz.js'));
const { readMetadata } = await import(join(DIST, 'src', 'data', 'metadata.js'));
const ONLY = opt('only', '') ? opt('only', '').split(',') : null;
const KEEP = args.includes('--keep');
const WORK = resolve(opt('work', '') || mkdtempSync(join(tmpdir(), 'ptychostudy-evidence-')));
mkdirSync(WORK, { recursive: true });

const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24'];
const ENV = { ...process.env, NO_COLOR: '1', TERM: 'dumb' };
delete ENV.FORCE_COLOR;

const lastLine = (stderr) => stderr.trim().split('\n').filter((l) => /^ptychostudy/.test(l)).pop() ?? '';
function cli(argv) {
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', CLI, ...argv], { env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? (r.signal ? `signal ${r.signal}` : null), line: lastLine(r.stderr ?? ''), output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Runs `argv` until `file` exists (a checkpoint), then stops it with SIGTERM, as a scheduler's time limit does. */
async function cliStopped(argv, file) {
  const child = spawn(process.execPath, ['--no-concurrent-recompilation', CLI, ...argv], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b) => { output += b; });
  child.stderr.on('data', (b) => { output += b; });
  const exit = new Promise((done) => child.on('close', (code, signal) => done(code ?? `signal ${signal}`)));
  for (let t = 0; !existsSync(file) && child.exitCode === null && t < 600; t++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  const code = await exit;
  return { code, line: lastLine(output), output };
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
const CHECKPOINT = 'lsqml-checkpoint.npz';
/**
 * Runs one scenario: `prepare` (a hand change) then the command (`run`: cli, or a run stopped by a signal); compares
 * what was there before with what is after. Two things are not results and are reported apart: the checkpoint a run
 * continued from, removed once its result is in place (docs/lsqml.md, "Checkpoints"), and the staging folder a stopped
 * run leaves (its log so far, moved to history/ by the next run).
 */
async function step(command, scenario, root, argv, prepare, run = cli) {
  if (prepare) prepare();
  const before = snapshot(root);
  const r = await run(argv);
  const after = snapshot(root);
  const present = new Set(after.values());
  const gone = [...before].filter(([, h]) => !present.has(h)).map(([p]) => p);
  const continued = r.code === 0 && /continue[sd] from epoch \d+ of \d+ \(checkpoint /.test(r.output);
  const removedCheckpoint = (p) => continued && p.split(sep).pop() === CHECKPOINT;
  // a temporary (a checkpoint a stopped Phase F job was writing) is no result: the step that left it reports it
  const lost = gone.filter((p) => !removedCheckpoint(p) && !isTemporary(p));
  const stopped = run !== cli;
  // a refusal leaves the output as it was: what an earlier stop left there is that stop's (the next run that works moves it)
  const temporaries = [...after.keys()].filter((p) => isTemporary(p) && (r.code === 0 || before.get(p) !== after.get(p)));
  const row = { command, scenario, exit: r.code, files_before: before.size, files_after: after.size, files_lost: lost, temporaries_left: stopped ? [] : temporaries };
  if (gone.length > lost.length) row.checkpoints_continued_and_removed = gone.filter(removedCheckpoint);
  if (stopped) {
    row.stopped = true;
    row.staging_left_by_the_stop = temporaries.filter((p) => !isCheckpointTemporary(p));
    row.temporaries_left = temporaries.filter(isCheckpointTemporary);
  }
  if (r.code !== 0) row.message = r.line.slice(0, 300);
  results.push(row);
  console.error(`${command.padEnd(11)} ${scenario.padEnd(34)} exit ${String(r.code).padEnd(3)} files ${before.size}→${after.size} lost ${lost.length} temporaries ${temporaries.length}${stopped ? ' (stopped)' : ''}${lost.length ? ` (${lost.slice(0, 3).join(', ')})` : ''}`);
  return r;
}
/** A checkpoint under its temporary name (`.tmp-lsqml-checkpoint.npz.<pid>.…`): never whole. */
function isCheckpointTemporary(rel) {
  return rel.split(sep).pop().startsWith(`.tmp-${CHECKPOINT}.`);
}
/** The epochs a checkpoint holds (its `_metadata.epochs_done`). */
function epochsDone(file) {
  const r = NpzReader.open(file);
  try { return readMetadata(r).value.epochs_done; } finally { r.close(); }
}
/** A step whose command is stopped by SIGTERM once `file` (its checkpoint) exists. */
const stop = (file) => (argv) => cliStopped(argv, file);

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
async function series(command, root, base, { refresh, changed, data, record }) {
  await step(command, 'first', root, base);
  await step(command, 'again as is', root, base);
  if (refresh) await step(command, `again ${refresh.join(' ')}`, root, [...base, ...refresh]);
  for (const [name, extra] of changed) {
    await step(command, `changed ${name}`, root, [...base, ...extra]);
    if (refresh) await step(command, `changed ${name} ${refresh.join(' ')}`, root, [...base, ...extra, ...refresh]);
  }
  await step(command, 'after deleting a file', root, base, remove(root, data));
  if (refresh) await step(command, `after deleting a file ${refresh.join(' ')}`, root, [...base, ...refresh]);
  await step(command, 'after corrupting a data file', root, base, corrupt(root, data));
  if (refresh) await step(command, `after corrupting a data file ${refresh.join(' ')}`, root, [...base, ...refresh]);
  if (record) {
    await step(command, 'after corrupting a record', root, base, corrupt(root, record));
    if (refresh) await step(command, `after corrupting a record ${refresh.join(' ')}`, root, [...base, ...refresh]);
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
  await step('run', 'first', parent, base);
  await step('run', 'again as is', parent, base);
  await step('run', 'again (resume, no flags)', parent, ['run', '--out', hub, '--quiet']);
  await step('run', 'changed --epochs 3', parent, [...base.filter((a, i) => !(a === '2' && base[i - 1] === '--epochs')), '--epochs', '3']);
  await step('run', 'changed --seed 7', parent, [...base, '--seed', '7']);
  await step('run', 'after deleting a file', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^phase_f\/.*reconstruction\.npz$/));
  await step('run', 'after deleting a comparison', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^phase_g\/.*comparison\.json$/));
  await step('run', 'after deleting the report', parent, ['run', '--out', hub, '--quiet'], remove(hub, /^report\/index\.html$/));
  await step('run', 'after corrupting a data file', parent, ['run', '--out', hub, '--quiet'], corrupt(hub, /^phase_f\/.*reconstruction\.npz$/));
  await step('run', 'after corrupting a record', parent, ['run', '--out', hub, '--quiet'], corrupt(hub, /^phase_g\/.*comparison\.json$/));
  await step('run', '--force (a new hub beside)', parent, [...base, '--force']);
}

if (want('generate')) {
  const out = fresh('generate');
  await series('generate', out, ['generate', '--out', out, ...TINY], {
    refresh: ['--overwrite'], changed: [['--seed 7', ['--seed', '7']]],
    data: /^dose_\d+\/patched_train\.npz$/, record: /^run_manifest\.json$/,
  });
}

if (want('overlap')) {
  const c = copyOf('phase_c', 'inputs/overlap-c');
  const out = fresh('overlap');
  await series('overlap', out, ['overlap', '--phase-c-root', c, '--out', out, '--dose', '1e4'], {
    refresh: ['--overwrite'], changed: [['--seed 7', ['--seed', '7']]],
    data: /^dose_\d+\/dense\/dense_train\.npz$/, record: /^overlap_manifest\.json$/,
  });
}

if (want('reconstruct')) {
  const c = copyOf('phase_c', 'inputs/reconstruct-c');
  const d = copyOf('phase_d', 'inputs/reconstruct-d');
  const out = fresh('reconstruct');
  const base = ['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', out, '--doses', '1e4', '--view', 'dense', '--epochs', '2', '--jobs', '1'];
  await series('reconstruct', out, base, {
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
  await series('compare', out, base, {
    refresh: null, changed: [['--no-figures', ['--no-figures']], ['--region patches', ['--region', 'patches']]],
    data: /comparison\.json$/, record: /^metrics_summary\.json$/,
  });
}

if (want('report')) {
  const hub = copyOf('.', 'report-hub');
  // The hub's report is made by `run`; `report --out HUB` makes it again (the earlier one must survive somewhere).
  await step('report', 'again as is (hub)', hub, ['report', '--out', hub, '--quiet']);
  await step('report', 'after deleting a file (hub)', hub, ['report', '--out', hub, '--quiet'], remove(hub, /^report\/.*\.png$/));
  await step('report', 'after corrupting a file (hub)', hub, ['report', '--out', hub, '--quiet'], corrupt(hub, /^report\/index\.html$/));
  await step('report', 'after corrupting a record (hub)', hub, ['report', '--out', hub, '--quiet'], corrupt(hub, /^phase_g\/metrics_summary\.json$/));
}

let lsqmlDir = null;
if (want('lsqml') || want('export') || want('report')) {
  const input = join(copyOf('phase_c', 'inputs/lsqml-c'), 'dose_10000', 'patched_train.npz');
  const out = fresh('lsqml');
  lsqmlDir = out;
  const base = ['lsqml', '--input', input, '--out', out, '--epochs', '2'];
  if (want('lsqml')) {
    await series('lsqml', out, base, {
      refresh: ['--overwrite'], changed: [['--epochs 3', ['--epochs', '3']], ['--seed 7', ['--seed', '7']]],
      data: /^reconstruction\.npz$/, record: /^reconstruction_run\.json$/,
    });
  } else cli(base);
  if (want('report')) {
    // A report of the one reconstruction, then lsqml --overwrite over a folder holding it.
    await step('report', 'first (lsqml folder)', out, ['report', '--out', out, '--quiet']);
    await step('report', 'again as is (lsqml folder)', out, ['report', '--out', out, '--quiet']);
    await step('report', 'again --force (lsqml folder)', out, ['report', '--out', out, '--quiet', '--force']);
    await step('report', 'after corrupting it --force', out, ['report', '--out', out, '--quiet', '--force'], corrupt(out, /^report\/index\.html$/));
    await step('report', 'after deleting a file --force', out, ['report', '--out', out, '--quiet', '--force'], remove(out, /^report\/.*\.png$/));
    await step('lsqml', 'over a report, --overwrite --seed 9', out, [...base, '--overwrite', '--seed', '9']);
  }
}

if (want('checkpoint')) {
  // lsqml (docs/lsqml.md, "Checkpoints"): a run stopped by SIGTERM once it kept a checkpoint, continued by the same
  // command (fewer epochs: a checkpoint allows another --epochs), run again; an --overwrite run stopped and continued;
  // one stopped and met by a run of other settings, which refuses the checkpoint (kept).
  const input = join(REPO, 'test', 'fixtures', 'cxi', 'scan.cxi');
  const out = fresh('lsqml-checkpoint');
  const ck = join(out, CHECKPOINT);
  const long = ['lsqml', '--input', input, '--out', out, '--epochs', '5000', '--checkpoint-every', '2'];
  const stoppedAt = (r) => Number(/after (\d+) of 5000 epochs/.exec(r.output)?.[1]);
  const short = (k, ...extra) => ['lsqml', '--input', input, '--out', out, '--epochs', String(k + 2), '--checkpoint-every', '2', ...extra];
  let k = stoppedAt(await step('lsqml', 'stopped (SIGTERM), a checkpoint kept', out, long, null, stop(ck)));
  await step('lsqml', 'continued from the checkpoint', out, short(k));
  await step('lsqml', 'again as is (continued)', out, short(k));
  k = stoppedAt(await step('lsqml', 'stopped --overwrite', out, [...long, '--overwrite'], null, stop(ck)));
  await step('lsqml', 'continued --overwrite', out, short(k, '--overwrite'));
  k = stoppedAt(await step('lsqml', 'stopped --overwrite (again)', out, [...long, '--overwrite'], null, stop(ck)));
  await step('lsqml', 'other settings (--batch-size 20)', out, short(k, '--overwrite', '--batch-size', '20'));
  await step('lsqml', 'continued after the refusal', out, short(k, '--overwrite'));

  // Phase F (docs/reconstruct.md, "Execution"): a job stopped with its checkpoint, continued, run again; stopped with
  // --force, then run with another seed: its checkpoint, of another run, moves to the job's history and the job starts over.
  const c = copyOf('phase_c', 'inputs/checkpoint-c');
  const d = copyOf('phase_d', 'inputs/checkpoint-d');
  const f = fresh('reconstruct-checkpoint');
  const every2 = join(WORK, 'checkpoint-every-2.yaml');
  writeFileSync(every2, 'execution:\n  checkpointEvery: 2\n');
  const jobCk = join(f, 'dose_10000', 'sparse', 'train', CHECKPOINT);
  const phaseF = (epochs, ...extra) => ['reconstruct', '--phase-c-root', c, '--phase-d-root', d, '--out', f, '--doses', '1e4', '--view', 'sparse',
    '--split', 'train', '--epochs', String(epochs), '--config', every2, '--jobs', '1', ...extra];
  await step('reconstruct', 'stopped (SIGTERM), a checkpoint kept', f, phaseF(5000), null, stop(jobCk));
  k = epochsDone(jobCk);
  await step('reconstruct', 'continued from the checkpoint', f, phaseF(k + 2));
  await step('reconstruct', 'again as is (continued)', f, phaseF(k + 2));
  await step('reconstruct', 'stopped --force', f, phaseF(5000, '--force'), null, stop(jobCk));
  await step('reconstruct', 'other settings (--seed 7)', f, phaseF(epochsDone(jobCk) + 2, '--seed', '7'));
}

if (want('export')) {
  const src = lsqmlDir;
  const dir = fresh('export');
  mkdirSync(dir);
  const file = join(dir, 'product.h5');
  await series('export', dir, ['export', '--input', src, '--out', file, '--pixel-size', '1e-8'], {
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
