/**
 * `ptychostudy report --out DIR` on the folder `lsqml --out DIR` wrote: a report of that one reconstruction
 * (object, probe modes, loss, positions, detector mask, a few patterns of the input file when its SHA-256
 * still matches, provenance, settings, software); the same reconstruction gives the same bytes; an existing
 * report is kept unless --force; a damaged reconstruction.npz is one line, exit 2, nothing written; a broken
 * reconstruction_run.json is named under "Broken evidence" on a page drawn from the rest, exit 1. One tiny
 * lsqml run (3 epochs) of the CXI fixture with a detector mask serves every test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Hdf5Reader } from '../../src/data/hdf5/reader.js';
import { loadNpz, saveNpz } from '../../src/npy/npz.js';
import { buildReconstructionReport, rerunCommand } from '../../src/study/report/reconstruction-report.js';
import { StudyAbortedError } from '../../src/study/phase.js';
import { InputError, UsageError } from '../../src/errors.js';
import { tryLock } from '../../src/files/lock.js';
import { assertRefused, ptychostudy } from '../data/cli-run.js';
import { HAVE_CHROMIUM, inspectPage, inspectPrint } from './chromium.js';
import { fixtureEntries, writeHdf5 } from '../data/cxi-builder.js';
import { tempDir } from '../tmp.js';

const root = tempDir('reconstruction-report');
const D = 'entry_1/data_1/data', MASK = 'entry_1/instrument_1/detector_1/mask';
const entries = await fixtureEntries();
const mask = new Uint32Array(32 * 32);
mask[3] = 1; mask[40] = 2; mask[500] = 512; // three pixels flagged "do not use"
const input = join(root, 'scan.cxi');
writeHdf5(input, { ...entries, [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } });
const original = join(root, 'original');
const run = ptychostudy(['lsqml', '--input', input, '--out', original, '--epochs', '3']);
assert.equal(run.status, 0, run.stderr);

let copies = 0;
/** A copy of the reconstruction folder (so that each test starts from one without a report). */
function folder(): string {
  const d = join(root, `copy${copies++}`);
  cpSync(original, d, { recursive: true });
  return d;
}

