/**
 * Seeded fuzzing of the NPZ reader: valid archives (ours, stored / deflated / zip64, NumPy's, datasets
 * with a pickled `_metadata`) mutated — bytes flipped, truncated, zip fields rewritten, `.npy` headers
 * rewritten, chunks spliced, `_metadata` replaced by random pickles of the allowed opcodes — must each
 * end in success or a clean InputError (exit 2), quickly: in process through the library for most
 * cases, through the CLI (`inspect --check`, `lsqml`) for a sample, where no stack trace may appear.
 * Same seed, same cases: a failure names the iteration to replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy } from '../../src/npy/npy.js';
import { NpzReader, encodeNpz } from '../../src/npy/npz.js';
import type { NdArray } from '../../src/npy/types.js';
import { InputError } from '../../src/errors.js';
import { readMetadata, metadataArray } from '../../src/data/metadata.js';
import { validateDataset } from '../../src/data/dataset.js';
import { OP, headerDict, latin1, npyWithHeader, objectArrayPickle, objectNpy0d, strOp, zipOf } from './craft.js';
import { NUMPY_FIXTURES, sampleArrays } from './helpers.js';

const SEED = 20_240_613;
const IN_PROCESS = 1500;
const THROUGH_INSPECT = 48;
const THROUGH_LSQML = 4;

/** mulberry32: a small seeded generator (the cases, not the physics, depend on it). */
function prng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(a: readonly T[]) => T } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (a) => a[int(a.length)]! };
}
type Rng = ReturnType<typeof prng>;

function dataset(n = 6, N = 8, M = 24): Record<string, NdArray> {
  return {
    diffraction: { dtype: '<f4', shape: [n, N, N], data: Float32Array.from({ length: n * N * N }, (_, i) => 1 + ((i * 7) % 13) / 13) },
    objectGuess: { dtype: '<c8', shape: [M, M], data: Float32Array.from({ length: 2 * M * M }, (_, i) => (i % 2 ? 0.1 : 1)) },
    probeGuess: { dtype: '<c8', shape: [N, N], data: Float32Array.from({ length: 2 * N * N }, (_, i) => (i % 2 ? 0 : 1)) },
    xcoords: { dtype: '<f8', shape: [n], data: Float64Array.from({ length: n }, (_, i) => 8 + 2 * i) },
    ycoords: { dtype: '<f8', shape: [n], data: Float64Array.from({ length: n }, (_, i) => 9 + i) },
  };
}

const META = JSON.stringify({ intensity_scale: 3.5, nphotons: 1000, nested: { a: [1, 2, { b: null }] } });

/** The valid starting points. */
function corpus(): Array<[string, Uint8Array]> {
  const sample = sampleArrays();
  const ds = dataset();
  const members: Record<string, Uint8Array> = {};
  for (const [k, a] of Object.entries(ds)) members[`${k}.npy`] = encodeNpy(a);
  members['_metadata.npy'] = objectNpy0d(strOp(META));
  return [
    ['sample-stored.npz', Buffer.concat(encodeNpz(sample, { compress: false }))],
    ['sample-deflated.npz', Buffer.concat(encodeNpz(sample))],
    ['sample-zip64.npz', Buffer.concat(encodeNpz(sample, { forceZip64: true, compress: false }))],
    ['dataset-unicode-meta.npz', Buffer.concat(encodeNpz({ ...ds, _metadata: metadataArray(JSON.parse(META) as Record<string, unknown>) }, { compress: false }))],
    ['dataset-pickled-meta.npz', zipOf(members)],
    ['dataset-deflated.npz', zipOf(members, 6)],
    ['numpy-every-dtype.npz', readFileSync(join(NUMPY_FIXTURES, 'every_dtype_savez.npz'))],
    ['numpy-phase-c.npz', readFileSync(join(NUMPY_FIXTURES, 'phase_c_dataset.npz'))],
  ];
}

