/**
 * Resume by naming the hub: `run --out HUB` alone continues with the hub's own settings; a finished hub
 * changes no file (bytes and modification times); flags that would change results
 * are refused with the list of differences, --jobs is applied; counts are not doubled; the report shows
 * its own phase as complete; Phase G and the report are redone exactly when what they read or wrote
 * changed; a changed engine option is not "already complete"; and the command the Ctrl-C hint prints
 * continues the run.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tryLock } from '../../src/files/lock.js';
import { tmp } from '../study/reconstruct-helpers.js';
import { waitFor } from './child.js';
import { snapshot } from './tree-snapshot.js';
import { ptychostudyAsync, type Run } from '../data/cli-run.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const LOCK_JS = fileURLToPath(new URL('../../src/files/lock.js', import.meta.url));
const TINY = ['--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1'];

/** `ptychostudy ARGS` in a child process, without blocking the event loop (the tests that only resume hubs run two at a time). */
const cli = (args: string[]): Promise<Run> => ptychostudyAsync(args, { env: { NO_COLOR: '1' }, timeoutMs: 300_000 });
const run = (args: string[]): Promise<Run> => cli(['run', ...args]);

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

const json = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));

// One finished TINY hub, made before any test: the first test resumes it where `run` made it; the tests that rewrite
// its phases each take a copy made before then (a copied hub resumes as the original does: step 4 of the first test).
let finishedHub = '';
const copies: Record<string, string> = {};
before(async () => {
  finishedHub = join(tmp('resume'), 'hub');
  const first = await run([...TINY, '--out', finishedHub, '--quiet']);
  assert.equal(first.status, 0, first.stderr);
  for (const label of ['rewritten', 'redo']) {
    copies[label] = join(tmp(label), 'hub');
    cpSync(finishedHub, copies[label]!, { recursive: true });
  }
});