/** Every file under `dir`, relative path → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) { const p = join(e.parentPath, e.name); out.set(p.slice(dir.length), readFileSync(p)); }
  }
  return out;
}

test('report of an lsqml folder: object, probe, loss, positions, detector mask, patterns, provenance, settings, software', async () => {
  const dir = folder();
  const r = ptychostudy(['report', '--out', dir, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  for (const id of ['glance', 'object', 'probe', 'loss', 'positions', 'data', 'input', 'settings', 'software']) assert.match(html, new RegExp(`<section id="${id}">`));
  const imgs = readdirSync(join(dir, 'report', 'img')).sort();
  assert.deepEqual(imgs, ['detector_mask.png', 'loss.png', 'loss.svg', 'lsqml-settings.json', 'object.png', 'patterns.png', 'positions.png', 'probe.png']);
  for (const f of imgs) assert.match(html, new RegExp(`img/${f.replace('.', '\\.')}`));
  // the detector mask: the three flagged pixels, from the CXI mask
  assert.match(html, /<td>applied<\/td><td class="num">3 of 1024 \(0\.29 %\)<\/td><td class="wrap">cxi mask entry_1\/instrument_1\/detector_1\/mask: 3<\/td>/);
  // the loss counts the masked pixels too (pty-chi's loss, every detector pixel): said under the loss curve
  assert.match(html, /so in the unit of the intensities: the file's values as stored \(counts, ADU…; see the patterns under Data\)\. Every detector pixel counts in it, the 3 masked ones included, with the 0 they were set to/);
  // provenance as recorded: the path, size and SHA-256 of the input
  const sha = (await import('node:crypto')).createHash('sha256').update(readFileSync(input)).digest('hex');
  assert.ok(html.includes(sha));
  assert.ok(html.includes(input));
  assert.match(html, new RegExp(`<td>size \\(bytes\\)</td><td class="num">${statSync(input).size}</td>`));
  // the fixture states no intensity scale: said in words, not as the record's code ("absent (1)")
  assert.match(html, /<td>intensity scale<\/td><td class="wrap">1 \(the input states none, so 1 is used\)<\/td>/);
  // the patterns drawn are of the input file, whose SHA-256 matched
  assert.match(html, /Patterns 0, 20, 39 of the 40 in [^<]*scan\.cxi: entry_1\/data_1\/data/);
  // settings and options used, software
  assert.match(html, /Options of the run \(_metadata\.job_options\)/);
  assert.match(html, /<td>epochs<\/td><td class="wrap">3<\/td>/);
  assert.match(html, /<td>noiseModel<\/td><td class="wrap">gaussian<\/td>/);
  assert.match(html, /ptychostudy-lsqml 0\.\d+\.\d+/);
  // no ground truth: nothing scored, and said so
  assert.match(html, /there is no ground truth, so nothing is compared or scored/);
  // what the reconstruction is known by, at the top: its seed, when and by which engine it ran
  assert.match(html, /<dt>run<\/dt><dd>seed 42, started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z, by ptychostudy-lsqml \d+\.\d+\.\d+ \(every setting under Settings\)<\/dd>/);
});

test('the object figure is the scanned region with a scale bar in metres; the probe table gives the power fractions', async () => {
  const dir = folder();
  const r = await buildReconstructionReport(dir);
  // the input file's patterns: its values as stored, not called photons
  assert.deepEqual([...new Set(r.figures.find((f) => f.file === 'patterns.png')!.panels.map((p) => p.unit))], ['value as stored']);
  const obj = r.figures.find((f) => f.file === 'object.png');
  assert.ok(obj);
  assert.equal(obj.panels.length, 2);
  for (const p of obj.panels) assert.match(String(p.scaleBar), /\d (nm|µm)$/, `scale bar ${p.scaleBar}`);
  // every colour bar says what it shows: |O| and |P| (moduli, no unit), phases in rad
  assert.deepEqual(obj.panels.map((p) => p.unit), ['|O|', 'rad']);
  assert.deepEqual(r.figures.find((f) => f.file === 'probe.png')!.panels.map((p) => p.unit), ['|P|', 'rad']);
  const html = readFileSync(r.indexPath, 'utf8');
  // 40 positions, 32-px patches: the bounding box of the patches, inside the 73×58 object frame and smaller than it
  const m = /rows (\d+)–(\d+), columns (\d+)–(\d+) of the 73×58 px object/.exec(html);
  assert.ok(m, 'the scanned region is stated');
  const [y0, y1, x0, x1] = m.slice(1).map(Number) as [number, number, number, number];
  // the scan centres ([ycoords, xcoords] of reconstruction.npz) ± 16 px, clamped to the frame
  const pos = loadNpz(join(dir, 'reconstruction.npz')).positions!.data as Float64Array;
  const ys = pos.filter((_, i) => i % 2 === 0), xs = pos.filter((_, i) => i % 2 === 1);
  assert.deepEqual([y0, y1, x0, x1], [Math.max(0, Math.floor(Math.min(...ys) - 16)), Math.min(73, Math.ceil(Math.max(...ys) + 16)) - 1,
    Math.max(0, Math.floor(Math.min(...xs) - 16)), Math.min(58, Math.ceil(Math.max(...xs) + 16)) - 1]);
  assert.ok((y1 - y0 + 1) * (x1 - x0 + 1) < 73 * 58, m[0]);
  assert.match(html, /<td class="num">0<\/td><td class="num">100\.00 %<\/td>/);
});

test('the page gives the command that runs the reconstruction again, paths quoted for a shell: run, it writes the same reconstruction.npz', async () => {
  const dir = join(root, "it's a copy");
  cpSync(original, dir, { recursive: true });
  await buildReconstructionReport(dir);
  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  const m = /<pre><code>(ptychostudy lsqml [^<]*)<\/code><\/pre>/.exec(html);
  assert.ok(m, 'no command on the page');
  const command = m[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const settings = join(dir, 'report', 'img', 'lsqml-settings.json');
  assert.equal(command, `ptychostudy lsqml --config '${settings.replace(/'/g, "'\\''")}' --input ${input} --out '${dir.replace(/'/g, "'\\''")}-rerun'`);
  assert.match(html, new RegExp(`the input is the input path reconstruction_run\\.json records \\(input_npz\\), ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
  assert.equal(JSON.parse(readFileSync(settings, 'utf8')).reconstruction.epochs, 3);
  const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
  const again = spawnSync('sh', ['-c', command.replace(/^ptychostudy /, `'${process.execPath}' '${cli}' `)], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.ok(readFileSync(join(`${dir}-rerun`, 'reconstruction.npz')).equals(readFileSync(join(dir, 'reconstruction.npz'))), 'the command gave another reconstruction');
});

test('the command names start files by the paths reconstruction_run.json records, and says why when the record does not allow one', () => {
  const settings = { epochs: 4, initProbe: 'file:probe.npz', initObject: 'file:rec.npz' };
  const run = { input_npz: '/data/scan.cxi', init_probe_path: '/data/probe.npz', init_object_path: '/data/old run/rec.npz' };
  const r = rerunCommand({ reconstruction_settings: settings }, run, '/data/out', '/data/out/report/img/lsqml-settings.json', undefined);
  assert.ok(!('why' in r), JSON.stringify(r));
  assert.equal(r.command, "ptychostudy lsqml --config /data/out/report/img/lsqml-settings.json --input /data/scan.cxi --out /data/out-rerun");
  assert.deepEqual(JSON.parse(r.settings).reconstruction, { epochs: 4, initProbe: 'file:/data/probe.npz', initObject: 'file:/data/old run/rec.npz' });
  const named = rerunCommand({ reconstruction_settings: { epochs: 4 } }, run, '/data/out', '/s.json', '/elsewhere/it is.cxi');
  assert.ok(!('why' in named) && named.command.includes("--input '/elsewhere/it is.cxi'") && /report --input/.test(named.inputFrom));
  const why = (meta: Record<string, unknown>, rec: Record<string, unknown> | null): string => { const x = rerunCommand(meta, rec, '/d', '/s.json', undefined); return 'why' in x ? x.why : ''; };
  assert.match(why({ reconstruction_settings: settings }, { input_npz: '/data/scan.cxi' }), /records no init_probe_path/);
  assert.match(why({}, run), /records no reconstruction_settings/);
  assert.match(why({ reconstruction_settings: { epochs: 'many' } }, run), /this version refuses the recorded settings/);
  assert.match(why({ reconstruction_settings: { epochs: 4 } }, null), /records no input path/);
});

test('the loss axis names its unit and has whole epochs; a narrow figure is drawn at the object figure\'s scale, not the column\'s width', async () => {
  const dir = folder();
  await buildReconstructionReport(dir);
  const svg = readFileSync(join(dir, 'report', 'img', 'loss.svg'), 'utf8');
  assert.match(svg, />loss per pixel \(value as stored\)</);
  // the epoch axis's labels (11 px) sit 16 px below it (the loss axis's, decimals such as 0.5, 7 px left of it)
  const epochs = [...svg.matchAll(/<text [^>]*transform="translate\([\d.-]+,16\)"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  assert.ok(epochs.length >= 1, 'epoch labels');
  for (const e of epochs) assert.match(e, /^\d+$/, `epoch tick ${e} between two epochs`);
  const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
  assert.match(html, /<dt>epochs<\/dt><dd>3, final loss \d\.\d{3}e[+-]\d+ \(value as stored per pixel\)<\/dd>/);
  const width = (name: string): number => Number(new RegExp(`<img src="img/${name}" width="(\\d+)"`).exec(html)?.[1] ?? NaN);
  // one 360-px map beside the object figure's two 360-px panels and colour bars: well under the column's 1000 px
  assert.ok(width('positions.png') > 300 && width('positions.png') < 600, `positions drawn ${width('positions.png')} px wide`);
  assert.ok(width('probe.png') < 1000, `probe drawn ${width('probe.png')} px wide`);
  assert.match(html, /<img src="img\/object\.png" alt=/, 'the object figure fills the column');
});

test('every figure\'s smallest text is at least 8 CSS px on a 1400-px screen and 6 pt printed on A4', async (t) => {
  if (!HAVE_CHROMIUM) { t.skip('/usr/bin/chromium not installed (CI installs Debian\'s chromium)'); return; }
  const dir = folder();
  const rep = await buildReconstructionReport(dir);
  const textPx = new Map(rep.figures.map((f) => [`img/${f.file}`, f.smallestTextPx]));
  const [screen] = await inspectPage(rep.indexPath, [1400]);
  const print = await inspectPrint(rep.indexPath);
  assert.deepEqual(screen!.images.map((i) => i.src).sort(), ['detector_mask', 'loss', 'object', 'patterns', 'positions', 'probe'].map((n) => `img/${n}.png`));
  screen!.images.forEach((im, i) => {
    const px = textPx.get(im.src);
    assert.ok(px !== undefined && Number.isFinite(px), `${im.src}: its smallest text is known`);
    const shown = px * im.shownWidth / im.naturalWidth, printed = px * print.images[i]!.width / im.naturalWidth * 0.75;
    assert.ok(shown >= 8, `${im.src}: its smallest text shows at ${shown.toFixed(2)} CSS px in a 1400-px window`);
    // the object figure printed it at 5.2 pt (a scale bar's label)
    assert.ok(printed >= 6, `${im.src}: its smallest text prints at ${printed.toFixed(2)} pt`);
  });
});

test('the same reconstruction gives the same bytes (all but the time of writing), its folder named by an absolute or a relative path; an existing report is kept without --force, and moves to history/ with it', async () => {
  const dir = folder();
  await buildReconstructionReport(dir);
  const first = filesOf(join(dir, 'report'));
  const refused = ptychostudy(['report', '--out', dir]);
  assertRefused(refused, 'report', /a report of this reconstruction exists \(.*index\.html\) and is kept; pass --force to replace it/);
  assert.deepEqual(filesOf(join(dir, 'report')), first);
  await buildReconstructionReport(relative(process.cwd(), dir), { force: true }); // the page names the folder as it is, not as typed
  const second = new Map([...filesOf(join(dir, 'report'))].filter(([name]) => !name.startsWith('/history/')));
  assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
  // the report --force replaced is kept whole, page and images, in report/history/replaced-<time>/
  const kept = readdirSync(join(dir, 'report', 'history'));
  assert.equal(kept.length, 1);
  assert.match(kept[0]!, /^replaced-\d{8}T\d{6}Z$/);
  assert.deepEqual(filesOf(join(dir, 'report', 'history', kept[0]!)), first);
  const stamp = (b: Buffer): string => b.toString('utf8').replace(/generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, 'generated T');
  for (const [name, bytes] of first) {
    if (name.endsWith('index.html')) assert.equal(stamp(second.get(name)!), stamp(bytes));
    else assert.ok(second.get(name)!.equals(bytes), `${name} differs`);
  }
  assert.match(first.get('/index.html')!.toString('utf8'), /generated \d{4}-/);
});

test('a damaged reconstruction.npz: one line naming it, exit 2, nothing written (there is nothing to show)', () => {
  const dir = folder();
  const npz = join(dir, 'reconstruction.npz');
  truncateSync(npz, Math.floor(statSync(npz).size / 2));
  assertRefused(ptychostudy(['report', '--out', dir]), 'report', new RegExp(`^ptychostudy report: ${npz.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*no report was written`));
  assert.ok(!existsSync(join(dir, 'report')));
});

test('a broken reconstruction_run.json is broken evidence: the page is written from reconstruction.npz and names it, one stderr line, exit 1', async () => {
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // not JSON, a directory, a dangling link, JSON that is no object: each named with why, never taken for an absent record
  const cases: [string, (p: string) => void, string][] = [
    ['not JSON', (p) => writeFileSync(p, '{"input_npz": '), 'not valid JSON \\(.*\\)'],
    ['a directory', (p) => { rmSync(p); mkdirSync(p); }, 'expected a JSON file; found a directory'],
    ['a dangling link', (p) => { rmSync(p); symlinkSync('moved-away.json', p); }, 'expected a JSON file; found a symbolic link to moved-away\\.json, which does not exist'],
    ['an array', (p) => writeFileSync(p, '[1, 2]'), 'expected a JSON object; found \\[1,2\\]'],
  ];
  for (const [kind, breakIt, why] of cases) {
    const dir = folder();
    const runJson = join(dir, 'reconstruction_run.json');
    breakIt(runJson);
    const r = ptychostudy(['report', '--out', dir, '--quiet']);
    assert.equal(r.status, 1, `${kind}: exit ${r.status}: ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${kind}: one line expected:\n${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`^${esc(runJson)}: ${why} \\(broken evidence: the report shows it as broken\\)$`), kind);
    const html = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    assert.match(html, /<section id="broken">/, kind);
    assert.ok(html.indexOf('<section id="broken">') < html.indexOf('<section id="glance">'), `${kind}: Broken evidence first`);
    assert.match(html, /One file of this reconstruction&#39;s folder is there but could not be read|One file of this reconstruction's folder is there but could not be read/, kind);
    assert.match(html, /<strong>Broken:<\/strong> the run&#39;s record: |<strong>Broken:<\/strong> the run's record: /, kind);
    assert.doesNotMatch(html, /reconstruction_run\.json not found/, `${kind}: never shown as absent`);
    for (const id of ['object', 'probe', 'loss', 'positions']) assert.match(html, new RegExp(`<section id="${id}">`), kind);
  }
  // the library call returns it as `broken`, as buildReport does for a hub file
  const dir = folder();
  const runJson = join(dir, 'reconstruction_run.json');
  writeFileSync(runJson, '{"input_npz": ');
  const built = await buildReconstructionReport(dir);
  assert.deepEqual(built.broken.map((b) => b.file), [runJson]);
  assert.match(built.broken[0]!.reason, /^not valid JSON \(/);
  assert.ok(built.missing.some((m) => m.includes('reconstruction_run.json is there but could not be read (see Broken evidence)')), built.missing.join('\n'));
});

test('a probe whose header declares a wrong shape is refused from the header, before its data is read', async () => {
  const dir = folder();
  const npz = join(dir, 'reconstruction.npz');
  const arrays = loadNpz(npz);
  // four dimensions, and data whose CRC-32 no longer matches: reading the data would fail on the CRC instead
  const MARK = 1234.5678;
  arrays['reconstructed_probe'] = { dtype: '<c16', shape: [2, 2, 3, 4], data: new Float64Array(2 * 48).fill(MARK) };
  saveNpz(npz, arrays, { compress: false });
  const bytes = readFileSync(npz);
  const at = bytes.indexOf(Buffer.from(new Float64Array([MARK]).buffer));
  assert.ok(at > 0);
  bytes[at] ^= 0xff;
  writeFileSync(npz, bytes);
  await assert.rejects(buildReconstructionReport(dir), (err: Error) => {
    assert.match(err.message, /key 'reconstructed_probe': expected complex \[M, N, N\] \(M ≤ 50\); found shape \[2, 2, 3, 4\]; no report was written$/);
    return true;
  });
  assert.ok(!existsSync(join(dir, 'report')));
});

test('a file where report/ goes: one line naming it, exit 2, the file untouched (as the study report says)', () => {
  const dir = folder();
  const where = join(dir, 'report');
  writeFileSync(where, 'notes\n');
  assertRefused(ptychostudy(['report', '--out', dir]), 'report', `report directory ${where}: expected a directory; found a file`);
  assert.equal(readFileSync(where, 'utf8'), 'notes\n');
});

test('an input file that changed since the run: its patterns are not drawn, and the page says why', async () => {
  const dir = folder();
  const changed = join(root, 'changed.cxi');
  const bytes = readFileSync(input);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(changed, bytes);
  const runJson = join(dir, 'reconstruction_run.json');
  writeFileSync(runJson, readFileSync(runJson, 'utf8').replace(JSON.stringify(input), JSON.stringify(changed)));
  const r = await buildReconstructionReport(dir);
  assert.ok(!existsSync(join(dir, 'report', 'img', 'patterns.png')));
  assert.ok(r.missing.some((m) => m === `patterns: not drawn — the SHA-256 of ${changed} is not the one recorded (the file has changed)`), r.missing.join('\n'));
  const gone = folder();
  writeFileSync(join(gone, 'reconstruction_run.json'), readFileSync(runJson, 'utf8').replace(JSON.stringify(changed), JSON.stringify(join(root, 'nowhere.cxi'))));
  const g = await buildReconstructionReport(gone);
  assert.ok(g.missing.includes(`patterns: not drawn — ${join(root, 'nowhere.cxi')} is not there any more`), g.missing.join('\n'));
});

test('an input path recorded outside the folder\'s parent is not followed: the page says so; the file named with --input is drawn', async () => {
  // the folder moved elsewhere: reconstruction_run.json still names the data beside where it was written
  const elsewhere = join(tempDir('reconstruction-report-elsewhere'), 'rec');
  cpSync(original, elsewhere, { recursive: true });
  const r = await buildReconstructionReport(elsewhere);
  assert.ok(!existsSync(join(elsewhere, 'report', 'img', 'patterns.png')), 'a file outside the folder\'s parent was read');
  assert.ok(r.missing.includes(`patterns: not drawn — the input path reconstruction_run.json records, ${input}, lies outside ` +
    `${join(elsewhere, '..')} (the folder's parent), and a path read from a file is not followed there; name the file (\`report --input FILE\`) to draw them`), r.missing.join('\n'));
  // so is a path that climbs out of it
  const climbing = folder();
  const runJson = join(climbing, 'reconstruction_run.json');
  writeFileSync(runJson, readFileSync(runJson, 'utf8').replace(JSON.stringify(input), JSON.stringify('../../../../../../../../etc/hostname')));
  const c = await buildReconstructionReport(climbing);
  assert.ok(c.missing.some((m) => m.startsWith('patterns: not drawn — the input path reconstruction_run.json records, ../../')), c.missing.join('\n'));
  // named by the user, the file is read wherever it is, and still checked against the recorded SHA-256
  const named = ptychostudy(['report', '--out', elsewhere, '--input', input, '--force', '--quiet']);
  assert.equal(named.status, 0, named.stderr);
  assert.ok(existsSync(join(elsewhere, 'report', 'img', 'patterns.png')), 'the named file was not drawn');
  assert.match(readFileSync(join(elsewhere, 'report', 'index.html'), 'utf8'), /Patterns 0, 20, 39 of the 40 in [^<]*scan\.cxi: entry_1\/data_1\/data/);
});

test('a file named with --input that cannot be drawn is refused in one line, exit 2, with no report written', async () => {
  const dir = folder();
  const side = tempDir('reconstruction-report-named');
  const fifo = join(side, 'fifo');
  execFileSync('mkfifo', [fifo]);
  symlinkSync(join(side, 'loop-b'), join(side, 'loop-a'));
  symlinkSync(join(side, 'loop-a'), join(side, 'loop-b'));
  const grown = join(side, 'grown.cxi');
  writeFileSync(grown, Buffer.concat([readFileSync(input), Buffer.from('x')]));
  const want = 'expected the data file the reconstruction read \\(its size and SHA-256 those _metadata.input of reconstruction.npz records\\); found';
  for (const [file, found] of [[join(side, 'none.cxi'), 'no such file'], [side, 'a directory'], [fifo, 'a named pipe \\(FIFO\\)'],
    [join(side, 'loop-a'), 'a loop of symbolic links'], [grown, `that ${grown} is \\d+ bytes, not the \\d+ the reconstruction read \\(the file has changed\\)`]] as const) {
    await assert.rejects(buildReconstructionReport(dir, { input: file }), (err: Error) => {
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, new RegExp(`^\`input\` ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${want} ${found}$`));
      return true;
    });
    assert.ok(!existsSync(join(dir, 'report')), `a report was written with --input ${file}`);
  }
  const cli = ptychostudy(['report', '--out', dir, '--input', side]);
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /^ptychostudy report: --input .*: expected the data file .*; found a directory\n$/);
  assert.ok(!existsSync(join(dir, 'report')));
});

test('reconstruction_run.json names the input as `input` (a CXI file here), and as `input_npz` for earlier readers; a folder of an earlier version (input_npz only) is drawn from', async () => {
  const runJson = join(original, 'reconstruction_run.json');
  const rec = JSON.parse(readFileSync(runJson, 'utf8')) as Record<string, unknown>;
  assert.equal(rec.input, input);
  assert.equal(rec.input_npz, input);
  const older = folder();
  const { input: _dropped, ...rest } = rec;
  writeFileSync(join(older, 'reconstruction_run.json'), JSON.stringify(rest));
  const r = await buildReconstructionReport(older);
  assert.ok(existsSync(join(older, 'report', 'img', 'patterns.png')), r.missing.join('\n'));
});

test('readRowsFloat64 reads the rows asked for, as the whole dataset holds them', async () => {
  const r = await Hdf5Reader.open(input);
  try {
    const all = r.readFloat64(D, 'patterns', 1e7);
    const info = r.info(D);
    const rows = r.readRowsFloat64(info, [39, 0, 20]);
    const hw = all.shape[1]! * all.shape[2]!;
    [39, 0, 20].forEach((i, k) => assert.deepEqual(Array.from(rows[k]!), Array.from(all.data.subarray(i * hw, (i + 1) * hw))));
    assert.throws(() => r.readRowsFloat64(info, [40]), /a row index below 40/);
  } finally {
    r.close();
  }
});

test('an aborted signal stops the build between two sections or while it waits for another build: StudyAbortedError, nothing written, no lock left', async () => {
  const dir = folder();
  const before = filesOf(dir);
  const stop = new AbortController();
  const sections: string[] = [];
  await assert.rejects(buildReconstructionReport(dir, { signal: stop.signal, onProgress: (p) => { sections.push(p.section); if (p.done === 2) stop.abort(new Error('enough')); } }),
    (e: unknown) => {
      assert.ok(e instanceof StudyAbortedError, String(e));
      assert.equal(e.phase, 'report');
      assert.equal((e.cause as Error).message, 'enough');
      return true;
    });
  assert.equal(sections.length, 2, 'no section is built after the abort');
  assert.deepEqual(filesOf(dir), before, 'nothing of the build is kept');
  assert.ok(!existsSync(join(dir, 'report')), 'the report folder it made is removed');
  // waiting for another build of the same report (a lock this process holds): the wait ends, the holder keeps its lock
  const held = tryLock(join(dir, 'report', '.report.lock'), 'report', 'report directory');
  const waiting = new AbortController();
  setTimeout(() => waiting.abort(new Error('enough')), 100);
  await assert.rejects(buildReconstructionReport(dir, { signal: waiting.signal }), (e: unknown) => e instanceof StudyAbortedError && e.phase === 'report');
  assert.ok(!held.lost);
  held.release();
  assert.deepEqual(filesOf(dir), before);
  await assert.rejects(buildReconstructionReport(dir, { signal: 'stop' as never }), UsageError);
  // an earlier report stays whole when a forced rebuild is stopped
  await buildReconstructionReport(dir);
  const built = filesOf(dir);
  const again = new AbortController();
  await assert.rejects(buildReconstructionReport(dir, { force: true, signal: again.signal, onProgress: () => again.abort() }), StudyAbortedError);
  assert.deepEqual(filesOf(dir), built);
});

test('a build ended between moving the earlier images aside and moving its own in: the next build puts them back, so a failing one leaves the earlier report whole', async () => {
  const dir = folder();
  await buildReconstructionReport(dir);
  const built = filesOf(dir);
  const report = join(dir, 'report');
  // what a build killed between its renames leaves: the earlier images aside, its own build folder half written
  renameSync(join(report, 'img'), join(report, '.tmp-report-old.4242.0a0b0c0d'));
  mkdirSync(join(report, '.tmp-report.4242.01020304', 'img'), { recursive: true });
  writeFileSync(join(report, '.tmp-report.4242.01020304', 'img', 'half.png'), 'half');
  // the next build fails too (stopped after its first section): the earlier page has its images again, nothing else is left
  const stop = new AbortController();
  await assert.rejects(buildReconstructionReport(dir, { force: true, signal: stop.signal, onProgress: () => stop.abort() }), StudyAbortedError);
  assert.deepEqual(filesOf(dir), built);
  assert.deepEqual(readdirSync(report).filter((n) => n.startsWith('.tmp-report')), []);
});

test('a masked pixel holding a detector gap\'s value (the largest uint32) does not take the patterns\' colour scale: it ends at the brightest fitted pixel', async () => {
  const counts = Uint32Array.from(entries[D]!.data as Uint32Array);
  const [n, h, w] = entries[D]!.shape as [number, number, number];
  for (let i = 0; i < n; i++) counts[i * h * w + 500] = 4294967295; // mask pixel 500 (bit 9, missing) is a gap in every pattern
  const gapped = join(root, 'gapped.cxi');
  writeHdf5(gapped, { ...entries, [D]: { data: counts, shape: [n, h, w], dtype: '<I' }, [MASK]: { data: mask, shape: [32, 32], dtype: '<I' } });
  const dir = join(root, 'gapped');
  const run2 = ptychostudy(['lsqml', '--input', gapped, '--out', dir, '--epochs', '2']);
  assert.equal(run2.status, 0, run2.stderr);
  const r = await buildReconstructionReport(dir);
  const html = readFileSync(r.indexPath, 'utf8');
  const m = /Patterns ([\d, ]+) of the 40 in .*?one shared log colour scale from 1 to ([\d,]+) \(the brightest pixel the reconstruction fitted: 1 masked pixel holds more/.exec(html);
  assert.ok(m, 'the colour scale of the fitted pixels is stated');
  let brightest = 0;
  for (const i of m[1]!.split(', ').map(Number)) {
    for (let p = 0; p < h * w; p++) if (mask[p] === 0 && counts[i * h * w + p]! > brightest) brightest = counts[i * h * w + p]!;
  }
  assert.equal(Number(m[2]!.replace(/,/g, '')), brightest);
  assert.ok(brightest < 1e6);
});
