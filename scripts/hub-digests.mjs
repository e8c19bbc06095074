// Per-file SHA-256 digests of a study hub with what legitimately differs between two runs of the same
// settings taken out: wall-clock times and durations, run ids made from the time, the hub's own path,
// the host name, the engine's thread count (its key, and `--threads N` in a job's command line) and the `execution` settings (who ran the jobs: local or SLURM,
// how many at once; results do not depend on them). Everything else — every array of every NPZ, every
// manifest field, every figure and chart — must be the same bytes for the same seed. The files listed in
// BYTE_IDENTICAL need no normalising at all: they are the same bytes wherever and whenever the study runs
// (README, "same seed, same bytes"; test/study/hub-digests.test.ts runs the tiny study twice into
// different directories and compares them byte for byte).
//
//   node scripts/hub-digests.mjs HUB [--dump DIR]   print the digests of an existing hub as JSON
//                                                   (--dump also writes each normalised text file to DIR,
//                                                   to diff two hubs file by file)
//   node scripts/hub-digests.mjs --tiny [--write]   run the tiny study (below) into a temporary directory
//                                                   and print its digests; --write stores them as the
//                                                   fixture test/fixtures/hub-digests/tiny.json
//   … --tiny --cli OTHER/dist/src/cli/main.js       the same with another build (e.g. the code before a change)
//
// The tiny study is `ptychostudy run --preset quick --dose 1e4 --n-images 24 --epochs 2 --jobs 1`
// (one dose, 6 reconstructions of 2 epochs). Build first (`npm run build`). How each kind of file is
// treated:
//   .npz   one digest per member: the raw .npy bytes (header + data); `_metadata` is decoded and
//          normalised like a JSON file; `epoch_seconds` (timings, in the NPZ of builds before timings
//          moved to reconstruction_run.json) is left out.
//   .json  parsed, normalised (below), serialised again in the file's own key order.
//   text   (.csv .md .log .html .svg .txt) normalised line by line.
//   other  (.png) raw bytes.
// Normalising: keys holding times or durations are dropped (TIME_KEYS); in strings the hub path becomes
// <hub>, ISO-8601 times <time>, compact UTC stamps (run ids) <utc>, "1.23 s" durations <t> s; per-epoch
// seconds in logs, computation-time values in CSV and the time/seconds columns of Markdown and HTML
// tables become <t>. Paths under runs/ have their time stamp replaced in the file name as well.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURE = join(REPO, 'test', 'fixtures', 'hub-digests', 'tiny.json');
export const TINY_ARGS = ['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--quiet'];

/**
 * The files of a hub that are byte-identical for the same settings and seeds, wherever the hub is and
 * whenever it runs (paths relative to the hub). Nothing else is claimed: manifests, summaries, logs,
 * run.json and the report page hold times, run ids, durations or absolute paths (as provenance).
 */
export const BYTE_IDENTICAL = [
  /^design\.json$/,
  /^phase_c\/dose_\d+\/patched_(train|test)\.npz$/,
  /^phase_d\/dose_\d+\/(dense|sparse)\/((dense|sparse)_(train|test)\.npz|(train|test)_metrics\.json|metrics_bundle\.json)$/,
  /^phase_f\/dose_\d+\/(baseline|dense|sparse)\/(train|test)\/reconstruction\.(npz|png)$/,
  /^phase_g\/dose_\d+\/(baseline|dense|sparse)\/(train|test)\/(reconstructions_aligned\.npz|comparison\.png|frc_curves\.csv)$/,
  /^phase_g\/charts\/[a-z0-9_]+\.(svg|png)$/,
  /^report\/img\/[a-z0-9_]+\.(svg|png)$/,
];