describe('resuming a finished hub, each test on its own hub (two at a time)', { concurrency: 2 }, () => {
  test('run --out HUB resumes with the hub\'s own settings; a finished hub changes no file; only result-neutral settings may change', { timeout: 600_000 }, async () => {
    const hub = finishedHub;
    const state = json(join(hub, 'run.json'));
    assert.equal(state.status, 'complete');
    assert.equal(state.phases.reconstruct.detail, '6 run (6 ok, 0 failed), 0 already complete', 'counts are not doubled');
    assert.deepEqual(json(join(hub, 'settings.json')).reconstruction.epochs, 2, 'the hub keeps every setting');
    // the report written by `run` shows the run and its own phase as complete
    const html = readFileSync(join(hub, 'report', 'index.html'), 'utf8');
    assert.doesNotMatch(html, />running</, 'the report shows a phase as running');
    assert.match(html, /<td>report<\/td><td[^>]*>complete</);
    let before = snapshot(hub);

    // 1. No flags at all: nothing to do, nothing written; every phase says it skipped (how long that takes is
    //    measured by `npm run bench -- resume`).
    const again = await run(['--out', hub]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(changed(before, snapshot(hub)), [], 'a finished hub was changed by resuming it');
    assert.match(again.stderr, /reconstruct: skipped \(all 6 jobs already complete\)/);
    assert.match(again.stderr, /compare: skipped \(inputs and outputs unchanged\)/);
    assert.match(again.stderr, /report: skipped \(inputs and outputs unchanged\)/);
    assert.match(again.stderr, /nothing to do/);

    // 2. Settings that never change a result are applied (here: nothing left to run, so still nothing written).
    const jobs = await run(['--out', hub, '--jobs', '2', '--quiet']);
    assert.equal(jobs.status, 0, jobs.stderr);
    assert.deepEqual(changed(before, snapshot(hub)), []);

    // 2b. A `compare` killed before it finished left its running lock, its empty run folder and a job's staging folder;
    //     the next `run` removes them although Phase G has nothing to do, and keeps a live compare's lock.
    const g = join(hub, 'phase_g');
    const killedId = '20261206T100000Z', liveId = '20261206T110000Z';
    const killedLock = join(g, `.running-${killedId}.lock`);
    const killed = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { tryLock } from ${JSON.stringify(LOCK_JS)}; tryLock(${JSON.stringify(killedLock)}, 'compare run', 'output root'); process.kill(process.pid, 'SIGKILL');`]);
    assert.equal(killed.signal, 'SIGKILL');
    mkdirSync(join(g, 'runs', killedId));
    const dose = readdirSync(g).find((n) => n.startsWith('dose_'))!;
    const staging = join(g, dose, 'dense', 'train', `.staging-${killedId}`);
    mkdirSync(staging);
    writeFileSync(join(staging, 'comparison.json'), '{}');
    const live = tryLock(join(g, `.running-${liveId}.lock`), 'compare run', 'output root');
    const cleaned = await run(['--out', hub]);
    assert.equal(cleaned.status, 0, cleaned.stderr);
    assert.match(cleaned.stderr, new RegExp(`compare: skipped \\(inputs and outputs unchanged; removed what the stopped compare run ${killedId} left`));
    assert.ok(!existsSync(killedLock) && !existsSync(join(g, 'runs', killedId)) && !existsSync(staging), 'the killed compare\'s leftovers stay');
    assert.ok(!live.lost && existsSync(join(g, `.running-${liveId}.lock`)), 'a live compare\'s lock was removed');
    live.release();
    // every file as it was; only the folders the leftovers were in have new modification times
    assert.deepEqual(changed(before, snapshot(hub)), ['phase_g/', `phase_g/${dose}/dense/train/`, 'phase_g/runs/']);
    before = snapshot(hub);

    // 3. Settings that would change results are refused, each difference on its own line, from flags or a file.
    const other = await run(['--out', hub, '--epochs', '3', '--reconstruction-seed', '7', '--overlap-order', 'raster', '--preset', 'quick']);
    assert.equal(other.status, 2, other.stderr);
    assert.match(other.stderr, /this hub was made with other settings\. Resume it with its own — ptychostudy run --out \S+ — or start a new hub/);
    assert.match(other.stderr, /^ {2}--epochs: hub 2, requested 3$/m);
    assert.match(other.stderr, /^ {2}--reconstruction-seed: hub 42, requested 7$/m);
    assert.match(other.stderr, /^ {2}--overlap-order: hub seeded, requested raster$/m);
    assert.doesNotMatch(other.stderr, /--preset:/, 'repeating a setting with the hub\'s value is no difference');
    const file = join(hub, '..', 'study.yaml');
    writeFileSync(file, 'reconstruction:\n  batchSize: 12\nexecution:\n  jobs: 2\n');
    const fromFile = await run(['--out', hub, '--config', file]);
    assert.equal(fromFile.status, 2);
    assert.deepEqual(fromFile.stderr.trim().split('\n').slice(1), [`  reconstruction.batchSize (${file}): hub 96, requested 12`]);
    assert.deepEqual(changed(before, snapshot(hub)), [], 'a refused resume wrote something');

    // 3b. A broken comparison.json makes Phase G's fingerprint differ, so Phase G is redone and refuses it: exit 2, one
    //     line naming it, and nothing written — run.json keeps Phase G complete (it recorded the refusal as 'failed').
    const comparison = join(hub, 'phase_g', readdirSync(join(hub, 'phase_g')).find((n) => n.startsWith('dose_'))!, 'dense', 'test', 'comparison.json');
    const whole = readFileSync(comparison);
    // cut just after a comma near the middle: JSON that ends there (never inside a number, whose digits vary with the run)
    writeFileSync(comparison, whole.subarray(0, whole.lastIndexOf(',', whole.length >> 1) + 1));
    const broken = snapshot(hub);
    const refused = await run(['--out', hub, '--quiet']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.deepEqual(refused.stderr.trim().split('\n'), [`ptychostudy run: ${comparison}: the existing comparison is not valid JSON (Unexpected end of JSON input); it was left untouched`]);
    // every file keeps its bytes (run.json is put back; settings.json is written again as it was, and Phase G's locks
    // come and go in phase_g/, so modification times change)
    const bytes = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([k]) => !k.endsWith('/')).map(([k, v]) => [k, v.split(' ')[2]!]));
    assert.deepEqual(changed(bytes(broken), bytes(snapshot(hub))), [], 'a refused resume wrote something');
    writeFileSync(comparison, whole);
    before = snapshot(hub);

    // 4. On a copy: Phase G and the report are redone when one of their outputs is gone, Phase F is not.
    const copy = join(hub, '..', 'copy');
    cpSync(hub, copy, { recursive: true });
    const copied = await run(['--out', copy]);
    assert.match(copied.stderr, /compare: skipped/, 'a copied hub (new paths, new times) is still complete');
    rmSync(join(copy, 'phase_g', 'metrics_summary.md'));
    const redo = await run(['--out', copy]);
    assert.equal(redo.status, 0, redo.stderr);
    assert.match(redo.stderr, /reconstruct: skipped \(all 6 jobs already complete\)/);
    assert.match(redo.stderr, /✓ compare \(/);
    assert.match(redo.stderr, /✓ report \(/);
    assert.ok(existsSync(join(copy, 'phase_g', 'metrics_summary.md')));
    assert.equal(readdirSync(join(copy, 'phase_f', 'runs')).length, 1, 'no new Phase F snapshot');

    // 5. A changed engine option (one no flag sets) is not "already complete"; the same settings are.
    const reconstruct = (extra: string[]): Promise<Run> => cli(['reconstruct', '--phase-c-root', join(copy, 'phase_c'),
      '--phase-d-root', join(copy, 'phase_d'), '--out', join(copy, 'phase_f'), '--doses', '1e4', '--epochs', '2', '--dry-run', ...extra]);
    assert.match((await reconstruct([])).stdout, /6 already complete/);
    writeFileSync(file, 'reconstruction:\n  objectStepSizeScaler: 0.5\n');
    assert.match((await reconstruct(['--config', file])).stdout, / 0 already complete/);
  });

  test('a hub whose Phase C or D another command rewrote with other settings is refused on resume (exit 2), changing nothing', { timeout: 600_000 }, async () => {
    const hub = copies['rewritten']!;
    // Phases C and D record where their settings came from, as run.json records the run's (each its own settings)
    const cOrigin = () => json(join(hub, 'phase_c', 'run_manifest.json'))._run.provenance.settings_origin;
    const dOrigin = () => json(join(hub, 'phase_d', 'overlap_manifest.json')).provenance.settings_origin;
    const recorded = json(join(hub, 'run.json')).settings_origin as Record<string, string>;
    const under = (groups: RegExp) => Object.fromEntries(Object.entries(recorded).filter(([p]) => groups.test(p)));
    assert.deepEqual(cOrigin(), under(/^(?:preset$|simulation\.)/));
    assert.equal(cOrigin()['simulation.doses'], 'flag --dose');
    assert.deepEqual(dOrigin(), under(/^overlap\./));
    // and Phase F's run, those of its own settings: the doses, the reconstruction and execution groups
    const fRuns = json(join(hub, 'phase_f', 'reconstruction_manifest.json')).runs as { settings_origin?: Record<string, string> }[];
    assert.deepEqual(fRuns.at(-1)!.settings_origin, under(/^(?:preset$|simulation\.doses$|reconstruction\.|execution\.)/));
    assert.equal(fRuns.at(-1)!.settings_origin!['reconstruction.epochs'], 'flag --epochs');
    const generate = (seed: string): Promise<Run> => cli(['generate', '--out', join(hub, 'phase_c'), '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--seed', seed, '--overwrite']);

    // another seed: the reconstructions were made from other data
    assert.equal((await generate('7')).status, 0);
    const before = snapshot(hub);
    const refused = await run(['--out', hub, '--quiet']);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${join(hub, 'phase_c', 'run_manifest.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Phase C no longer holds what this hub's run made`));
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    // (a phase root's lock, taken to read it, sets its directory's time back only to the millisecond)
    assert.deepEqual(changed(before, snapshot(hub)).filter((k) => !k.endsWith('/')), [], 'the refused resume wrote something');
    assert.deepEqual([...snapshot(hub).keys()], [...before.keys()]);

    // the command the refusal names remakes it from the hub's settings (the same data, new times in the manifest);
    // with a note beside the data: resumed, not refused
    const remake = /gives the same data again: ptychostudy (.+)$/.exec(refused.stderr.trim())?.[1];
    assert.ok(remake, refused.stderr);
    assert.equal((await cli(remake.split(' '))).status, 0);
    // remade from the hub's settings.json: another origin (the file, not the run's flags) of the same data, which resumes
    assert.equal(cOrigin()['simulation.doses'], `file ${join(hub, 'settings.json')}`);
    writeFileSync(join(hub, 'phase_c', 'NOTES.txt'), 'regenerated by hand\n');
    const again = await run(['--out', hub]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /generate: skipped \(already complete\)/);

    // Phase D with another seed
    assert.equal((await cli(['overlap', '--phase-c-root', join(hub, 'phase_c'), '--out', join(hub, 'phase_d'), '--seed', '9', '--overwrite'])).status, 0);
    const d = await run(['--out', hub]);
    assert.equal(d.status, 2, d.stderr);
    assert.match(d.stderr, /overlap_manifest\.json: Phase D no longer holds what this hub's run made/);
    const remakeD = /gives the same data again: ptychostudy (.+)$/.exec(d.stderr.trim())?.[1];
    assert.ok(remakeD, d.stderr);
    assert.equal((await cli(remakeD.split(' '))).status, 0);
    assert.equal(dOrigin()['overlap.seed'], `file ${join(hub, 'settings.json')}`);
    const resumed = await run(['--out', hub]);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /overlap: skipped \(already complete\)/);
  });

  test('a hub that redoes Phase C or D keeps a file of the unfinished run that it replaces with other bytes, and says where', { timeout: 600_000 }, async () => {
    const hub = copies['redo']!;
    const unfinish = (phase: string): void => {
      const state = json(join(hub, 'run.json'));
      delete state.phases[phase];
      state.status = 'running';
      writeFileSync(join(hub, 'run.json'), JSON.stringify(state, null, 2));
    };
    // Phase C as an unfinished run left it: the same settings rewrite the same bytes, so no data file is kept, only
    // the manifest as it was (the new one records the new run's times)
    unfinish('generate');
    const manifestBefore = readFileSync(join(hub, 'phase_c', 'run_manifest.json'));
    const same = await run(['--out', hub, '--quiet']);
    assert.equal(same.status, 0, same.stderr);
    const keptSame = /kept in (phase_c\/history\/replaced-\S+)$/.exec(json(join(hub, 'run.json')).phases.generate.detail)?.[1];
    assert.ok(keptSame !== undefined, json(join(hub, 'run.json')).phases.generate.detail);
    assert.deepEqual(readdirSync(join(hub, keptSame)), ['run_manifest.json'], 'same bytes: no data file kept');
    assert.deepEqual(readFileSync(join(hub, keptSame, 'run_manifest.json')), manifestBefore);
    // a file of the unfinished run with other bytes (e.g. written by another version): kept, and the phase says where
    const train = join(hub, 'phase_c', 'dose_10000', 'patched_train.npz');
    const other = Buffer.concat([readFileSync(train), Buffer.from('other bytes')]);
    writeFileSync(train, other);
    unfinish('generate');
    const redo = await run(['--out', hub, '--quiet']);
    assert.equal(redo.status, 0, redo.stderr);
    const detail: string = json(join(hub, 'run.json')).phases.generate.detail;
    const kept = /kept in (phase_c\/history\/replaced-\S+)$/.exec(detail)?.[1];
    assert.ok(kept !== undefined, detail);
    assert.deepEqual(readFileSync(join(hub, kept, 'dose_10000', 'patched_train.npz')), other);
    assert.ok(!readFileSync(train).equals(other), 'the data were written again');
    // Phase D likewise
    const view = join(hub, 'phase_d', 'dose_10000', 'dense', 'dense_test.npz');
    const otherD = Buffer.concat([readFileSync(view), Buffer.from('other bytes')]);
    writeFileSync(view, otherD);
    unfinish('overlap');
    const redoD = await run(['--out', hub, '--quiet']);
    assert.equal(redoD.status, 0, redoD.stderr);
    const keptD = /kept in (phase_d\/history\/replaced-\S+)$/.exec(json(join(hub, 'run.json')).phases.overlap.detail)?.[1];
    assert.ok(keptD !== undefined, json(join(hub, 'run.json')).phases.overlap.detail);
    assert.deepEqual(readFileSync(join(hub, keptD, 'dose_10000', 'dense', 'dense_test.npz')), otherD);
  });
});

