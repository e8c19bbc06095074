#!/usr/bin/env node
// Seeded fuzzing of every input the CLI reads, through the CLI itself (not part of `npm test`).
//
// Takes the project's own small valid inputs — the files of a tiny study hub (its NPZs, run.json,
// settings.json and manifests), an `lsqml --out` folder, settings files from `config --print-defaults`
// and the CXI / .ptyd / ptychodus / .ptyr fixtures of test/fixtures/cxi (a dataset and the CXI also at sides 48 and 24, which
// take the mixed-radix FFT), and the LSQML checkpoints of an `lsqml` run and of a
// Phase F job stopped by SIGTERM (read where the same command, continuing the run, reads them) — mutates one file per case
// (truncated at a random offset, bytes flipped or overwritten, `.npy` header shapes and dtypes
// rewritten to huge, negative or foreign values, NaN / Inf / 1e30 written into positions and data, HDF5
// datasets rewritten with other values, dtypes or shapes (a chunked one declaring a huge shape), JSON
// and YAML with keys removed or duplicated, values of the wrong type, deep nesting, alias bombs) and
// runs the commands that read it: lsqml, inspect, export, report, compare, reconstruct, `run --out HUB` (resume),
// status and `config --check`. Each case runs under a timeout, PTYCHOSTUDY_MEMORY_LIMIT and a V8 heap
// cap, with a watchdog that kills a process tree whose resident memory passes --rss-cap (`ulimit -v`
// cannot be used: WebAssembly reserves tens of GiB of address space up front).
//
// Outcome classes (the rule: a bad file gets one line naming the file, exit code 2, nothing written):
//   ok         exit 0
//   refused    exit 2 with one `ptychostudy CMD: …` line naming the mutated file (inspect and config --check, which
//              list every problem: one or more lines naming it, on stdout or stderr)
//   job-failed a batch command (compare, reconstruct, a resumed run) recorded a job whose file is broken as failed, naming the
//              file, and went on with the others: exit 1, as docs/metrics.md documents
//   VIOLATIONS exit1 / exit-N (another code) / signal / hang (timeout) / memory (watchdog) / stack (a stack
//              trace printed) / unnamed (exit 2 without naming the file) / multi (several error lines) /
//              partial (exit ≠ 0 yet the output or the hub changed)
//
// usage: node scripts/fuzz-inputs.mjs [--cases N] [--seed S] [--timeout SEC] [--rss-cap MIB]
//          [--only TARGET[,TARGET]] [--case K] [--work DIR] [--keep] [--list] [--dist DIR] [--kinds [KIND,…]]
// --kinds: instead of mutated bytes, put each file kind that is no readable file in place of every target's file and run
// every command that reads it, once each (target × command × kind; no randomness, --cases is ignored): fifo (a named
// pipe no one writes to), dir (a directory), dev-zero and dev-urandom (symbolic links to those devices), loop (a
// symbolic link to itself), dangling (a symbolic link to nothing), sparse (the file itself, extended to 100 GiB of
// zeros without using the disk). Each must be refused in one line naming the file, or (a batch command) be a failed job;
// exit 0 passes only for a sparse file (a valid file with a tail of zeros may be read), for `report` of a file it does
// not read, and for a resumed `run` that changed nothing in the hub (a complete hub whose inputs are unchanged: a job's
// files are not read); `report` of a hub passes with exit 1 when its stderr names the file as broken evidence (the page
// is written from the rest: docs/limits.md). The summary's `kinds` holds the outcome of each target × command × kind.
// Needs a build (`npm run build`; --dist: another build's dist folder, e.g. a copy that a rebuild leaves alone). Prints one line per violation while it runs and a JSON summary on stdout:
// cases, the count of each class per target and command, and for each violation its case number, command,
// mutation, exit code, first line, time and peak RSS. Same seed, same cases: the same --seed and --only with
// --case K runs case K alone (--keep keeps its files, under WORK/kept-K, with --work WORK to keep WORK itself).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv0 = process.argv.slice(2);
const DIST = resolve(argv0.includes('--dist') ? argv0[argv0.indexOf('--dist') + 1] : join(REPO, 'dist'));
const CLI = join(DIST, 'src', 'cli', 'main.js');
if (!existsSync(CLI)) { console.error(`fuzz-inputs: no build at ${DIST} (run \`npm run build\` first)`); process.exit(2); }
const { NpzReader, loadNpz, saveNpz } = await import(join(DIST, 'src', 'npy', 'npz.js'));
const { readMetadata } = await import(join(DIST, 'src', 'data', 'metadata.js'));
const h5wasm = (await import('h5wasm/node')).default;
await h5wasm.ready;

// ---------- options
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const CASES = Number(opt('cases', '300'));
const SEED = Number(opt('seed', '20261206'));
const TIMEOUT_S = Number(opt('timeout', '20'));
const RSS_CAP_MIB = Number(opt('rss-cap', '3072'));
const ONLY = opt('only', '') ? opt('only', '').split(',') : null;
const KEEP = args.includes('--keep');
const ONLY_CASE = opt('case', null) === null ? null : Number(opt('case', null));
const WORK = resolve(opt('work', '') || mkdtempSync(join(tmpdir(), 'ptychostudy-fuzz-')));

// ---------- seeded randomness (mulberry32)
function prng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)] };
}

// ---------- running the CLI
function runCli(argv, { cwd = WORK, timeoutS = TIMEOUT_S, env = {} } = {}) {
  return new Promise((done) => {
    const rssFile = join(WORK, '.rss');
    rmSync(rssFile, { force: true });
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, '--max-old-space-size=2048', CLI, ...argv], {
      cwd, env: { ...process.env, PTYCHOSTUDY_MEMORY_LIMIT: '1G', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let stdout = '', stderr = '', killedFor = null;
    child.stdout.on('data', (b) => { if (stdout.length < 1 << 20) stdout += b; });
    child.stderr.on('data', (b) => { if (stderr.length < 1 << 20) stderr += b; });
    const kill = (why) => { killedFor ??= why; try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
    const timer = setTimeout(() => kill('hang'), timeoutS * 1000);
    const watch = setInterval(() => { if (treeRssKiB(child.pid) > RSS_CAP_MIB * 1024) kill('memory'); }, 100);
    child.on('close', (code, signal) => {
      clearTimeout(timer); clearInterval(watch);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let rssKiB = null;
      try { rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()); } catch { /* killed */ }
      // /usr/bin/time's own "Command exited with non-zero status" line
      stderr = stderr.split('\n').filter((l) => !/^Command (exited with non-zero status|terminated by signal)/.test(l)).join('\n');
      done({ code, signal, killedFor, ms, rssMiB: rssKiB === null ? null : Math.round(rssKiB / 1024), stdout, stderr });
    });
  });
}

/** Resident KiB of a process and its descendants (Linux /proc). */
function treeRssKiB(pid) {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (kids) stack.push(...kids.split(/\s+/).map(Number));
      }
    } catch { /* exited */ }
  }
  return total;
}