/** Keys whose values are wall-clock times or durations (dropped wherever they appear). */
const TIME_KEYS = new Set([
  'timestamp', 'started_at', 'finished_at', 'started', 'finished', 'seconds', 'generated_utc', 'updated_utc',
  'created', 'updated', 'computed_at', 'generated_at', 'created_utc', 'total_seconds', 'epoch_seconds',
  'computation_time_s', 'threads', 'host',
  // run.json's fingerprints of what a phase read and wrote: hashes over files that hold times
  'inputs_sha256', 'outputs_sha256',
  // Phase F's record of each reconstruction.npz as written: its _metadata holds the computation time
  'reconstruction_size', 'reconstruction_sha256',
  // the settings of who ran the jobs (local worker threads or SLURM, how many at once): recorded so a
  // resume reuses them, and never part of a result
  'execution',
]);
const TEXT = new Set(['.csv', '.md', '.log', '.html', '.svg', '.txt']);

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function normaliseString(s, hubRe) {
  return s
    .replace(hubRe, '<hub>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\d{8}T\d{6}Z/g, '<utc>')
    .replace(/\b\d+(\.\d+)? s\b/g, '<t> s');
}

function normaliseJson(v, hubRe) {
  if (typeof v === 'string') return normaliseString(v, hubRe);
  if (Array.isArray(v)) {
    // a job's command line: `--threads N` is how many threads the job ran on (1 per job when several run at once)
    const w = v.filter((x, i) => x !== '--threads' && v[i - 1] !== '--threads');
    return w.map((x) => normaliseJson(x, hubRe));
  }
  if (v && typeof v === 'object') {
    const out = {};
    // a metrics_summary.json job entry lists the computation time as { metric: 'computation_time_s', value }
    const timed = v.metric === 'computation_time_s';
    for (const [k, x] of Object.entries(v)) {
      if (TIME_KEYS.has(k) || (timed && k === 'value')) continue;
      // run.json's settings_origin: where an execution setting came from (--executor, --jobs) is as much of who ran the
      // jobs as the setting itself
      if (k.startsWith('execution.')) continue;
      out[normaliseString(k, hubRe)] = normaliseJson(x, hubRe);
    }
    return out;
  }
  return v;
}

/** Blanks the cells of the columns whose header is a time or a duration, in Markdown and HTML tables. */
function blankTimeColumns(text, hubRe) {
  const isTime = (h) => /^((reconstruction )?time \(s\)|seconds)$/i.test(h.trim());
  const lines = text.split('\n');
  let mdCols = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('|')) {
      const cells = line.split('|').slice(1, -1);
      if (mdCols === null) mdCols = cells.map(isTime);
      else if (!/^\|[-:| ]+\|$/.test(line)) lines[i] = '|' + cells.map((c, k) => (mdCols[k] ? ' <t> ' : c)).join('|') + '|';
    } else mdCols = null;
  }
  let out = lines.join('\n');
  // HTML: one <table> at a time; its <th> row tells which <td> columns to blank.
  out = out.replace(/<table[\s\S]*?<\/table>/g, (table) => {
    const head = /<thead><tr>([\s\S]*?)<\/tr><\/thead>/.exec(table);
    if (!head) return table;
    const cols = [...head[1].matchAll(/<th(?:\s[^>]*)?>([\s\S]*?)<\/th>/g)].map((m) => isTime(m[1]));
    if (!cols.some(Boolean)) return table;
    // a heading may carry attributes (data-parts) and a row a class (grp: the first of a group)
    return table.replace(/<tr((?:\s[^>]*)?)>((?:<td[\s\S]*?<\/td>)+)<\/tr>/g, (_row, attrs, cells) => {
      const parts = [...cells.matchAll(/<td[^>]*>[\s\S]*?<\/td>/g)].map((m, k) => (cols[k] ? '<td><t></td>' : m[0]));
      return `<tr${attrs}>${parts.join('')}</tr>`;
    });
  });
  return normaliseString(out, hubRe);
}

function normaliseText(text, hubRe) {
  const t = text
    .replace(/seconds([= ])\d+(\.\d+)?/g, 'seconds$1<t>')
    .replace(/computation_time_s,[^\n]*/g, 'computation_time_s,<t>')
    .replace(/ --threads \d+/g, ''); // a job's command line, as in JSON
  return blankTimeColumns(t, hubRe);
}

/** The .npy header of a member: dtype descr and the offset of the data. */
function npyHeader(bytes) {
  const major = bytes[6];
  const len = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  return { descr, dataOffset: start + len };
}

/** The JSON text of a 0-d `<U` member (UTF-32LE code points; trailing NULs are padding). */
function unicodeScalar(bytes) {
  const { descr, dataOffset } = npyHeader(bytes);
  if (!/^[<|]U\d+$/.test(descr)) throw new Error(`_metadata has dtype ${descr}, expected <U`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, bytes.length - dataOffset);
  let s = '';
  for (let i = 0; i + 4 <= view.byteLength; i += 4) {
    const cp = view.getUint32(i, true);
    if (cp === 0) break;
    s += String.fromCodePoint(cp);
  }
  return s;
}