function finished(hub: string): Map<string, string> {
  const path = join(hub, 'phase_f', 'reconstruction_manifest.json');
  const out = new Map<string, string>();
  if (!existsSync(path)) return out;
  for (const r of json(path).execution_results) if (r.status === 'success') out.set(`${r.view}/${r.split}`, r.finished_at);
  return out;
}

/**
 * Starts `run` and sends SIGINT once `ready(stderr)` holds (checked on every stderr chunk and every 5 ms);
 * resolves with the exit code and stderr.
 */
function interruptWhen(ready: (stderr: string) => boolean, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  let sent = false;
  const check = (): void => {
    if (sent || !ready(stderr)) return;
    sent = true; // once: a second Ctrl-C is not what is tested
    clearInterval(poll);
    child.kill('SIGINT');
  };
  const poll = setInterval(check, 5);
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); check(); });
  return new Promise((resolve) => child.once('close', (code) => { clearInterval(poll); resolve({ code, stderr }); }));
}

// These two send Ctrl-C at a chosen moment of a run: each runs alone, after the others.
test('the command the Ctrl-C hint prints continues the run (just `ptychostudy run --out HUB`)', { timeout: 600_000 }, async () => {
  const hub = join(tmp('hint'), 'hub');
  const child = spawn(process.execPath, [CLI, 'run', ...TINY, '--out', hub], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  await waitFor(() => finished(hub).size >= 1, child, 240_000);
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(child.exitCode, 130, stderr);
  const hint = /Continue with: (.+)$/m.exec(stderr)?.[1];
  assert.equal(hint, `ptychostudy run --out ${hub}`);
  const kept = finished(hub);
  const [program, ...args] = hint!.split(' ');
  assert.equal(program, 'ptychostudy');
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(json(join(hub, 'run.json')).status, 'complete');
  const done = finished(hub);
  assert.equal(done.size, 6);
  for (const [k, t] of kept) assert.equal(done.get(k), t, `${k} was redone`);
});

test('Ctrl-C during compare or report stops the run (exit 130) and the next run finishes it', { timeout: 600_000 }, async () => {
  const hub = join(tmp('sigint-late'), 'hub');
  // compare and the report compute synchronously; the signal is taken between their jobs and sections
  const atCompare = await interruptWhen((err) => err.includes('▶ compare…'), [...TINY, '--out', hub]);
  assert.equal(atCompare.code, 130, atCompare.stderr);
  assert.match(atCompare.stderr, /interrupted; finished work is kept/);
  assert.doesNotMatch(atCompare.stderr, /✓ compare/, 'compare ran to its end after the Ctrl-C');
  assert.equal(json(join(hub, 'run.json')).status, 'interrupted');
  assert.equal(existsSync(join(hub, 'report', 'index.html')), false);

  // once the report's sections are being built (its temporary directory exists)
  const building = (): boolean => existsSync(join(hub, 'report')) && readdirSync(join(hub, 'report')).some((n) => n.startsWith('.tmp-report.'));
  const atReport = await interruptWhen(building, ['--out', hub]);
  assert.equal(atReport.code, 130, atReport.stderr);
  assert.match(atReport.stderr, /✓ compare/);
  assert.doesNotMatch(atReport.stderr, /✓ report/, 'the report was finished after the Ctrl-C');
  assert.equal(json(join(hub, 'run.json')).status, 'interrupted');
  assert.equal(existsSync(join(hub, 'report', 'index.html')), false, 'a report page was put in place after the Ctrl-C');

  const rest = await run(['--out', hub]);
  assert.equal(rest.status, 0, rest.stderr);
  assert.match(rest.stderr, /compare: skipped/);
  assert.match(rest.stderr, /✓ report/);
  assert.match(rest.stderr, /^\[\+\d+:\d\d:\d\d\] {3}report: 11\/11 .* \(\d+\.\d s\)$/m, 'the report phase shows its sections as they are built');
  assert.equal(json(join(hub, 'run.json')).status, 'complete');
  assert.ok(existsSync(join(hub, 'report', 'index.html')));
  assert.deepEqual(readdirSync(join(hub, 'report')).filter((n) => n.startsWith('.tmp-')), [], 'the interrupted build\'s directory is left');
});