/** Each file of a tree (or the file) → its size and digest: what "nothing written" compares. */
function treeState(root) {
  const out = new Map();
  if (!existsSync(root)) return out;
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name), st = lstatSync(p);
      // a file larger than 1 GiB is a --kinds sparse file: its size and time stand for its bytes
      const digest = () => st.size > 2 ** 30 ? `sparse ${st.mtimeMs}` : createHash('sha256').update(readFileSync(p)).digest('hex');
      if (st.isDirectory()) { out.set(relative(root, p) + '/', 'dir'); walk(p); } else out.set(relative(root, p), `${st.size} ${st.isFile() ? digest() : 'special'}`);
    }
  };
  if (statSync(root).isDirectory()) walk(root); else out.set('', createHash('sha256').update(readFileSync(root)).digest('hex'));
  return out;
}

/** The paths whose state differs. */
function treeChanges(a, b) {
  const out = [];
  for (const [k, v] of b) if (a.get(k) !== v) out.push(a.has(k) ? `~${k}` : `+${k}`);
  for (const k of a.keys()) if (!b.has(k)) out.push(`-${k}`);
  return out;
}

// ---------- a small zip writer (stored members), for archives whose .npy bytes are rewritten
function zipStored(members) {
  const locals = [], centrals = [];
  let offset = 0;
  for (const [name, data] of members) {
    const n = Buffer.from(name, 'utf8'), crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(n.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20); ch.writeUInt32LE(data.length, 24); ch.writeUInt16LE(n.length, 28); ch.writeUInt32LE(offset, 42);
    locals.push(lh, n, Buffer.from(data)); centrals.push(ch, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals), end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(members.length, 8); end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A .npy (version 1) with this header dict and body. */
function npy(dict, body) {
  let h = dict;
  const pad = (64 - ((10 + h.length + 1) % 64)) % 64;
  h += ' '.repeat(pad) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(body)]);
}

/** The header dict text and body of a .npy. */
function splitNpy(bytes) {
  const b = Buffer.from(bytes);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  return { dict: b.subarray(start, start + hlen).toString('latin1').trim(), body: b.subarray(start + hlen) };
}

const HUGE_SHAPES = ['(4294967296,)', '(-1,)', '(0,)', '(9007199254740993,)', '(1000000, 1000000)', '(2147483647, 2)', '(3, -5)', '(1e3,)', '(1' + ', 1'.repeat(70) + ')', '()'];
const DTYPES = ["'<c16'", "'|O'", "'<U0'", "'>f8'", "'<i8'", "'|b1'", "'<V8'", "'<f2'", "'|S0'", "'<U99999999'", "'<m8[s]'", "[('a', '<f4')]", "'<f4'", "'<f8'"];
const BAD_FLOATS = [NaN, Infinity, -Infinity, 1e30, -1e30, 1e300, 3e38, -1, 0, 2 ** 24 + 1, 5e-324];

// ---------- mutators: each takes (bytes, rng, ctx) and returns { bytes, what }
const bytesMutators = {
  truncate(b, rng) { const at = rng.int(b.length); return { bytes: b.subarray(0, at), what: `truncated at ${at} of ${b.length}` }; },
  flip(b, rng) {
    const c = Buffer.from(b), k = 1 + rng.int(16), at = [];
    for (let i = 0; i < k; i++) { const o = rng.int(c.length); c[o] ^= 1 << rng.int(8); at.push(o); }
    return { bytes: c, what: `${k} bits flipped (first at ${at[0]})` };
  },
  splat(b, rng) {
    const c = Buffer.from(b), w = rng.pick([1, 2, 4, 8]), o = rng.int(Math.max(1, c.length - w)), v = rng.pick([0xff, 0x7f, 0x00, 0x80]);
    for (let i = 0; i < w && o + i < c.length; i++) c[o + i] = i === w - 1 && v === 0x7f ? 0x7f : v === 0x7f ? 0xff : v;
    return { bytes: c, what: `${w} bytes at ${o} set to ${v.toString(16)}` };
  },
};

function npzMembers(path) {
  const r = NpzReader.open(path);
  try { return r.keys().map((k) => [`${k}.npy`, r.raw(k)]); } finally { r.close(); }
}