/** A random pickle: either opcodes of the allowed subset in random order, or NumPy's array wrapper around random elements. */
function randomPickle(rng: Rng): Uint8Array {
  const ops: number[] = [];
  const one = (): number[] => {
    switch (rng.int(22)) {
      case 0: return strOp('x'.repeat(rng.int(300)));
      case 1: return [OP.BININT1, rng.int(256)];
      case 2: return [OP.BININT, rng.int(256), rng.int(256), rng.int(256), rng.int(256)];
      case 3: { const n = rng.pick([0, 1, 8, 9, 255]); return [OP.LONG1, n, ...Array.from({ length: n }, () => rng.int(256))]; }
      case 4: { const n = rng.pick([0, 4, 1024, 1025, 70_000]); return [OP.LONG4, n & 255, (n >> 8) & 255, (n >> 16) & 255, 0, ...Array.from({ length: Math.min(n, 2000) }, () => rng.int(256))]; }
      case 5: return [OP.BINFLOAT, ...Array.from({ length: 8 }, () => rng.int(256))];
      case 6: return [OP.MARK];
      case 7: return [OP.TUPLE];
      case 8: return [OP.EMPTY_LIST];
      case 9: return [OP.APPEND];
      case 10: return [OP.APPENDS];
      case 11: return [OP.DUP];
      case 12: return [OP.POP];
      case 13: return [OP.BINPUT, rng.int(4)];
      case 14: return [OP.BINGET, rng.int(4)];
      case 15: return [OP.MEMOIZE];
      case 16: return [OP.NONE];
      case 17: return [OP.NEWTRUE];
      case 18: return [OP.EMPTY_DICT, ...strOp('k'), OP.NONE, OP.SETITEM];
      case 19: return [OP.GLOBAL, ...latin1(rng.pick(['numpy\ndtype\n', 'numpy\nndarray\n', 'os\nsystem\n', 'numpy.core.multiarray\n_reconstruct\n', 'builtins\neval\n']))];
      case 20: return [rng.pick([OP.REDUCE, OP.BUILD, OP.TUPLE1, OP.TUPLE3, OP.LIST])];
      default: return [rng.int(256)]; // any byte, outside the subset or not
    }
  };
  const count = 1 + rng.int(30);
  for (let i = 0; i < count; i++) ops.push(...one());
  if (rng.next() < 0.5) return objectArrayPickle(ops, rng.next() < 0.8 ? [] : [rng.int(4)]);
  return Uint8Array.from([OP.PROTO, rng.pick([2, 3, 4, 5, 6]), ...ops, OP.STOP]);
}

const DESCRS = ['<f8', '<f4', '>f8', '<c16', '<c8', '|u1', '<i8', '|b1', '<U0', '|S0', '<U5', '|S3', '|O', '<m8', '<f2', "[('a', '<i4')]", '<U99999999999'];

function randomHeader(rng: Rng): string {
  const nd = rng.pick([0, 1, 2, 3, 65]);
  const dims = Array.from({ length: nd }, () => rng.pick([0, 1, 3, 7, 4096, 2 ** 31, 4_000_000_000, 2 ** 53]));
  const descr = rng.pick(DESCRS);
  const d = descr.startsWith('[') ? `{'descr': ${descr}, 'fortran_order': False, 'shape': (${dims.join(', ')}${nd === 1 ? ',' : ''}), }` : headerDict(descr, dims, rng.next() < 0.3);
  return rng.next() < 0.1 ? d.slice(0, rng.int(d.length)) : d;
}

