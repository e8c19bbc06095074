/**
 * The library as a script meets it: one name for the same thing in every function (the earlier names still
 * accepted), a study without settings the size the CLI's `run` gives, a reconstruction stopped by an
 * AbortSignal, and errors a script can tell apart instead of a TypeError or a silent NaN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DatasetError, InputError, LockBusyError, LsqmlAbortedError, loadNpz, readMetricsSummary, runStudy, LsqmlEngine, parseSettingsText, reconstructionSettingsSha256, settingsDifferences, NpzError, LsqmlInputError, UsageError, alignReconstruction, amplitudeOf, buildReport, complexImage, computeMetrics, exportPtychodusProduct, frc, frcThreshold, runComparison, runOverlap, runReconstruction, runSimulation, saveNpz, msSsim, parseStudySettings, phaseOf, realImage, runLsqml, runLsqmlJob, ssim, syntheticProblem, validateDataset, readSettingsFile,
} from '../../src/index.js';
import { studySettingsFor } from '../../src/study/run/study.js';
import { newRunState, writeHubSettings, writeRunState } from '../../src/study/run/state.js';
import { phaseF, testEngine, writeTree } from '../study/reconstruct-helpers.js';
import { tempDir } from '../tmp.js';

const CXI = resolve('test/fixtures/cxi/scan.cxi');
const settings = (o: Record<string, unknown> = {}) => parseStudySettings({ reconstruction: { epochs: 3, batchSize: 10, threads: 1, ...o } }).reconstruction;
const usage = (pattern: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
  assert.equal(e.exitCode, 2);
  assert.match(e.message, pattern);
  return true;
};

test('runLsqmlJob: the input is `input` (here a CXI file); the earlier `inputNpz` gives the same bytes; none, or two, is a UsageError; an earlier result stays', async () => {
  const dir = tempDir('lib-input');
  const a = await runLsqmlJob({ input: CXI, outputDir: join(dir, 'a'), settings: settings() });
  // the settings as given (the defaults complete them) are the same settings
  const b = await runLsqmlJob({ inputNpz: CXI, outputDir: join(dir, 'b'), settings: { epochs: 3, batchSize: 10, threads: 1 } });
  assert.equal(a.nPositions, 40);
  assert.deepEqual(readFileSync(a.reconstructionNpz), readFileSync(b.reconstructionNpz));
  await assert.rejects(runLsqmlJob({ outputDir: join(dir, 'c'), settings: settings() }), usage(/`input` undefined: expected a path/));
  await assert.rejects(runLsqmlJob({ input: CXI, inputNpz: join(dir, 'other.npz'), outputDir: join(dir, 'd'), settings: settings() }),
    usage(/`input` .*scan\.cxi and `inputNpz` .*other\.npz: expected one input file/));
  await assert.rejects(runLsqmlJob({ input: 42 as never, outputDir: join(dir, 'e'), settings: settings() }), usage(/`input` 42: expected a path/));
  assert.deepEqual(readdirSync(dir).sort(), ['a', 'b']);
  // an earlier reconstruction in the output directory is never replaced
  const before = readFileSync(a.reconstructionNpz);
  await assert.rejects(runLsqmlJob({ input: CXI, outputDir: join(dir, 'a'), settings: settings({ epochs: 2 }) }),
    usage(/`outputDir` .*a: holds an earlier reconstruction \(reconstruction\.npz\), which is never replaced/));
  assert.deepEqual(readFileSync(a.reconstructionNpz), before);
});

test('runLsqmlJob holds the output directory\'s lock, as `ptychostudy lsqml` does: a second run into the same folder at the same time is refused at once, the first one\'s result kept', async () => {
  const dir = tempDir('lib-same-dir');
  const out = join(dir, 'out');
  const [first, second] = await Promise.allSettled([
    runLsqmlJob({ input: CXI, outputDir: out, settings: settings() }),
    runLsqmlJob({ input: CXI, outputDir: out, settings: settings({ epochs: 2 }) }),
  ]);
  assert.equal(first.status, 'fulfilled', first.status === 'rejected' ? String(first.reason) : '');
  assert.equal(second.status, 'rejected');
  const e = (second as PromiseRejectedResult).reason as unknown;
  assert.ok(e instanceof LockBusyError, `expected a LockBusyError, got ${String(e)}`);
  assert.match(e.message, /another lsqml \(pid \d+\) .* is writing into this output directory \(lock .*\.lsqml\.lock\)/);
  const { loss_history: loss } = loadNpz(join(out, 'reconstruction.npz'), ['loss_history']);
  assert.deepEqual(loss!.shape, [3], 'the first run\'s 3 epochs, not the second\'s 2');
  assert.deepEqual(readdirSync(out).sort(), ['lsqml.log', 'reconstruction.npz', 'reconstruction.png', 'reconstruction_run.json'], 'no lock left');
  // an output directory the call made is removed again when nothing was written (bad input)
  await assert.rejects(runLsqmlJob({ input: join(dir, 'none.npz'), outputDir: join(dir, 'made'), settings: settings() }), InputError);
  assert.deepEqual(readdirSync(dir), ['out']);
});

test('runLsqmlJob: an aborted signal stops the run at the end of the epoch: LsqmlAbortedError, and no reconstruction is written', async () => {
  const dir = tempDir('lib-abort');
  const stop = new AbortController();
  const seen: number[] = [];
  await assert.rejects(runLsqmlJob({ input: CXI, outputDir: dir, settings: settings({ epochs: 8 }), signal: stop.signal }, (p) => {
    seen.push(p.epoch);
    if (p.epoch === 2) stop.abort(new Error('enough'));
  }), (e: unknown) => {
    assert.ok(e instanceof LsqmlAbortedError, String(e));
    assert.equal(e.epochsRun, 2);
    assert.equal(e.epochs, 8);
    assert.equal(e.lossHistory.length, 2);
    assert.equal(e.code, 'ABORT_ERR');
    assert.equal((e.cause as Error).message, 'enough');
    assert.match(e.message, /LSQML stopped after 2 of 8 epochs: enough/);
    return true;
  });
  assert.deepEqual(seen, [1, 2]);
  assert.ok(!existsSync(join(dir, 'reconstruction.npz')));
  await assert.rejects(runLsqmlJob({ input: CXI, outputDir: join(dir, 'x'), settings: settings(), signal: 'stop' as never }),
    usage(/`signal` string: expected an AbortSignal/));
});

test('runLsqml: a signal aborted before the start, or during the run by a timer, stops it; the event loop runs between epochs', async () => {
  const problem = syntheticProblem({ size: 16, height: 40, width: 40, positions: 16, photons: 1e4, seed: 2 });
  await assert.rejects(runLsqml(problem.input, { epochs: 5, threads: 1 }, { signal: AbortSignal.abort('no') }), (e: unknown) =>
    e instanceof LsqmlAbortedError && e.epochsRun === 0 && e.epochs === 5 && e.cause === 'no');
  // a timer can only fire if the engine lets the event loop run: without a yield this would run all 100 000 epochs
  const stop = new AbortController();
  const epochs: number[] = [];
  const run = runLsqml(problem.input, { epochs: 100_000, batchSize: 16, threads: 1 }, { signal: stop.signal, onEpoch: (i) => {
    epochs.push(i.epoch);
    if (i.epoch === 0) setImmediate(() => stop.abort());
  } });
  await assert.rejects(run, (e: unknown) => e instanceof LsqmlAbortedError && e.epochsRun === epochs.length && e.epochsRun < 10);
  // without a signal the result is as before
  const r = await runLsqml(problem.input, { epochs: 3, batchSize: 16, threads: 1 });
  assert.equal(r.epochsRun, 3);
  await assert.rejects(runLsqml(problem.input, { epochs: 3 }, { signal: {} as never }), usage(/`signal` object: expected an AbortSignal/));
});

test('runReconstruction: the root it writes is `outputRoot`, as for every phase; `artifactRoot` still works; two different ones are refused', async () => {
  const dir = tempDir('lib-outroot');
  const t = writeTree(dir, { doses: [1000] });
  const engine = testEngine();
  const filters = { view: 'dense' as const, split: 'train' as const };
  const s = await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, outputRoot: join(dir, 'f'), doses: [1000], filters, executor: engine.executor });
  assert.equal(s.succeeded, 1);
  assert.ok(existsSync(join(dir, 'f', 'reconstruction_manifest.json')));
  // an engine runner gets the input under both names
  assert.equal(engine.calls[0]!.input, engine.calls[0]!.inputNpz);
  const old = await phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, artifactRoot: join(dir, 'g'), doses: [1000], filters, executor: engine.executor });
  assert.equal(old.succeeded, 1);
  assert.ok(existsSync(join(dir, 'g', 'reconstruction_manifest.json')));
  await assert.rejects(phaseF({ phaseCRoot: t.phaseC, phaseDRoot: t.phaseD, outputRoot: join(dir, 'h'), artifactRoot: join(dir, 'i'), doses: [1000] } as never),
    usage(/`outputRoot` .*h and `artifactRoot` .*i: expected one output root/));
  assert.ok(!existsSync(join(dir, 'h')) && !existsSync(join(dir, 'i')));
});

test('runStudy without settings: a new hub gets the quick preset (as `ptychostudy run`), a hub that holds a run its own settings', () => {
  const dir = tempDir('lib-study-default');
  const fresh = studySettingsFor(join(dir, 'new'), undefined);
  assert.equal(fresh.preset, 'quick');
  assert.deepEqual(fresh, parseStudySettings({ preset: 'quick' }));
  assert.ok(!existsSync(join(dir, 'new')));
  // settings given as parseStudySettings takes them are checked the same way
  assert.deepEqual(studySettingsFor(join(dir, 'new'), { preset: 'quick', simulation: { doses: [1e4] } }),
    parseStudySettings({ preset: 'quick', simulation: { doses: [1e4] } }));
  // without a preset, the schema's defaults are the reference study's size, not the quick one
  assert.equal(studySettingsFor(join(dir, 'new'), {}).simulation.nPositions, 10304);
  const hub = join(dir, 'hub');
  const own = parseStudySettings({ preset: 'fly64', simulation: { doses: [1e3] } });
  writeHubSettings(hub, own);
  writeRunState(hub, newRunState(own, '0.1.0', '2026-01-01T00:00:00Z'));
  assert.deepEqual(studySettingsFor(hub, undefined), own);
});

test('the metrics: an image whose data do not hold h·w values is a RangeError naming the metric, not a NaN', () => {
  const a = realImage(16, 16, Array.from({ length: 256 }, (_, i) => Math.sin(i)));
  const short = { h: 16, w: 16, data: new Float64Array(5) };
  assert.throws(() => ssim(short, a, 1), /ssim: the first image: expected \{ h, w, data \} with h·w values .*found h 16, w 16, 5 values/);
  assert.throws(() => msSsim(a, short), (e: unknown) => e instanceof RangeError && /msSsim: the second image/.test(e.message));
  assert.throws(() => frc(a, null as never), /frc: the second image: .*found null/);
  assert.throws(() => ssim(a, realImage(8, 8), 1), /ssim: shapes differ \(16×16 vs 8×8\)/);
  assert.equal(ssim(a, a, 2), 1);
});

test('the metrics of complex images: a real image, or one with too few values, given to computeMetrics, alignReconstruction, amplitudeOf or phaseOf is a RangeError naming the call, not NaN scores', () => {
  const z = complexImage(16, 16, Array.from({ length: 512 }, (_, i) => Math.cos(i)));
  const real = realImage(16, 16);
  assert.throws(() => computeMetrics(real as never, z), (e: unknown) => e instanceof RangeError &&
    e.message === 'computeMetrics: the first image (gt): expected a complex image { h, w, data } with 2·h·w values, re and im interleaved (complexImage(h, w, interleaved)); found h 16, w 16, 256 values');
  assert.throws(() => alignReconstruction(z, { h: 16, w: 16, data: new Float64Array(5) }), /^RangeError: alignReconstruction: the second image \(rec\): .*found h 16, w 16, 5 values$/);
  assert.throws(() => amplitudeOf(real as never), /^RangeError: amplitudeOf: the image: expected a complex image/);
  assert.throws(() => phaseOf(null as never), /^RangeError: phaseOf: the image: .*found null$/);
  assert.equal(computeMetrics(z, z).ssim.amplitude, 1);
});

test('syntheticProblem: a spec out of range is a UsageError before anything is allocated', () => {
  assert.throws(() => syntheticProblem({ size: 32, height: 20, width: 72, positions: 10, photons: 1e4 }), usage(/`height` × `width` 20×72: expected at least size \+ 3/));
  assert.throws(() => syntheticProblem({ size: 1024, height: 2000, width: 2000, positions: 1e6, photons: 1e4 }), usage(/`positions` × `size`²/));
  assert.throws(() => syntheticProblem({ size: 16.5, height: 40, width: 40, positions: 4, photons: 1 }), usage(/`size` 16\.5: expected a positive integer/));
  assert.throws(() => syntheticProblem({ size: 16, height: 40, width: 40, positions: 4, photons: -1 }), usage(/`photons` -1/));
});

test('buildReport takes its options as the second argument, as every other entry; the earlier (hub, lockWaitMs, options) still works', async () => {
  const hub = join(tempDir('lib-report'), 'hub');
  mkdirSync(hub);
  const seen: string[] = [];
  const r = await buildReport(hub, { onProgress: (p) => seen.push(p.message), lockWaitMs: 1000 });
  assert.equal(seen.length, 11);
  assert.match(seen[10]!, /^report: 11\/11 Software/);
  assert.ok(existsSync(r.indexPath));
  const old: string[] = [];
  await buildReport(hub, 1000, { onProgress: (p) => old.push(p.message) });
  assert.equal(old.length, 11);
  await assert.rejects(buildReport(hub, { lockWaitMs: -1 }), usage(/`lockWaitMs` -1: expected a number of milliseconds/));
});

test('a bare typed array given to saveNpz, or loose parts given to runLsqml, are an InputError saying what is expected, not a TypeError', async () => {
  const dir = tempDir('lib-shapes');
  for (const bare of [new Float64Array(3), [1, 2, 3]]) {
    assert.throws(() => saveNpz(join(dir, 'a.npz'), { a: bare as never }), (e: unknown) => e instanceof InputError &&
      /a\.npz: key 'a': expected an array \{ dtype, shape, data \} .*; found a bare (Float64Array|Array)$/.test(e.message));
  }
  assert.deepEqual(readdirSync(dir), []);
  const problem = syntheticProblem({ size: 16, height: 40, width: 40, positions: 4, photons: 1e3 });
  const cases: [unknown, RegExp][] = [
    [{}, /input\.intensities: expected a Float32Array or Float64Array \[n, N, N\]; found undefined/],
    [{ ...problem.input, intensities: [1, 2] }, /input\.intensities: .*found Array/],
    [{ ...problem.input, object: { h: 40, w: 40, data: [1] } }, /input\.object: expected \{ h, w, data: Float32Array \| Float64Array \}.*found data Array/],
    [{ ...problem.input, probe: undefined }, /input\.probe: .*found undefined/],
  ];
  for (const [input, pattern] of cases) {
    await assert.rejects(runLsqml(input as never, { epochs: 2 }), (e: unknown) => e instanceof LsqmlInputError && pattern.test(e.message));
  }
});

test('saveNpz, validateDataset and frcThreshold given no arrays, no path or no curve: an error of the package naming what is expected, not a TypeError or a number', () => {
  const dir = tempDir('lib-none');
  const p = join(dir, 'a.npz');
  assert.throws(() => saveNpz(p, undefined as never), (e: unknown) => e instanceof NpzError &&
    e.message === `${p}: expected the arrays by key ({ name: { dtype, shape, data } } or a Map); found undefined`);
  assert.throws(() => saveNpz(p, new Float64Array(2) as never), /found a bare Float64Array$/);
  assert.throws(() => saveNpz(undefined as never, {}), usage(/^saveNpz: `path` undefined: expected a file name$/));
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(() => validateDataset(null as never, 'd.npz'), (e: unknown) => e instanceof DatasetError &&
    e.message === 'd.npz: expected the arrays by key ({ diffraction, probeGuess, xcoords, ycoords, … }, as loadNpz gives them); found null');
  assert.throws(() => frcThreshold({} as never, 0.5), /^RangeError: frcThreshold: the curve: expected an array of correlations per ring \(frc\(a, b\)\.curve\); found an object without a length$/);
  assert.throws(() => frcThreshold([1, 0.2], '0.5' as never), /^RangeError: frcThreshold: the threshold: expected a number \(0\.5, 1\/7\); found string 0\.5$/);
  assert.equal(frcThreshold([1, 0.6, 0.4], 0.5), 1.5);
});

test('an option an entry point does not take is a UsageError naming it and where it belongs, not silently ignored (a filter that selects nothing)', async () => {
  const dir = tempDir('lib-names');
  const c = join(dir, 'c'), d = join(dir, 'd'), f = join(dir, 'f'), g = join(dir, 'g');
  const quick = { preset: 'quick' } as const;
  await assert.rejects(runReconstruction(quick, { phaseCRoot: c, phaseDRoot: d, outputRoot: f, dose: 1e4 } as never),
    usage(/^runReconstruction: option `dose`: expected no such option \(the job filters go in `filters: \{ dose, view, split, gridsize \}`; it takes `phaseCRoot`/));
  await assert.rejects(runComparison({ phaseCRoot: c, phaseDRoot: d, phaseFRoot: f, outputRoot: g, filters: { dose: 1e4 } } as never),
    usage(/^runComparison: option `filters`: expected no such option \(the job filters are options themselves: `dose`, `view`, `split`;/));
  await assert.rejects(runOverlap(quick, { phaseCRoot: c, outputRoot: d, dose: [1e4] } as never),
    usage(/^runOverlap: option `dose`: expected no such option \(the doses are `doses: \[1e4, …\]`;/));
  await assert.rejects(runSimulation(quick, { outputRoot: c, overwirte: true } as never),
    usage(/^runSimulation: option `overwirte`: expected no such option \(it takes `outputRoot`, `overwrite`, /));
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});

test('runLsqmlJob, exportPtychodusProduct and runLsqml: an option they do not take (a progress callback among the options, a misspelt pixel size), or options that are no object, are a UsageError, not ignored', async () => {
  const dir = tempDir('lib-names-one');
  const input = join(dir, 'never-read.npz'), out = join(dir, 'out');
  await assert.rejects(runLsqmlJob({ input, outputDir: out, settings: { epochs: 2 }, onProgress: () => {} } as never),
    usage(/^runLsqmlJob: option `onProgress`: expected no such option \(the progress callback is the second argument, runLsqmlJob\(options, onProgress\); it takes `input`, `inputNpz`, `outputDir`, `settings`, `signal`, `settingsOrigin`, `checkpoint`\)$/));
  await assert.rejects(runLsqmlJob(undefined as never), usage(/^runLsqmlJob: options undefined: expected an object naming `input`, `outputDir`, `settings`$/));
  await assert.rejects(runLsqmlJob({ input, outputDir: out, settings: {} }, 'progress' as never), usage(/^runLsqmlJob: `onProgress` "progress": expected a function or undefined$/));
  await assert.rejects(exportPtychodusProduct({ input: dir, out: join(dir, 'p.h5'), pixelSize: 1e-8 } as never),
    usage(/^exportPtychodusProduct: option `pixelSize`: expected no such option \(it takes `input`, `out`, `force`, `pixelSizeM`\)$/));
  await assert.rejects(exportPtychodusProduct(undefined as never), usage(/^exportPtychodusProduct: options undefined: expected an object naming `input`, `out`$/));
  const problem = syntheticProblem({ size: 16, height: 40, width: 40, positions: 4, photons: 1e3 });
  await assert.rejects(runLsqml(problem.input, { epochs: 2 }, { onProgress: () => {} } as never),
    usage(/^runLsqml: option `onProgress`: expected no such option \(it takes `onEpoch`, `betweenEpochs`, `signal`, `resume`, `onResumed`, `checkpointEvery`, `onCheckpoint`\)$/));
  await assert.rejects(runLsqml(problem.input, { epochs: 2 }, { onEpoch: 1 } as never), usage(/^runLsqml: `onEpoch` number: expected a function or undefined$/));
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});

test('parseSettingsText, reconstructionSettingsSha256, settingsDifferences and new LsqmlEngine: an argument of the wrong kind is a UsageError naming it, not a TypeError or a silent answer', () => {
  assert.throws(() => parseSettingsText(5 as never, 'a.yaml'), usage(/^parseSettingsText: `text` number: expected the settings file's text \(a string\)$/));
  assert.throws(() => parseSettingsText('epochs: 3', undefined as never), usage(/^parseSettingsText: `file` undefined: expected the file's name/));
  assert.deepEqual(parseSettingsText('reconstruction: {epochs: 3}', 'a.yaml'), { reconstruction: { epochs: 3 } });
  assert.throws(() => reconstructionSettingsSha256(undefined as never), usage(/^reconstructionSettingsSha256: the settings undefined: expected the reconstruction settings \(an object/));
  assert.match(reconstructionSettingsSha256(settings()), /^[0-9a-f]{64}$/);
  assert.throws(() => settingsDifferences(undefined, undefined), usage(/^settingsDifferences: `was` undefined: expected a set of settings \(an object\)$/));
  assert.throws(() => settingsDifferences({}, [1]), usage(/^settingsDifferences: `now` an array: expected a set of settings/));
  assert.deepEqual(settingsDifferences({ reconstruction: { epochs: 3 } }, { reconstruction: { epochs: 4 } }), [{ setting: 'reconstruction.epochs', was: 3, now: 4 }]);
  assert.throws(() => new (LsqmlEngine as unknown as new (...a: unknown[]) => unknown)({}, {}), usage(/^new LsqmlEngine\(…\): an engine is made by `await LsqmlEngine\.create\(input, options\)`/));
});

test('runStudy and runSimulation look for SLURM jobs that write the hub or the root before they write, as the command line does: a SLURM record that cannot be read is an InputError naming it, nothing run', async () => {
  const hub = join(tempDir('lib-slurm-guard'), 'hub');
  const quick = parseStudySettings({ preset: 'quick', simulation: { doses: [1e4] } });
  writeHubSettings(hub, quick);
  writeRunState(hub, newRunState(quick, '0.1.0', '2026-01-01T00:00:00Z'));
  mkdirSync(join(hub, 'slurm'), { recursive: true });
  const record = join(hub, 'slurm', 'jobs.json');
  writeFileSync(record, '{ broken');
  const named = (e: unknown): boolean => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${record}: the SLURM jobs record is not valid JSON`), e.message);
    return true;
  };
  // an aborted signal: code that did not look would stop at once instead (StudyAbortedError)
  const signal = AbortSignal.abort();
  const before = readFileSync(join(hub, 'run.json'), 'utf8');
  await assert.rejects(runStudy(hub, undefined, undefined, { signal }), named);
  await assert.rejects(runSimulation(quick, { outputRoot: join(hub, 'phase_c'), signal }), named);
  assert.deepEqual(readdirSync(hub).sort(), ['run.json', 'settings.json', 'slurm'], 'nothing written');
  assert.equal(readFileSync(join(hub, 'run.json'), 'utf8'), before);
});

test('readMetricsSummary: a hub\'s phase_g/metrics_summary.json as its schema gives it; null when there is none, an InputError naming it when it is broken', () => {
  const dir = tempDir('lib-summary');
  assert.equal(readMetricsSummary(join(dir, 'metrics_summary.json')), null);
  writeFileSync(join(dir, 'metrics_summary.json'), '{ "schema_version": "1.0.0" }');
  assert.throws(() => readMetricsSummary(join(dir, 'metrics_summary.json')),
    (e: unknown) => e instanceof InputError && e.message.startsWith(`${join(dir, 'metrics_summary.json')}: key `) && /metrics summary schema/.test(e.message));
});

test('readSettingsFile: a file that is not there, or a folder, is a UsageError naming the path the script gave, not the command line\'s --config', () => {
  const dir = tempDir('library-settings');
  const missing = join(dir, 'study.yaml');
  const refused = (message: string) => (e: unknown): boolean => e instanceof UsageError && e.exitCode === 2 && e.message === message;
  assert.throws(() => readSettingsFile(missing), refused(`${missing}: no such file`));
  assert.throws(() => readSettingsFile(dir), refused(`${dir}: not a regular file (a directory)`));
  writeFileSync(missing, 'reconstruction: { epochs: 3 }\n');
  assert.deepEqual(readSettingsFile(missing), { reconstruction: { epochs: 3 } });
});