function listFiles(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Digests of every file of `hub`: { "<relative path>": "<sha256>" } for plain files and
 * { "<relative path>": { "<member>": "<sha256>" } } for NPZ files. `dump`: a directory that receives the
 * normalised text of every JSON, text and `_metadata` entry (for diffing two hubs).
 */
export function hubDigests(hub, dump = null) {
  const root = resolve(hub);
  const hubRe = new RegExp(escapeRe(root), 'g');
  const out = {};
  const keep = (rel, text) => {
    if (dump === null) return;
    const p = join(dump, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  for (const file of listFiles(root)) {
    const rel = normaliseString(relative(root, file), hubRe);
    const ext = /\.[^./]+$/.exec(file)?.[0] ?? '';
    const bytes = readFileSync(file);
    if (ext === '.npz') {
      const members = unzipSync(new Uint8Array(bytes));
      const d = {};
      for (const name of Object.keys(members).sort()) {
        if (name === 'epoch_seconds.npy') continue;
        if (name === '_metadata.npy') {
          const text = JSON.stringify(normaliseJson(JSON.parse(unicodeScalar(members[name])), hubRe), null, 1);
          keep(`${rel}/_metadata.json`, text);
          d[name] = sha256(text);
        } else d[name] = sha256(members[name]);
      }
      out[rel] = d;
    } else if (ext === '.json') {
      const text = JSON.stringify(normaliseJson(JSON.parse(bytes.toString('utf8')), hubRe), null, 1);
      keep(rel, text);
      out[rel] = sha256(text);
    } else if (TEXT.has(ext)) {
      const text = normaliseText(bytes.toString('utf8'), hubRe);
      keep(rel, text);
      out[rel] = sha256(text);
    } else out[rel] = sha256(bytes);
  }
  return out;
}

/**
 * Runs the tiny study with the built CLI (or `cli`) into `hub` (which must not exist yet). `variant` runs it
 * otherwise, where nothing of the byte-identical files may change: `cwd` (the working directory, against which a
 * relative `hub` is taken), `jobs` (reconstructions at once, each on 1 thread when more than one; default 1, each
 * on min(2, cores) threads), `env` (added to the environment: TZ, LANG, …).
 */
export function runTinyStudy(hub, cli = join(REPO, 'dist', 'src', 'cli', 'main.js'), variant = {}) {
  const args = TINY_ARGS.map((a, i) => (TINY_ARGS[i - 1] === '--jobs' && variant.jobs !== undefined ? String(variant.jobs) : a));
  const r = spawnSync(process.execPath, [cli, ...args, '--out', hub], {
    encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '', ...variant.env }, ...(variant.cwd ? { cwd: variant.cwd } : {}),
  });
  if (r.status !== 0) throw new Error(`the tiny study failed (exit ${r.status}):\n${r.stderr}`);
}

/** The files of `hub` that BYTE_IDENTICAL names (relative paths, sorted). */
export function byteIdenticalFiles(hub) {
  const root = resolve(hub);
  return listFiles(root).map((f) => relative(root, f).split('\\').join('/')).filter((rel) => BYTE_IDENTICAL.some((re) => re.test(rel)));
}

/** Runs the tiny study with the built CLI (or `cli`) into a fresh temporary hub; returns its digests. */
export function tinyStudyDigests(dump = null, cli = join(REPO, 'dist', 'src', 'cli', 'main.js')) {
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-digests-'));
  try {
    const hub = join(dir, 'hub');
    runTinyStudy(hub, cli);
    return hubDigests(hub, dump);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dumpAt = args.indexOf('--dump');
  const dump = dumpAt >= 0 ? resolve(args[dumpAt + 1]) : null;
  const cliAt = args.indexOf('--cli');
  let digests;
  if (args.includes('--tiny')) digests = tinyStudyDigests(dump, cliAt >= 0 ? resolve(args[cliAt + 1]) : undefined);
  else {
    const hub = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--dump' && args[i - 1] !== '--cli');
    if (!hub) {
      console.error('usage: node scripts/hub-digests.mjs HUB [--dump DIR] | --tiny [--write] [--dump DIR]');
      process.exit(2);
    }
    digests = hubDigests(hub, dump);
  }
  const text = JSON.stringify(digests, null, 1) + '\n';
  if (args.includes('--write')) {
    mkdirSync(dirname(FIXTURE), { recursive: true });
    writeFileSync(FIXTURE, text);
    console.log(`wrote ${relative(REPO, FIXTURE)} (${Object.keys(digests).length} files)`);
  } else process.stdout.write(text);
}