/** One mutation of `src` (a copy). */
function mutate(src: Uint8Array, rng: Rng, others: ReadonlyArray<[string, Uint8Array]>): { bytes: Uint8Array; how: string } {
  const b = Buffer.from(src);
  const central: number[] = [];
  for (let i = b.indexOf('PK\x01\x02'); i >= 0; i = b.indexOf('PK\x01\x02', i + 1)) central.push(i);
  const kind = rng.int(8);
  switch (kind) {
    case 0: { // flip bytes
      const k = 1 + rng.int(8);
      for (let i = 0; i < k; i++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      return { bytes: b, how: `flip ${k}` };
    }
    case 1: { const n = rng.int(b.length); return { bytes: b.subarray(0, n), how: `truncate ${n}` }; }
    case 2: { // a size, offset or length field of a central entry
      if (central.length === 0) return { bytes: b, how: 'none' };
      const c = rng.pick(central);
      const field = rng.pick([10, 20, 24, 28, 30, 42]);
      const v = rng.pick([0, 1, 0xffff, 0xffffffff, 0x7fffffff, rng.int(2 ** 32)]);
      if (field === 10 || field === 28 || field === 30) b.writeUInt16LE(v & 0xffff, c + field); else b.writeUInt32LE(v >>> 0, c + field);
      return { bytes: b, how: `central+${field}=${v}` };
    }
    case 3: { // rewrite a .npy header in place (same length; a stored member, so the header is read before the CRC)
      const at = b.indexOf("{'descr'");
      if (at < 0) return { bytes: b, how: 'none' };
      const end = b.indexOf('\n', at);
      const h = randomHeader(rng);
      if (h.length > end - at) return { bytes: b, how: 'none' };
      b.write(h.padEnd(end - at), at, 'latin1');
      return { bytes: b, how: `header ${h}` };
    }
    case 4: { // splice a chunk of another file in
      const [, o] = rng.pick(others);
      const len = 1 + rng.int(64);
      const from = rng.int(Math.max(1, o.length - len));
      const to = rng.int(Math.max(1, b.length - len));
      Buffer.from(o.subarray(from, from + len)).copy(b, to);
      return { bytes: b, how: `splice ${len}@${to}` };
    }
    case 5: { // _metadata replaced by a random pickle
      const ds = dataset();
      const members: Record<string, Uint8Array> = {};
      for (const [k, a] of Object.entries(ds)) members[`${k}.npy`] = encodeNpy(a);
      members['_metadata.npy'] = npyWithHeader(headerDict('|O', rng.next() < 0.9 ? [] : [rng.int(3)]), randomPickle(rng));
      return { bytes: zipOf(members, rng.pick([0, 6] as const)), how: 'random pickle' };
    }
    case 6: { // fill a range with 0x00 or 0xFF
      const at = rng.int(b.length);
      const len = 1 + rng.int(16);
      b.fill(rng.pick([0, 0xff]), at, at + len);
      return { bytes: b, how: `fill ${len}@${at}` };
    }
    default: { // the npy version / header-length bytes after a magic string
      const at = b.indexOf('\x93NUMPY');
      if (at < 0) return { bytes: b, how: 'none' };
      const off = at + 6 + rng.int(6);
      b[off] = rng.pick([0, 1, 2, 3, 4, 0xff]);
      return { bytes: b, how: `npy byte ${off}=${b[off]}` };
    }
  }
}

/** Reads everything a command could read; 'ok' or 'refused' (an InputError). Anything else throws. */
/** Refusals by kind of message (numbers blanked), for the diagnostic line. */
const refusals = new Map<string, number>();
async function exercise(bytes: Uint8Array, name: string): Promise<'ok' | 'refused'> {
  try {
    const r = NpzReader.fromBytes(bytes, name, { maxMemberBytes: 64 << 20 });
    const arrays: Record<string, NdArray> = {};
    for (const k of r.keys()) {
      r.header(k);
      arrays[k] = r.get(k);
      if (r.member(k).size < 1 << 20) await r.stream(k, () => {}, 4096);
    }
    const meta = readMetadata(r); // never throws: absent, ok or error
    assert.ok(meta.status === 'absent' || meta.status === 'ok' || meta.status === 'error');
    if ('diffraction' in arrays) validateDataset(arrays, name, { metadata: meta });
    return 'ok';
  } catch (err) {
    if (err instanceof InputError) {
      const family = err.message.replace(/^[^:]*: /, '').replace(/[0-9]+/g, 'N').slice(0, 60);
      refusals.set(family, (refusals.get(family) ?? 0) + 1);
      return 'refused';
    }
    throw err;
  }
}

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const base = corpus();

test(`fuzz: ${base.length} valid NPZ files, ${IN_PROCESS} seeded mutations read in process — each ends in success or an InputError, quickly`, async (t) => {
  const rng = prng(SEED);
  const outcome = { ok: 0, refused: 0 };
  let slowest = 0;
  for (let i = 0; i < IN_PROCESS; i++) {
    const [name, src] = base[i % base.length]!;
    const { bytes, how } = mutate(src, rng, base);
    const t0 = performance.now();
    let result: 'ok' | 'refused';
    try {
      result = await exercise(bytes, `${name}#${i}`);
    } catch (err) {
      assert.fail(`iteration ${i} (${name}, ${how}): ${err instanceof Error ? err.stack : String(err)}`);
    }
    const s = (performance.now() - t0) / 1000;
    slowest = Math.max(slowest, s);
    assert.ok(s < 5, `iteration ${i} (${name}, ${how}) took ${s.toFixed(1)} s (hang guard)`);
    outcome[result]++;
  }
  t.diagnostic(`outcomes ${JSON.stringify(outcome)}, slowest ${slowest.toFixed(2)} s, ${refusals.size} kinds of refusal`);
  // the mutations reach past the zip layer: some still decode, most are refused, for many different reasons
  assert.ok(outcome.ok > IN_PROCESS / 20 && outcome.refused > IN_PROCESS / 2 && refusals.size > 100, JSON.stringify(outcome));
});

test(`fuzz: ${THROUGH_INSPECT} seeded mutations through \`inspect --check\` and ${THROUGH_LSQML} through \`lsqml\` — exit 0 or 2, never a stack trace`, () => {
  const rng = prng(SEED + 1);
  const dir = mkdtempSync(join(tmpdir(), 'ptychostudy-fuzz-'));
  try {
    const files: string[] = [];
    for (let i = 0; i < THROUGH_INSPECT; i++) {
      const [name, src] = base[i % base.length]!;
      const f = join(dir, `${i}-${name}`);
      writeFileSync(f, mutate(src, rng, base).bytes);
      files.push(f);
    }
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, 'inspect', '--check', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.ok((performance.now() - t0) / 1000 < 30, 'hang guard');
    assert.ok(r.status === 0 || r.status === 2, `exit ${r.status}: ${r.stderr.slice(0, 2000)}`);
    assert.doesNotMatch(r.stderr + r.stdout, /^\s+at |RangeError|TypeError|Maximum call stack/m);
    for (const line of r.stderr.split('\n').filter((l) => l)) assert.match(line, /^ptychostudy inspect: \S/, line);
    // lsqml on mutated datasets: the reconstruction runs (exit 0) or the input is refused (exit 2)
    const datasets = base.filter(([n]) => n.startsWith('dataset'));
    for (let i = 0; i < THROUGH_LSQML; i++) {
      const [name, src] = datasets[i % datasets.length]!;
      const f = join(dir, `lsqml-${i}-${name}`);
      writeFileSync(f, mutate(src, rng, base).bytes);
      const t1 = performance.now();
      const l = spawnSync(process.execPath, [cli, 'lsqml', '--input-npz', f, '--output-dir', join(dir, `out-${i}`), '--epochs', '2', '--batch-size', '4'], { encoding: 'utf8' });
      assert.ok((performance.now() - t1) / 1000 < 30, 'hang guard');
      assert.ok(l.status === 0 || l.status === 2, `lsqml ${f}: exit ${l.status}: ${l.stderr}`);
      assert.doesNotMatch(l.stderr, /^\s+at /m);
      if (l.status === 2) assert.equal(l.stderr.trim().split('\n').filter((x) => x.startsWith('ptychostudy lsqml: ')).length, 1, l.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