const npzMutators = {
  shape(b, rng, ctx) {
    const ms = npzMembers(ctx.src), i = rng.int(ms.length), { dict, body } = splitNpy(ms[i][1]);
    const s = rng.pick(HUGE_SHAPES);
    ms[i] = [ms[i][0], npy(dict.replace(/'shape': \([^)]*\)/, `'shape': ${s}`), body)];
    return { bytes: zipStored(ms), what: `${ms[i][0]} shape ${s}` };
  },
  dtype(b, rng, ctx) {
    const ms = npzMembers(ctx.src), i = rng.int(ms.length), { dict, body } = splitNpy(ms[i][1]);
    const d = rng.pick(DTYPES);
    ms[i] = [ms[i][0], npy(dict.replace(/'descr': ('[^']*'|\[[^\]]*\])/, `'descr': ${d}`), body)];
    return { bytes: zipStored(ms), what: `${ms[i][0]} dtype ${d}` };
  },
  values(b, rng, ctx) {
    const ms = npzMembers(ctx.src);
    const floats = ms.map((m, i) => [i, splitNpy(m[1])]).filter(([, { dict }]) => /'descr': '[<>]?[fc][48]'/.test(dict));
    const [i, { dict, body }] = rng.pick(floats);
    const f8 = /[fc]8'/.test(dict) && !/c8'/.test(dict);
    const arr = f8 ? new Float64Array(Buffer.from(body).buffer.slice(body.byteOffset, body.byteOffset + body.length))
      : new Float32Array(Buffer.from(body).buffer.slice(body.byteOffset, body.byteOffset + body.length));
    const v = rng.pick(BAD_FLOATS), all = rng.next() < 0.3;
    if (arr.length === 0) return { bytes: b, what: 'unchanged (empty member)' };
    if (all) arr.fill(v); else for (let k = 0, n = 1 + rng.int(4); k < n; k++) arr[rng.int(arr.length)] = v;
    ms[i] = [ms[i][0], npy(dict, new Uint8Array(arr.buffer))];
    return { bytes: zipStored(ms), what: `${ms[i][0]} ${all ? 'all' : 'some'} values ${v}` };
  },
  drop(b, rng, ctx) {
    const ms = npzMembers(ctx.src), i = rng.int(ms.length), [name] = ms.splice(i, 1)[0];
    return { bytes: zipStored(ms), what: `${name} dropped` };
  },
  duplicate(b, rng, ctx) {
    const ms = npzMembers(ctx.src), i = rng.int(ms.length), j = rng.int(ms.length);
    ms.push([ms[i][0], ms[j][1]]);
    return { bytes: zipStored(ms), what: `${ms[i][0]} twice (second: ${ms[j][0]}'s bytes)` };
  },
  metadata(b, rng, ctx) {
    const ms = npzMembers(ctx.src);
    const i = ms.findIndex(([n]) => n === '_metadata.npy');
    if (i < 0) return { bytes: b, what: 'unchanged (no _metadata)' };
    const { dict, body } = splitNpy(ms[i][1]);
    const m = /'descr': '<U(\d+)'/.exec(dict);
    if (!m) return { bytes: b, what: 'unchanged (_metadata not <U)' };
    const { text: t2, what } = mutateJsonText(decodeU32(body), rng);
    const enc = encodeU32(t2);
    ms[i] = ['_metadata.npy', npy(dict.replace(/'descr': '<U\d+'/, `'descr': '<U${Math.max(1, t2.length)}'`), enc)];
    return { bytes: zipStored(ms), what: `_metadata: ${what}` };
  },
};
function decodeU32(body) { let s = ''; for (let k = 0; k + 4 <= body.length; k += 4) { const c = Buffer.from(body).readUInt32LE(k); if (c) s += String.fromCodePoint(c); } return s; }
function encodeU32(s) { const cps = [...s].map((c) => c.codePointAt(0)); const b = Buffer.alloc(4 * Math.max(1, cps.length)); cps.forEach((c, k) => b.writeUInt32LE(c, 4 * k)); return b; }

// JSON: structural mutations on the parsed value, or on the text
function paths(v, prefix = [], out = []) {
  out.push(prefix);
  if (v && typeof v === 'object' && out.length < 5000) for (const k of Object.keys(v)) paths(v[k], [...prefix, Array.isArray(v) ? Number(k) : k], out);
  return out;
}
const deepArray = (d) => '['.repeat(d) + ']'.repeat(d);
const deepObject = (d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
function mutateJsonText(text, rng) {
  let v;
  try { v = JSON.parse(text); } catch { return { text: text.slice(0, rng.int(text.length)), what: 'truncated (unparsable source)' }; }
  const ps = paths(v).filter((p) => p.length > 0);
  const kind = rng.int(10);
  if (kind === 0 || ps.length === 0) { const at = rng.int(text.length); return { text: text.slice(0, at), what: `text truncated at ${at}` }; }
  const p = rng.pick(ps), parent = p.slice(0, -1).reduce((o, k) => o[k], v), key = p[p.length - 1];
  const where = p.join('.');
  if (kind === 1) {
    if (Array.isArray(parent)) parent.splice(key, 1); else delete parent[key];
    return { text: JSON.stringify(v, null, 1), what: `${where} removed` };
  }
  if (kind === 2) { // duplicate key: the same key again with another value, textually
    if (Array.isArray(parent) || p.length === 0) return { text: JSON.stringify(v), what: 'unchanged' };
    const marker = '"__FUZZ_DUP__"', orig = parent[key];
    parent[key] = '__FUZZ_DUP__';
    const other = rng.pick(['null', '"x"', '-1', '{}', '1e999']);
    const t = JSON.stringify(v).replace(marker, () => `${JSON.stringify(orig)}, ${JSON.stringify(key)}: ${other}`);
    return { text: t, what: `${where} twice (second ${other})` };
  }
  if (kind === 3) { // deep nesting in place of a value
    const d = rng.pick([100, 10_000, 200_000]);
    const marker = '"__FUZZ_DEEP__"';
    parent[key] = '__FUZZ_DEEP__';
    return { text: JSON.stringify(v).replace(marker, rng.next() < 0.5 ? deepArray(d) : deepObject(d)), what: `${where} nested ${d} deep` };
  }
  if (kind === 4) { // a non-JSON number literal
    const marker = '"__FUZZ_NUM__"';
    parent[key] = '__FUZZ_NUM__';
    const lit = rng.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x10', '01']);
    return { text: JSON.stringify(v).replace(marker, lit), what: `${where} = ${lit} (literal)` };
  }
  const values = [null, -1, 0, 1e308, -1e308, 1e30, 2 ** 53 + 1, 0.5, '', 'x', '../../../escape', '/etc/passwd', 'a'.repeat(1 << 20), true, [], {}, [1, 2, 3], { a: 1 }, 'NaN', '\u001b[2Kok\n'];
  const nv = rng.pick(values);
  parent[key] = nv;
  return { text: JSON.stringify(v, null, 1), what: `${where} = ${JSON.stringify(nv)?.slice(0, 40)}` };
}
const jsonMutators = {
  json(b, rng) { const { text, what } = mutateJsonText(Buffer.from(b).toString('utf8'), rng); return { bytes: Buffer.from(text, 'utf8'), what }; },
};

// YAML: textual mutations
const yamlMutators = {
  yaml(b, rng) {
    const text = Buffer.from(b).toString('utf8');
    const lines = text.split('\n');
    const settingLines = lines.map((l, i) => [l, i]).filter(([l]) => /^\s*[A-Za-z]\w*:\s*\S/.test(l) && !/^\s*#/.test(l));
    const kind = rng.int(8);
    const [line, i] = rng.pick(settingLines);
    const indent = /^\s*/.exec(line)[0], key = line.trim().split(':')[0];
    if (kind === 0) { lines.splice(i + 1, 0, `${indent}${key}: ${rng.pick(['3', 'null', 'x', '[]'])}`); return { bytes: Buffer.from(lines.join('\n')), what: `${key} twice` }; }
    if (kind === 1) { const d = rng.pick([1000, 100_000]); lines[i] = `${indent}${key}: ${deepArray(d)}`; return { bytes: Buffer.from(lines.join('\n')), what: `${key} nested ${d} deep` }; }
    if (kind === 2) { // alias bomb
      const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let k = 1; k < 9; k++) bomb.push(`a${k}: &a${k} [${Array(10).fill(`*a${k - 1}`).join(', ')}]`);
      return { bytes: Buffer.from(bomb.join('\n') + '\n' + text), what: 'alias bomb (10^9 elements)' };
    }
    if (kind === 3) { lines[i] = `${indent}${key}: ${rng.pick(['.nan', '.inf', '-.inf', '1e999', '-1', '0', '1e30', '~', '!!binary AAAA', '"\\e[2K"', '&x 1', '*nope', '{', '|'])}`; return { bytes: Buffer.from(lines.join('\n')), what: `${line.trim().slice(0, 40)} → ${lines[i].trim().slice(0, 40)}` }; }
    if (kind === 4) { lines[i] = line.replace(/^\s*/, (s) => s.replace(/ {2}/g, '\t')); return { bytes: Buffer.from(lines.join('\n')), what: `tab indentation at line ${i + 1}` }; }
    if (kind === 5) { const at = rng.int(text.length); return { bytes: Buffer.from(text.slice(0, at)), what: `truncated at ${at}` }; }
    if (kind === 6) { lines[i] = `${indent}${key}:\n${indent}  ${key}: 1`; return { bytes: Buffer.from(lines.join('\n')), what: `${key} made a mapping` }; }
    return bytesMutators.flip(b, rng);
  },
};

// HDF5: values rewritten in place (write_slice), or the file rebuilt with one dataset replaced
function h5Datasets(path) {
  const f = new h5wasm.File(path, 'r'), out = [];
  try {
    const walk = (g, prefix) => {
      for (const name of g.keys()) {
        const p = `${prefix}${name}`, e = f.get(p);
        if (e instanceof h5wasm.Group) walk(e, `${p}/`);
        else if (e instanceof h5wasm.Dataset) out.push({ path: p, dtype: e.dtype, shape: e.shape ?? [] });
      }
    };
    walk(f, '');
  } finally { f.close(); }
  return out;
}
function h5Rebuild(src, dst, replace) {
  const from = new h5wasm.File(src, 'r'), to = new h5wasm.File(dst, 'w');
  const groupAt = (path) => { let g = to; for (const part of path.split('/').filter(Boolean)) { const n = g.get(part); g = n instanceof h5wasm.Group ? n : g.create_group(part); } return g; };
  const copyAttrs = (a, b) => { for (const [name, at] of Object.entries(a.attrs)) { const v = at.value; if (typeof v === 'number' || typeof v === 'string' || ArrayBuffer.isView(v)) b.create_attribute(name, v); } };
  try {
    const walk = (g, prefix) => {
      for (const name of g.keys()) {
        const path = `${prefix}${name}`, e = from.get(path);
        if (path === replace.path) { if (replace.make) replace.make(groupAt(path.slice(0, Math.max(0, path.lastIndexOf('/')))), name, e); continue; }
        if (e instanceof h5wasm.Group) { copyAttrs(e, groupAt(path)); walk(e, `${path}/`); } else if (e instanceof h5wasm.Dataset) {
          let data = e.value, dtype = e.dtype;
          if (Array.isArray(dtype)) { data = new Map([['r', Float32Array.from(data, (p) => p[0])], ['i', Float32Array.from(data, (p) => p[1])]]); dtype = undefined; } else if (typeof dtype !== 'string' || dtype === 'unknown') continue;
          const i = path.lastIndexOf('/');
          const made = groupAt(path.slice(0, Math.max(0, i))).create_dataset({ name, data, shape: e.shape ?? [], ...(dtype && dtype !== 'S' ? { dtype } : {}) });
          copyAttrs(e, made);
        }
      }
    };
    walk(from, '');
  } finally { from.close(); to.close(); }
}
const h5Mutators = {
  h5values(b, rng, ctx) {
    const ds = h5Datasets(ctx.src).filter((d) => typeof d.dtype === 'string' && /^[<>]?[fd]$/.test(d.dtype) && d.shape.reduce((a, x) => a * x, 1) > 0);
    if (!ds.length) return { bytes: b, what: 'unchanged (no float dataset)' };
    const d = rng.pick(ds), v = rng.pick(BAD_FLOATS), all = rng.next() < 0.4;
    if (d.shape.length === 0) { // a scalar: rebuilt with the value (HDF5 selects no hyperslab of a scalar)
      h5Rebuild(ctx.src, ctx.dst, { path: d.path, make: (g, name) => g.create_dataset({ name, data: new Float64Array([v]), shape: [], dtype: '<d' }) });
      return { bytes: readFileSync(ctx.dst), what: `${d.path} = ${v}` };
    }
    writeFileSync(ctx.dst, b);
    const f = new h5wasm.File(ctx.dst, 'a');
    try {
      const e = f.get(d.path), n = d.shape.reduce((a, x) => a * x, 1);
      const arr = (/d$|8$/.test(e.dtype) ? Float64Array : Float32Array).from(e.value ?? [], (x) => x);
      const data = arr.length === n ? arr : new Float64Array(n);
      if (all) data.fill(v); else for (let k = 0, m = 1 + rng.int(3); k < m; k++) data[rng.int(n)] = v;
      e.write_slice(d.shape.map(() => []), data);
    } finally { f.close(); }
    return { bytes: readFileSync(ctx.dst), what: `${d.path} ${all ? 'all' : 'some'} values ${v}` };
  },
  h5shape(b, rng, ctx) {
    const ds = h5Datasets(ctx.src), d = rng.pick(ds);
    writeFileSync(ctx.src + '.tmp', b);
    const kind = rng.int(5);
    let what;
    h5Rebuild(ctx.src, ctx.dst, { path: d.path, make: (g, name) => {
      if (kind === 0) { what = `${d.path} dropped`; return; }
      if (kind === 1) { what = `${d.path} a string`; g.create_dataset({ name, data: 'not a number' }); return; }
      if (kind === 2) { what = `${d.path} a group`; g.create_group(name); return; }
      if (kind === 3) { const s = [...d.shape, 2]; what = `${d.path} shape [${s}]`; g.create_dataset({ name, data: new Float64Array(s.reduce((a, x) => a * x, 1)).fill(1), shape: s, dtype: '<d' }); return; }
      const big = rng.pick([[2 ** 31, 3], [1e6, 1e6, 1e6], [2 ** 40], [1e7, 64, 64]]);
      what = `${d.path} chunked, resized to [${big}]`;
      const made = g.create_dataset({ name, data: new Float32Array(big.length === 1 ? 4 : 4 * big.slice(1).reduce((a, x) => a * x, 1)), shape: [4, ...big.slice(1)], maxshape: big.map(() => null), chunks: [1, ...big.slice(1).map((x) => Math.min(x, 64))], dtype: '<f' });
      made.resize(big);
    } });
    rmSync(ctx.src + '.tmp', { force: true });
    return { bytes: readFileSync(ctx.dst), what };
  },
};

// ---------- corpus and targets
function cli(argv, what) {
  const r = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '' } });
  if (r.status !== 0) throw new Error(`fuzz-inputs: setting up ${what} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}
/** Runs `argv` until `file` exists, then stops it with SIGTERM (as a scheduler's time limit does); throws unless it ends with 143. */
async function stoppedOnce(argv, file, what) {
  const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const exit = new Promise((done) => child.on('close', (code) => done(code)));
  for (let t = 0; !existsSync(file) && child.exitCode === null && t < 600; t++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  const code = await exit;
  if (code !== 143 || !existsSync(file)) throw new Error(`fuzz-inputs: setting up ${what} failed (exit ${code}, ${existsSync(file) ? 'a' : 'no'} checkpoint):\n${stderr}`);
}
/** The epochs a checkpoint holds (its `_metadata.epochs_done`). */
function epochsDone(file) {
  const r = NpzReader.open(file);
  try { return readMetadata(r).value.epochs_done; } finally { r.close(); }
}
async function setup() {
  const base = join(WORK, 'base');
  if (!existsSync(join(base, 'ready'))) {
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    process.stderr.write('fuzz-inputs: running the tiny study (once)…\n');
    cli(['run', '--preset', 'quick', '--dose', '1e4', '--n-images', '24', '--epochs', '2', '--jobs', '1', '--quiet', '--out', join(base, 'hub')], 'the tiny study');
    cli(['lsqml', '--input', join(base, 'hub/phase_d/dose_10000/sparse/sparse_train.npz'), '--out', join(base, 'lsqml'), '--epochs', '2'], 'an lsqml folder');
    writeFileSync(join(base, 'settings.yaml'), cli(['config', '--print-defaults', '--preset', 'quick'], 'settings'));
    writeFileSync(join(base, 'settings.json'), cli(['config', '--print-defaults', '--preset', 'quick', '--json'], 'settings'));
    // checkpoints: an lsqml run and a Phase F job stopped by SIGTERM once they kept one (every 2 epochs of 5000)
    await stoppedOnce(['lsqml', '--input', join(FIX, 'scan.cxi'), '--out', join(base, 'lsqml-stopped'), '--epochs', '5000', '--checkpoint-every', '2'],
      join(base, 'lsqml-stopped', CHECKPOINT), 'a stopped lsqml run');
    writeFileSync(join(base, 'checkpoint-every-2.yaml'), 'execution:\n  checkpointEvery: 2\n');
    await stoppedOnce(phaseF(base, join(base, 'phase-f-stopped'), 5000), join(base, 'phase-f-stopped', PHASE_F_JOB, CHECKPOINT), 'a stopped Phase F job');
    writeFileSync(join(base, 'checkpoints.json'), JSON.stringify({
      lsqml: epochsDone(join(base, 'lsqml-stopped', CHECKPOINT)), phaseF: epochsDone(join(base, 'phase-f-stopped', PHASE_F_JOB, CHECKPOINT)),
    }));
    writeFileSync(join(base, 'ready'), '');
  }
  // a dataset of 48×48 patterns (a side 2^a·3^b·5^c: the mixed-radix FFT): the tiny hub's, patterns and probe cropped about their centre
  if (!existsSync(join(base, SIDE_48))) {
    const a = loadNpz(join(base, 'hub/phase_d/dose_10000/sparse/sparse_train.npz'));
    saveNpz(join(base, SIDE_48), { ...a, diffraction: centreCrop(a.diffraction, 48, 1), probeGuess: centreCrop(a.probeGuess, 48, 2) });
  }
  return base;
}
const SIDE_48 = 'sparse_train-48.npz';
/** The centred side × side window of the last two axes of an array (`k` numbers an element: 2 for complex). */
function centreCrop(arr, side, k) {
  const N = arr.shape.at(-1), o = (N - side) / 2, lead = arr.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const out = new arr.data.constructor(lead * side * side * k);
  for (let i = 0; i < lead; i++) for (let y = 0; y < side; y++) {
    out.set(arr.data.subarray(((i * N + y + o) * N + o) * k, ((i * N + y + o) * N + o + side) * k), (i * side + y) * side * k);
  }
  return { ...arr, shape: [...arr.shape.slice(0, -2), side, side], data: out };
}
const CHECKPOINT = 'lsqml-checkpoint.npz', PHASE_F_JOB = 'dose_10000/sparse/train';
/** `reconstruct` of the tiny hub's one job (dose 1e4, sparse, train) into `out`, a checkpoint every 2 epochs. */
const phaseF = (base, out, epochs) => ['reconstruct', '--phase-c-root', join(base, 'hub/phase_c'), '--phase-d-root', join(base, 'hub/phase_d'), '--out', out,
  '--doses', '1e4', '--view', 'sparse', '--split', 'train', '--epochs', String(epochs), '--config', join(base, 'checkpoint-every-2.yaml'), '--jobs', '1'];

const FIX = join(REPO, 'test', 'fixtures', 'cxi');
const EP = ['--epochs', '2'];
const BIN = Object.keys(bytesMutators), NPZ = [...BIN, ...Object.keys(npzMutators), 'values', 'shape', 'dtype'], H5 = [...BIN, ...Object.keys(h5Mutators), 'h5values'];
const ALL_MUTATORS = { ...bytesMutators, ...npzMutators, ...jsonMutators, ...yamlMutators, ...h5Mutators };

/** Targets: a source file (in base), where the mutated copy goes, the mutators, the commands that read it. */
function targets(base) {
  const stoppedAt = JSON.parse(readFileSync(join(base, 'checkpoints.json'), 'utf8'));
  const hub = join(base, 'hub'), job = 'phase_f/dose_10000/sparse/train';
  const hubRecord = (rel, cmds) => ({ src: join(hub, rel), hubFile: rel, mutators: [...BIN, 'json', 'json', 'json'], cmds });
  const hubCmds = (h) => ({
    resume: ['run', '--out', h, '--quiet'],
    report: ['report', '--out', h, '--quiet'],
    compare: ['compare', '--phase-c-root', join(h, 'phase_c'), '--phase-f-root', join(h, 'phase_f'), '--out', join(h, 'phase_g'), '--no-figures'],
  });
  const pick = (...names) => (h) => Object.fromEntries(Object.entries(hubCmds(h)).filter(([k]) => names.includes(k)));
  return {
    'base-npz': { src: join(hub, 'phase_c/dose_10000/patched_train.npz'), mutators: NPZ, cmds: (f, o) => ({ generate: ['generate', '--base-npz', f, '--out', o, '--dose', '1e4', '--n-images', '24'] }) },
    'dataset-npz': { src: join(hub, 'phase_d/dose_10000/sparse/sparse_train.npz'), mutators: NPZ, cmds: (f, o) => ({ lsqml: ['lsqml', '--input', f, '--out', o, ...EP], inspect: ['inspect', '--check', f] }) },
    'reconstruction-npz': { src: join(hub, job, 'reconstruction.npz'), mutators: NPZ, cmds: (f, o) => ({ export: ['export', '--input', f, '--out', `${o}.h5`, '--pixel-size', '1e-8'], inspect: ['inspect', f], 'init-object': ['lsqml', '--input', join(hub, 'phase_d/dose_10000/sparse/sparse_train.npz'), '--init-object', `file:${f}`, '--out', o, ...EP] }) },
    cxi: { src: join(FIX, 'scan.cxi'), mutators: H5, cmds: (f, o) => ({ lsqml: ['lsqml', '--input', f, '--out', o, ...EP], inspect: ['inspect', f] }) },
    ptyd: { src: join(FIX, 'scan.ptyd'), mutators: H5, cmds: (f, o) => ({ lsqml: ['lsqml', '--input', f, '--out', o, ...EP], inspect: ['inspect', f] }) },
    'product-h5': { src: join(FIX, 'probe-product.h5'), mutators: H5, cmds: (f, o) => ({ 'init-probe': ['lsqml', '--input', join(FIX, 'scan.cxi'), '--init-probe', `file:${f}`, '--out', o, ...EP], 'init-object': ['lsqml', '--input', join(FIX, 'scan.cxi'), '--init-object', `file:${f}`, '--out', o, ...EP], inspect: ['inspect', f] }) },
    ptyr: { src: join(FIX, 'probe.ptyr'), mutators: H5, cmds: (f, o) => ({ 'init-probe': ['lsqml', '--input', join(FIX, 'scan.cxi'), '--init-probe', `file:${f}`, '--out', o, ...EP] }) },
    'settings-yaml': { src: join(base, 'settings.yaml'), mutators: ['yaml', 'yaml', 'yaml', ...BIN], cmds: (f, o) => ({ check: ['config', '--check', f], lsqml: ['lsqml', '--config', f, '--input', join(hub, 'phase_d/dose_10000/sparse/sparse_train.npz'), '--out', o, ...EP] }) },
    'settings-json': { src: join(base, 'settings.json'), mutators: ['json', 'json', 'json', ...BIN], cmds: (f) => ({ check: ['config', '--check', f] }) },
    'lsqml-run-record': { src: join(base, 'lsqml/reconstruction_run.json'), folder: 'lsqml', folderFile: 'reconstruction_run.json', mutators: [...BIN, 'json', 'json', 'json'], cmds: (d) => ({ report: ['report', '--out', d, '--quiet', '--force'] }) },
    'lsqml-reconstruction': { src: join(base, 'lsqml/reconstruction.npz'), folder: 'lsqml', folderFile: 'reconstruction.npz', mutators: NPZ, cmds: (d) => ({ report: ['report', '--out', d, '--quiet', '--force'], export: ['export', '--input', d, '--out', `${d}.h5`, '--pixel-size', '1e-8'] }) },
    // sides 2^a·3^b·5^c that are no power of two (the mixed-radix FFT): a 48×48 dataset, and the CXI fixture's 32×32 frames cropped to 24×24
    'dataset-npz-48': { src: join(base, SIDE_48), mutators: NPZ, cmds: (f, o) => ({ lsqml: ['lsqml', '--input', f, '--out', o, ...EP], inspect: ['inspect', '--check', f] }) },
    'cxi-crop-24': { src: join(FIX, 'scan.cxi'), mutators: H5, cmds: (f, o) => ({ lsqml: ['lsqml', '--input', f, '--crop-center', '16,16', '--crop-size', '24', '--probe-model', 'aperture:diameter=1e-6', '--out', o, ...EP],
      inspect: ['inspect', '--check', '--crop-center', '16,16', '--crop-size', '24', '--probe-model', 'aperture:diameter=1e-6', f] }) },
    // a checkpoint of a stopped run, where the same command continuing it reads it: exit 0 (continued; Phase F: also one of
    // another run, kept aside), exit 2 naming it (lsqml), or the Phase F job failed naming it (exit 1)
    'lsqml-checkpoint': { src: join(base, 'lsqml-stopped', CHECKPOINT), folder: 'lsqml-stopped', folderFile: CHECKPOINT, mutators: NPZ,
      cmds: (d) => ({ lsqml: ['lsqml', '--input', join(FIX, 'scan.cxi'), '--out', d, '--epochs', String(stoppedAt.lsqml + 2), '--checkpoint-every', '2'] }) },
    'phase-f-checkpoint': { src: join(base, 'phase-f-stopped', PHASE_F_JOB, CHECKPOINT), folder: 'phase-f-stopped', folderFile: join(PHASE_F_JOB, CHECKPOINT), mutators: NPZ,
      cmds: (d) => ({ reconstruct: phaseF(base, d, stoppedAt.phaseF + 2) }) },
    'hub-run-json': hubRecord('run.json', pick('resume', 'report')),
    'hub-settings': hubRecord('settings.json', pick('resume', 'report')),
    'hub-design': hubRecord('design.json', pick('resume', 'report')),
    'hub-phase-c-manifest': hubRecord('phase_c/run_manifest.json', pick('resume', 'compare')),
    'hub-overlap-manifest': hubRecord('phase_d/overlap_manifest.json', pick('resume', 'compare')),
    'hub-metrics-bundle': hubRecord('phase_d/dose_10000/dense/metrics_bundle.json', pick('resume', 'report')),
    'hub-reconstruction-manifest': hubRecord('phase_f/reconstruction_manifest.json', pick('resume', 'compare', 'report')),
    'hub-skip-summary': hubRecord('phase_f/skip_summary.json', pick('resume', 'compare')),
    'hub-job-record': hubRecord(`${job}/reconstruction_run.json`, pick('resume', 'compare', 'report')),
    'hub-metrics-summary': hubRecord('phase_g/metrics_summary.json', pick('resume', 'compare', 'report')),
    'hub-comparison': hubRecord('phase_g/dose_10000/dense/test/comparison.json', pick('resume', 'compare', 'report')),
    'hub-reconstruction-npz': { src: join(hub, job, 'reconstruction.npz'), hubFile: `${job}/reconstruction.npz`, mutators: NPZ, cmds: pick('resume', 'compare', 'report') },
    'hub-phase-c-npz': { src: join(hub, 'phase_c/dose_10000/patched_test.npz'), hubFile: 'phase_c/dose_10000/patched_test.npz', mutators: NPZ, cmds: pick('resume', 'compare') },
    // --kinds only (not in the mutation cases, whose order it would change): a figure the report copies
    ...(args.includes('--kinds') ? {
      'hub-comparison-png': { src: join(hub, 'phase_g/dose_10000/dense/test/comparison.png'), hubFile: 'phase_g/dose_10000/dense/test/comparison.png', mutators: BIN, cmds: pick('report') },
    } : {}),
  };
}

// ---------- classification
const BATCH = ['compare', 'resume', 'reconstruct'], CHECKERS = ['check', 'inspect'];
function classify(r, cmdName, argv, file, outPaths, before) {
  const errLines = r.stderr.split('\n').filter((l) => l.startsWith('ptychostudy '));
  const first = errLines[0] ?? r.stderr.split('\n').find((l) => l.trim()) ?? '';
  const stack = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(r.stderr) || /^\w*Error: /m.test(r.stderr);
  if (r.killedFor) return { cls: r.killedFor, first };
  if (r.signal) return { cls: 'signal', first: `${r.signal} ${first}` };
  if (stack) return { cls: 'stack', first };
  if (r.code === 0) return { cls: 'ok', first };
  // a batch command (compare, a resumed run) records a job whose file is broken as a failed job, names the file and
  // goes on with the others: exit 1 (docs/metrics.md, "Exit code")
  if (r.code === 1 && BATCH.includes(cmdName) && (r.stderr + r.stdout).includes(basename(file)) && /failed/.test(r.stderr + r.stdout)) {
    return { cls: 'job-failed', first: (r.stderr + r.stdout).split('\n').find((l) => l.includes(basename(file))) ?? first };
  }
  // `report` of a hub writes its page from the rest of the evidence and names each broken file, one line each: exit 1
  // (docs/limits.md, "File kinds")
  if (r.code === 1 && cmdName === 'report') {
    const named = r.stderr.split('\n').find((l) => l.startsWith(`${file}: `) && l.endsWith('(broken evidence: the report shows it as broken)'));
    if (named) return { cls: 'broken-evidence', first: named };
  }
  const changed = outPaths.flatMap((p, k) => treeChanges(before[k], treeState(p)).map((c) => `${basename(p)}:${c}`));
  if (changed.length) return { cls: 'partial', first: `${first} [changed: ${changed.slice(0, 6).join(', ')}]` };
  if (r.code === 1) return { cls: 'exit1', first };
  if (r.code !== 2) return { cls: `exit${r.code}`, first };
  // a checker (inspect --check, config --check) reports each problem: on stdout for inspect, one line each
  if (CHECKERS.includes(cmdName)) {
    const named = (r.stdout + r.stderr).split('\n').find((l) => l.includes(basename(file)));
    return named ? { cls: 'refused', first: named.trim() } : { cls: 'unnamed', first };
  }
  if (!first.includes(basename(file)) && !first.includes(file)) return { cls: 'unnamed', first };
  if (errLines.length > 1) return { cls: 'multi', first: errLines.slice(0, 3).join(' | ') };
  return { cls: 'refused', first };
}

// ---------- main
const base = await setup();
const all = targets(base);
const names = Object.keys(all).filter((n) => !ONLY || ONLY.includes(n));
if (args.includes('--list')) { console.log(names.join('\n')); process.exit(0); }
const t0 = Date.now();
const summary = { seed: SEED, cases: 0, timeout_s: TIMEOUT_S, rss_cap_mib: RSS_CAP_MIB, classes: {}, by_target: {}, violations: [], max_ms: 0, max_rss_mib: 0 };
const caseDir = join(WORK, 'case');

// ---------- file kinds (--kinds)
const KINDS = {
  fifo(f) { const r = spawnSync('mkfifo', [f]); if (r.status !== 0) throw new Error(`mkfifo ${f} failed`); },
  dir(f) { mkdirSync(f); },
  'dev-zero'(f) { symlinkSync('/dev/zero', f); },
  'dev-urandom'(f) { symlinkSync('/dev/urandom', f); },
  loop(f) { symlinkSync(basename(f), f); },
  dangling(f) { symlinkSync(`${basename(f)}.nothing-here`, f); },
  sparse(f, src) { writeFileSync(f, readFileSync(src)); truncateSync(f, 100 * 2 ** 30); },
};
/** Prepares case `c` of target `t`: copies what it needs into caseDir; returns the file to replace, the command line and what must not change. */
function prepare(t, cmdName) {
  rmSync(caseDir, { recursive: true, force: true });
  mkdirSync(caseDir, { recursive: true });
  if (t.hubFile) {
    const h = join(caseDir, 'hub');
    cpSync(join(base, 'hub'), h, { recursive: true, preserveTimestamps: true });
    return { file: join(h, t.hubFile), argv: t.cmds(h)[cmdName], outPaths: [h] };
  }
  if (t.folder) {
    const d = join(caseDir, t.folder);
    cpSync(join(base, t.folder), d, { recursive: true, preserveTimestamps: true });
    return { file: join(d, t.folderFile), argv: t.cmds(d)[cmdName], outPaths: [d, `${d}.h5`] };
  }
  const o = join(caseDir, 'out');
  const file = join(caseDir, basename(t.src));
  return { file, argv: t.cmds(file, o)[cmdName], outPaths: [o, `${o}.h5`] };
}
if (args.includes('--kinds')) {
  const i = args.indexOf('--kinds'), list = args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1].split(',') : Object.keys(KINDS);
  summary.kinds = {};
  for (const tname of names) {
    const t = all[tname];
    for (const cmdName of Object.keys(t.cmds('F', 'O'))) {
      for (const kind of list) {
        const { file, argv, outPaths } = prepare(t, cmdName);
        rmSync(file, { force: true, recursive: true });
        KINDS[kind](file, t.src);
        const before = outPaths.map(treeState);
        const r = await runCli(argv, { timeoutS: t.hubFile ? Math.max(TIMEOUT_S, 30) : TIMEOUT_S });
        const { cls, first } = classify(r, cmdName, argv, file, outPaths, before);
        summary.cases++;
        summary.classes[cls] = (summary.classes[cls] ?? 0) + 1;
        (summary.kinds[`${tname} ${cmdName}`] ??= {})[kind] = cls;
        summary.max_ms = Math.max(summary.max_ms, Math.round(r.ms));
        summary.max_rss_mib = Math.max(summary.max_rss_mib, r.rssMiB ?? 0);
        // exit 0 is right for a sparse copy of a valid file (it is one) and for `report` of a file it does not read; anywhere
        // else a file that is no file was not refused
        // and for a resumed `run` that changed nothing (a complete hub whose inputs are unchanged: a job's files are not read)
        const unchanged = () => outPaths.every((p, k) => treeChanges(before[k], treeState(p)).length === 0);
        const fine = ['refused', 'job-failed', 'broken-evidence'].includes(cls) ||
          (cls === 'ok' && (kind === 'sparse' || cmdName === 'report' || (cmdName === 'resume' && unchanged())));
        if (!fine) {
          const v = { target: tname, command: cmdName, kind, class: cls, exit: r.code, first: first.slice(0, 300), ms: Math.round(r.ms), rss_mib: r.rssMiB };
          summary.violations.push(v);
          process.stderr.write(`fuzz-inputs: ${cls}: ${tname} ${cmdName} (${kind}) exit ${r.code}: ${v.first}\n`);
        } else process.stderr.write(`fuzz-inputs: ${cls}: ${tname} ${cmdName} (${kind}): ${first.slice(0, 200)}\n`);
      }
    }
  }
  rmSync(caseDir, { recursive: true, force: true });
  summary.seconds = Math.round((Date.now() - t0) / 1000);
  console.log(JSON.stringify(summary, null, 1));
  if (!opt('work', '') && !KEEP) rmSync(WORK, { recursive: true, force: true });
  process.exit(summary.violations.length ? 1 : 0);
}
for (let c = 0; c < CASES; c++) {
  if (ONLY_CASE !== null && c !== ONLY_CASE) continue;
  const tname = names[c % names.length], t = all[tname];
  const caseRng = prng(SEED ^ Math.imul(c + 1, 0x9e3779b1)); // each case from its own number: --case replays it
  const mname = caseRng.pick(t.mutators);
  const cmdName = caseRng.pick(Object.keys(t.cmds('F', 'O')));
  const { file, argv, outPaths } = prepare(t, cmdName);
  let mutated;
  try {
    mutated = ALL_MUTATORS[mname](readFileSync(t.src), caseRng, { src: t.src, dst: join(caseDir, 'h5.tmp') });
  } catch (err) {
    mutated = { bytes: bytesMutators.truncate(readFileSync(t.src), caseRng).bytes, what: `truncated (the ${mname} mutation failed: ${String(err.message ?? err).slice(0, 80)})` };
  }
  rmSync(join(caseDir, 'h5.tmp'), { force: true });
  writeFileSync(file, mutated.bytes);
  const before = outPaths.map(treeState);
  const r = await runCli(argv, { timeoutS: t.hubFile ? Math.max(TIMEOUT_S, 30) : TIMEOUT_S });
  const { cls, first } = classify(r, cmdName, argv, file, outPaths, before);
  summary.cases++;
  summary.classes[cls] = (summary.classes[cls] ?? 0) + 1;
  const key = `${tname} ${cmdName}`;
  (summary.by_target[key] ??= {})[cls] = (summary.by_target[key][cls] ?? 0) + 1;
  summary.max_ms = Math.max(summary.max_ms, Math.round(r.ms));
  summary.max_rss_mib = Math.max(summary.max_rss_mib, r.rssMiB ?? 0);
  if (!['ok', 'refused', 'job-failed', 'broken-evidence'].includes(cls)) {
    const v = { case: c, target: tname, command: cmdName, mutation: `${mname}: ${mutated.what}`, class: cls, exit: r.code, first: first.slice(0, 300), ms: Math.round(r.ms), rss_mib: r.rssMiB };
    summary.violations.push(v);
    process.stderr.write(`fuzz-inputs: case ${c} ${cls}: ${tname} ${cmdName} (${v.mutation}) exit ${r.code}: ${v.first}\n`);
    if (KEEP) cpSync(caseDir, join(WORK, `kept-${c}`), { recursive: true });
  } else if (c % 25 === 0) process.stderr.write(`fuzz-inputs: ${c + 1}/${CASES}\n`);
}
rmSync(caseDir, { recursive: true, force: true });
summary.seconds = Math.round((Date.now() - t0) / 1000);
console.log(JSON.stringify(summary, null, 1));
if (!opt('work', '') && !KEEP) rmSync(WORK, { recursive: true, force: true });
process.exitCode = summary.violations.length ? 1 : 0;
