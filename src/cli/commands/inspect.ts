import type { Command } from 'commander';
import { action, errorLines } from '../action.js';
import type { ArrayStats, InitialObjectOf, InitialProbeOf, NpzSummary } from '../../data/inspect.js';
import type { Hdf5Summary } from '../../data/inspect-hdf5.js';
import type { StartingPoint } from '../../data/inspect-reconstruction-file.js';
import type { BeamEstimate } from '../../data/hdf5/beam.js';
import { formatShape as shapeStr } from '../../npy/npy.js';
import { sizeOf } from '../../npy/types.js';
import { counted, printable } from '../../text.js';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { HUB } from '../../study/hub/layout.js';
import { ENGINE_FLAGS, addFrameOptions, addProbeOptions, frameSettings, type EngineFlags } from '../engine-flags.js';
import { oneConfigFile, settingsFrom } from '../options.js';
import { shellQuote } from '../../study/slurm/script.js';

/**
 * What to use instead for a hub directory or a settings file, which `inspect` does not read (it said "not a regular
 * file" of a hub, and of settings.json that it was "not a valid .npz … truncated or not a zip archive"); null otherwise.
 */
export function notInspected(file: string): string | null {
  let dir = false;
  try { dir = statSync(file).isDirectory(); } catch { return null; }
  if (dir && existsSync(join(file, HUB.runState))) {
    return `${file}: a hub, not a file; its settings are ${join(file, HUB.settings)} ` +
      `(\`ptychostudy config --check ${join(file, HUB.settings)}\` lists what they change from the defaults), its report ${join(file, HUB.report, 'index.html')}`;
  }
  if (!dir && /\.(json|ya?ml)$/i.test(file)) {
    return `${file}: expected an NPZ or HDF5 file; found a JSON or YAML name (a settings file is checked with \`ptychostudy config --check ${file}\`)`;
  }
  return null;
}

interface InspectFlags extends Pick<EngineFlags, 'cropCenter' | 'cropSize' | 'binSize' | 'orientation' | 'cxiEntry' | 'initProbe' | 'probeModel' | 'initObject'> {
  json?: boolean;
  check?: boolean;
  radiation?: string;
  config?: string;
}

/** How errors of the settings name the settings inspect takes as flags: those of the engine flags it shares. */
const FLAGS: Record<string, string> = Object.fromEntries(Object.entries(ENGINE_FLAGS).filter(([setting]) =>
  /^reconstruction\.(radiation|crop|binSize|orientation|cxiEntry|initProbe|probeModel|initObject)(\.|$)/.test(setting)));

function num(v: number | bigint | null): string {
  if (v === null) return '-';
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e15) return String(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(5).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(6)));
}

/** JSON-safe statistics: finite numbers stay numbers; ±Infinity become strings, bigints decimal strings. */
function jsonStats(s: ArrayStats): Record<string, unknown> {
  const j = (v: number | bigint | null): unknown => (v === null ? null : typeof v === 'bigint' ? v.toString() : Number.isFinite(v) ? v : String(v));
  return { of: s.of, count: s.count, min: j(s.min), max: j(s.max), mean: j(s.mean), nan: s.nan };
}

function toJson(s: NpzSummary): Record<string, unknown> {
  return {
    file: s.file,
    file_bytes: s.fileBytes,
    ...(s.kind ? { kind: s.kind } : {}),
    keys: s.keys.map((k) => ({
      key: k.key, dtype: k.dtype, shape: k.shape, bytes: k.bytes, stored_bytes: k.storedBytes, compression: k.compression,
      ...(k.stats ? { stats: jsonStats(k.stats) } : {}),
      ...(k.preview ? { preview: k.preview } : {}),
    })),
    metadata: s.metadata.status === 'ok' ? { status: 'ok', value: s.metadata.value } : s.metadata,
    ...(s.check ? { check: s.check } : {}),
  };
}

function toText(s: NpzSummary): string {
  const rows: string[][] = [['key', 'dtype', 'shape', 'min', 'max', 'mean', 'NaN', 'stored', 'value']];
  let complex = false;
  for (const k of s.keys) {
    const st = k.stats;
    if (st?.of === 'modulus') complex = true;
    const stored = `${k.compression} ${k.storedBytes}/${k.bytes} B`;
    const stats = st ? [(st.of === 'modulus' ? '|z| ' : '') + num(st.min), num(st.max), num(st.mean), String(st.nan)] : ['', '', '', ''];
    // strings: the first elements (the decoded _metadata follows the table)
    const value = k.key !== '_metadata' && k.preview?.length ? k.preview.join(', ') + (k.preview.length < sizeOf(k.shape) ? ', …' : '') : '';
    rows.push([k.key, k.dtype, shapeStr(k.shape), ...stats, stored, value]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = [`${s.file}  (${s.kind ? `${s.kind}, ` : ''}${counted(s.keys.length, 'key')}, ${s.fileBytes} bytes)`];
  for (const r of rows) lines.push('  ' + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
  if (complex) lines.push('  (complex keys: min/max/mean are of the modulus |z|; NaN counts elements with a NaN part)');
  const m = s.metadata;
  if (m.status === 'absent') lines.push('_metadata: none');
  else if (m.status === 'error') lines.push(`_metadata: present but unreadable: ${m.error}`);
  else lines.push('_metadata:', ...JSON.stringify(m.value, null, 2).split('\n').map((l) => `  ${l}`));
  if (s.check && s.kind !== undefined) {
    // a ptychodus NPZ product: the probe and object files' check, in the lines of an HDF5 product's
    if (s.check.valid) lines.push('reconstruction check: readable', ...s.check.reads.map((l) => `  ${l}`));
    else lines.push(`reconstruction check: ${counted(s.check.violations.length, 'problem')}`, ...s.check.violations.map((v) => `  ${v}`), ...s.check.reads.map((l) => `  read: ${l}`));
  } else if (s.check) {
    if (s.check.valid) lines.push('DATA-001 check: valid dataset', ...s.check.reads.map((l) => `  ${l}`));
    else lines.push(`DATA-001 check: ${counted(s.check.violations.length, 'problem')}`, ...s.check.violations.map((v) => `  ${v}`));
    for (const w of s.check.warnings) lines.push(`  warning: ${w}`);
  }
  // keys and strings come from the file: JSON quoting escapes C0 controls, this the rest (C1, DEL, U+2028 …)
  return lines.map((l) => printable(l, Infinity)).join('\n');
}

function hdf5Json(s: Hdf5Summary): Record<string, unknown> {
  return { file: s.file, file_bytes: s.fileBytes, format: 'hdf5', kind: s.kind, entries: s.entries, not_listed: s.notListed, ...(s.beam ? { beam: s.beam } : {}),
    ...(s.check ? { check: s.check } : {}) };
}

/**
 * Where the direct beam found on the file's frames lands in the patterns a crop given with --check makes: their centre
 * pixel [n/2, n/2] holds file pixels Y … Y + B − 1 of the crop centre Y (bin B), whose middle is Y + (B − 1)/2; a beam
 * more than half a pattern pixel from it is not where the engine puts the direct beam. No line without a crop or a beam.
 */
function beamInCrop(s: Hdf5Summary): string[] {
  const f = s.check?.frames, b = s.beam;
  if (!f || !b || 'error' in b || b.centre_yx === null || !Array.isArray(f.crop_center_yx)) return [];
  const [cy, cx] = f.crop_center_yx as [number, number], bin = Number(f.bin_size ?? 1);
  const off = [(b.centre_yx[0] - (cy + (bin - 1) / 2)) / bin, (b.centre_yx[1] - (cx + (bin - 1) / 2)) / bin];
  const r = (v: number): number => Math.round(v * 100) / 100 + 0;
  if (Math.abs(off[0]!) <= 0.5 && Math.abs(off[1]!) <= 0.5) return [`  direct beam: at the patterns' centre (within half a pattern pixel), where the engine puts it`];
  return [`  warning: the direct beam found above ([${b.centre_yx.join(', ')}] in the file's pixels) lies [${off.map(r).join(', ')}] pattern pixels ` +
    `from the patterns' centre, where the engine puts it: the crop is not centred on the beam${b.suggestion ? ` (suggested: ${b.suggestion.flags})` : ''}`];
}

function hdf5Text(s: Hdf5Summary, beamLines: (b: BeamEstimate, opts: { cropped?: boolean }) => string[]): string {
  const rows: string[][] = [['path', 'type', 'dtype', 'shape', 'bytes', 'chunks', 'filters']];
  for (const e of s.entries) {
    if (e.type === 'soft link' || e.type === 'external link') rows.push([e.path, e.type, `→ ${e.target ?? ''}`, '', '', '', '']);
    else if (e.error !== undefined) rows.push([e.path, e.type, `unreadable: ${e.error}`, '', '', '', '']);
    else rows.push([e.path, e.type, e.dtype ?? '', e.shape ? shapeStr(e.shape) : '', e.bytes !== undefined ? String(e.bytes) : '',
      e.chunks ? shapeStr(e.chunks) : '', (e.filters ?? []).join(', ')]);
  }
  // a long value (a link target, a message) sets no column's width: it ends its row
  const widths = rows[0]!.map((_, c) => Math.max(...rows.filter((r) => r[c + 1] !== '' || c === 0).map((r) => r[c]!.length)));
  const lines = [`${s.file}  (${s.kind}, ${counted(s.entries.length, 'entry', 'entries')}, ${s.fileBytes} bytes)`];
  for (const r of rows) {
    const last = r.length - 1 - [...r].reverse().findIndex((cell) => cell !== '');
    lines.push('  ' + r.slice(0, last + 1).map((cell, c) => (c === last ? cell : cell.padEnd(widths[c]!))).join('  '));
  }
  if (s.notListed > 0) lines.push(`  (at least ${counted(s.notListed, 'more entry', 'more entries')} not listed: ${s.listLimits})`);
  // a crop read by the check: where the beam lands in its patterns (beamInCrop), not a crop suggested as if none were given
  const cropped = Array.isArray(s.check?.frames?.crop_center_yx);
  if (s.beam) lines.push(...('error' in s.beam ? [`direct beam: not estimated (${s.beam.error})`] : beamLines(s.beam, { cropped })));
  // the command that reads the file as a reconstruction would with the crop suggested, ready to run
  if (s.beam && !('error' in s.beam) && s.beam.suggestion && !s.check) lines.push(`  next: ptychostudy inspect --check ${s.beam.suggestion.flags} ${shellQuote(s.file)}`);
  if (s.check) {
    if (s.check.valid) lines.push('reconstruction check: readable', ...s.check.reads.map((l) => `  ${l}`), ...beamInCrop(s));
    // what was read besides (a probe file's probe, when its object is refused): said after the problems
    else lines.push(`reconstruction check: ${counted(s.check.violations.length, 'problem')}`, ...s.check.violations.map((v) => `  ${v}`), ...s.check.reads.map((l) => `  read: ${l}`));
    for (const w of s.check.warnings) lines.push(`  warning: ${w}`);
  }
  return lines.map((l) => printable(l, Infinity)).join('\n');
}

export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .summary('keys, dtypes, shapes, statistics and _metadata of NPZ files; the tree of HDF5 files (CXI, PtyPy, ptychodus)')
    .description(
      'For each FILE.npz: every key with its dtype, shape, storage, and for numeric keys min / max / mean / ' +
      'NaN count (of the modulus |z| for complex keys), then the decoded _metadata (0-d string, bytes or a ' +
      'pickled string, read without executing anything). --check also checks the dataset contract (DATA-001) of the keys a ' +
      'reconstruction reads (diffraction, probeGuess, xcoords, ycoords, objectGuess, _metadata; a problem of another optional key — ' +
      'xcoords_start, ycoords_start, scan_index, Y, ground_truth_patches, filenames — is a warning, since lsqml runs the file all the same) ' +
      'and that every scan position\'s patch touches objectGuess, as a reconstruction requires, what lsqml refuses of the patterns ' +
      'and the probe, with the checker lsqml calls (not square, no pixel, no pattern, a bad _metadata.intensity_scale, a zero probeGuess, ' +
      'pattern totals over the float32 limit, no count; with --config\'s nImages and precision) and of the job\'s size from the headers ' +
      '(probe modes, memory), names the probe a reconstruction starts ' +
      'from (probeGuess, or the one --probe-model or --init-probe file:PATH gives, refused as lsqml refuses it), and the memory a ' +
      'reconstruction needs at its peak with --config\'s modes and batch size (refused, as lsqml refuses it, over the limit).\n\n' +
      'For an HDF5 file (CXI, PtyPy .ptyd or .ptyr, a ptychodus product): every group, dataset (dtype, shape, ' +
      'bytes, chunks, filters) and link, from the metadata alone; links are shown, not followed. --check reads ' +
      'it as `lsqml --input` does and says what a reconstruction takes from it (patterns, keys, geometry, ' +
      'probe, and the memory a reconstruction needs at its peak with --config\'s modes and batch size), or why it refuses it; a PtyPy .ptyr or a ptychodus product alone: its probe and its object, read as --init-probe file: and --init-object file: read them ' +
      '(each named, every refusal listed; a file without an object is a probe file only, a .ptyr without a probe an object file only, said so; --cxi-entry, --radiation, the crop flags, --init-probe, --probe-model and --init-object refused, having nothing to apply to: ' +
      'the last three are read or made for the patterns and scan of data, which such a file does not hold). ' +
      'Of measured data (CXI, .ptyd), with or without --check: where the direct beam is on the file\'s frames, [y, x] in its pixels — ' +
      'the centre of mass of the bright part of the summed pattern (above the median pixel plus 10 % of the way to the brightest) ' +
      'and the brightest pixel, masked pixels left out, and bright pixels alone (no neighbour above the threshold: hot pixels the ' +
      'mask does not flag) left out and named — and, when the frames are not centred on it or not square of a side float32 takes, ' +
      'a suggested --crop-center Y,X --crop-size N (N the largest even side with no prime factor above 13 whose window fits, at most 512); with --check and a ' +
      'crop given, whether the beam lands at the patterns\' centre instead. At most 64 patterns, ' +
      'evenly spread, are summed (fewer where a chunk holds several, as many as cost 64 frames\' decompression): the time is that of reading 64 frames whatever the file\'s size. A beam stop or a masked centre ' +
      'moves the brightest pixel, not the centre (docs/real-data.md, "Where the beam is"). ' +
      'The geometry names the radiation, the formula that turns the energy into the wavelength and where that comes ' +
      'from (the file, --radiation, the format, or the default: photon): electron data in a CXI file that states no ' +
      'radiation is read as lsqml reads it with --radiation electron only when given --radiation electron here too.\n\n' +
      'Exit codes: 0 all files read (and valid, with --check); 2 a file could not be read or, with --check, ' +
      'breaks the contract or cannot be reconstructed.')
    .argument('<files...>', 'NPZ or HDF5 files to inspect')
    .option('--json', 'print a JSON array, one object per file')
    .option('--check', 'NPZ: check the dataset contract (DATA-001) of the keys a reconstruction reads (other optional keys: warnings) and the positions against objectGuess; HDF5: read it as a reconstruction does; of a dataset NPZ and measured data say the memory a reconstruction needs (for a batch job\'s --mem; refused, as lsqml refuses it, over the limit)')
    .option('--radiation <r>', 'with --check, the setting reconstruction.radiation the files are read with, as lsqml --radiation: photon (λ = hc/E) or ' +
      'electron (the energy is an electron\'s kinetic energy, λ = h/√(2·m0·E·(1 + E/(2·m0·c²)))). Default: as the file states at ' +
      'entry_1/instrument_1/source_1/probe, photon when it states none; refused when the file states the other, for a .ptyd, for an NPZ ' +
      'and for a probe file (.ptyr, ptychodus product) ' +
      '(docs/real-data.md, "Radiation")');
  addFrameOptions(cmd, 'the file, with --check, as lsqml reads it (refused for an NPZ and a probe file; --cxi-entry also without --check: the entry whose beam is estimated)');
  addProbeOptions(cmd, 'with --check: the probe a reconstruction starts from, read or made as lsqml does for the patterns (of measured data: ' +
    'after the crop and binning) and shown on the probe line (a probe file that does not fit them refused in lsqml\'s words, for an NPZ as for CXI or .ptyd; refused for a .ptyr or ' +
    'a ptychodus product checked alone, which holds no patterns): ')
    .option('--init-object <file:PATH>', 'with --check: the object file a reconstruction starts from (as lsqml --init-object file:PATH), read as lsqml ' +
      'reads it for the data\'s object frame and shown on an object line (one that does not fit refused in lsqml\'s words; refused for a .ptyr or a ptychodus product checked alone, ' +
      'which holds no scan); ones and guess read nothing')
    .option('--config <file>', 'with --check: a settings file (as lsqml --config takes) whose reconstruction.crop, reconstruction.binSize, reconstruction.orientation, ' +
      'reconstruction.cxiEntry and reconstruction.radiation the files are read with, whose reconstruction.probeModel or reconstruction.initProbe file:PATH gives the probe ' +
      'and whose reconstruction.initObject file:PATH the object as lsqml takes them; flags override it', oneConfigFile)
    .action(action('inspect', async (files: string[], flags: InspectFlags) => {
      if (flags.config !== undefined && !flags.check) {
        throw new UsageError(`--config ${flags.config}: expected with --check (its settings say how a reconstruction reads the files); found without --check`);
      }
      // the values as the settings schema parses them (the same words as lsqml's refusal of a bad value), over the settings file's
      const given = { ...frameSettings(flags), ...(flags.radiation !== undefined ? { radiation: flags.radiation as 'photon' | 'electron' } : {}),
        ...(flags.initProbe !== undefined ? { initProbe: flags.initProbe } : {}), ...(flags.probeModel !== undefined ? { probeModel: flags.probeModel } : {}),
        ...(flags.initObject !== undefined ? { initObject: flags.initObject } : {}) };
      const parsed = settingsFrom(flags.config, { reconstruction: given }).reconstruction;
      const radiation = parsed.radiation;
      if (radiation !== null && !flags.check) {
        throw new UsageError(`--radiation ${radiation}: expected with --check (it says what the energy of a file read as a reconstruction reads it is); found without --check`);
      }
      const frames = parsed.crop != null || parsed.binSize !== undefined || parsed.orientation !== undefined || parsed.cxiEntry != null
        ? { crop: parsed.crop, binSize: parsed.binSize, orientation: parsed.orientation, cxiEntry: parsed.cxiEntry } : undefined;
      // --cxi-entry without --check names the entry whose beam is estimated, as a reconstruction reads it
      if (frames && !flags.check && (parsed.crop != null || parsed.binSize !== undefined || parsed.orientation !== undefined)) {
        throw new UsageError(`${[flags.cropCenter !== undefined ? '--crop-center, --crop-size' : '', flags.binSize !== undefined ? '--bin-size' : '',
          flags.orientation !== undefined ? '--orientation' : ''].filter(Boolean).join(', ')}: ` +
          'expected with --check (they say how a reconstruction makes the patterns of the detector frames); found without --check');
      }
      const probeGiven = [flags.initProbe !== undefined ? `--init-probe ${flags.initProbe}` : '', flags.probeModel !== undefined ? `--probe-model ${flags.probeModel}` : '',
        flags.initObject !== undefined ? `--init-object ${flags.initObject}` : ''].filter(Boolean);
      if (probeGiven.length > 0 && !flags.check) {
        throw new UsageError(`${probeGiven.join(', ')}: expected with --check (they say which probe a reconstruction starts from); found without --check`);
      }
      // reconstruction.probeModel or initProbe file:PATH: the probe lsqml would start from, made or read as lsqml does
      const { BOTH_PROBES_MESSAGE, modelProbeFor, probeFromFile } = await import('../../study/reconstruct/input.js');
      if (parsed.probeModel !== null && parsed.initProbe !== 'guess') throw new UsageError(BOTH_PROBES_MESSAGE);
      let initialProbe: InitialProbeOf | undefined;
      if (parsed.probeModel !== null) {
        const { parseProbeModelSpec } = await import('../../physics/probe.js');
        const spec = parseProbeModelSpec(parsed.probeModel);
        initialProbe = async (m) => {
          const { probe, notes } = modelProbeFor(m.file, spec, [m.H, m.W], { ...(m.wavelengthM ? { wavelengthM: m.wavelengthM } : {}), ...(m.pixelM ? { pixelM: m.pixelM } : {}) }, m.diffraction, m.n);
          return { probe, setting: 'reconstruction.probeModel', notes };
        };
      } else if (parsed.initProbe.startsWith('file:')) {
        const spec = parsed.initProbe;
        initialProbe = async (m) => ({ probe: await probeFromFile(spec, [m.H, m.W], m.pixelM ? { pixelM: m.pixelM } : {}, m.radiation, parsed.cxiEntry), setting: 'reconstruction.initProbe', notes: [] });
      }
      // reconstruction.initObject file:PATH: the object lsqml would start from, read as lsqml reads it for the data's object frame
      let initialObject: InitialObjectOf | undefined;
      if (parsed.initObject.startsWith('file:')) {
        const path = parsed.initObject.slice(5);
        const { readObjectFile } = await import('../../data/object-file.js');
        initialObject = async (f) => {
          const o = await readObjectFile(path, f.shape[0], f.shape[1], { ...(f.pixelM ? { pixelM: f.pixelM } : {}), ...(f.originM ? { originM: f.originM } : {}), cxiEntry: parsed.cxiEntry });
          return { line: `object: file:${path}: ${o.key}${o.placed ? `, [${o.placed.shape.join(', ')}] placed in the object frame by ${o.key.startsWith('content/obj/') ? 'its origin (_origin)' : 'its centre'}` : `, [${f.shape.join(', ')}]`} (reconstruction.initObject)`,
            warnings: o.warning ? [o.warning] : [] };
        };
      }
      // what the probe and object lines are of: refused for a .ptyr or a ptychodus product checked alone (no patterns to read them for)
      const startsFrom = (setting: StartingPoint['setting'], value: string): StartingPoint => ({ setting, flag: FLAGS[setting]!, value });
      const startingPoint: StartingPoint[] = [
        ...(parsed.initProbe.startsWith('file:') ? [startsFrom('reconstruction.initProbe', parsed.initProbe)] : []),
        ...(parsed.probeModel !== null ? [startsFrom('reconstruction.probeModel', parsed.probeModel)] : []),
        ...(parsed.initObject.startsWith('file:') ? [startsFrom('reconstruction.initObject', parsed.initObject)] : []),
      ];
      const { summarizeNpz } = await import('../../data/inspect.js');
      const { isPtychodusNpzFile } = await import('../../data/ptychodus-npz.js');
      const { cxiEntryMessage } = await import('../../data/cxi.js');
      const { checkReconstructionFile } = await import('../../data/inspect-reconstruction-file.js');
      const { isHdf5File, summarizeHdf5 } = await import('../../data/inspect-hdf5.js');
      const { beamLines } = await import('../../data/hdf5/beam.js');
      // the reconstruction the files are checked for, as lsqml runs it with the same settings: its size and precision (the
      // memory `--check` states is that of its modes, batch size and nImages)
      const job = { modes: parsed.modes, batchSize: parsed.batchSize, ...(parsed.nImages !== null ? { nImages: parsed.nImages } : {}) };
      let code = 0;
      const out: Record<string, unknown>[] = [];
      const texts: string[] = [];
      for (const file of files) {
        try {
          const instead = notInspected(file);
          if (instead !== null) throw new InputError(instead);
          if (isHdf5File(file)) {
            const s = await summarizeHdf5(file, { check: flags.check, radiation, ...(frames ? { frames } : {}), ...(initialProbe ? { initialProbe } : {}), ...(initialObject ? { initialObject } : {}), job, precision: parsed.precision, fftBackend: parsed.fftBackend, startingPoint });
            if (s.check && !s.check.valid) code = 2;
            if (flags.json) out.push(hdf5Json(s));
            else texts.push(hdf5Text(s, beamLines));
            continue;
          }
          // ptychodus's NPZ product holds no patterns: checked as its HDF5 product is, its probe and object as --init-probe and --init-object read them
          const product = isPtychodusNpzFile(file);
          // without --check, --cxi-entry is refused as for every file that holds no CXI entry (with it, by the check below)
          if (product && !flags.check && frames?.cxiEntry != null) throw new InputError(cxiEntryMessage(file, frames.cxiEntry, 'a ptychodus product (NPZ)'));
          const s = await summarizeNpz(file, { check: flags.check && !product, radiation, ...(frames && !product ? { frames } : {}), ...(initialProbe ? { initialProbe } : {}), ...(initialObject ? { initialObject } : {}), job, precision: parsed.precision, fftBackend: parsed.fftBackend });
          if (product) {
            s.kind = 'ptychodus product (NPZ)';
            if (flags.check) s.check = { ...await checkReconstructionFile(file, s.kind, { radiation, ...(frames ? { frames } : {}), startingPoint }), warnings: [] };
          }
          if (s.check && !s.check.valid) code = 2;
          if (flags.json) out.push(toJson(s));
          else texts.push(toText(s));
        } catch (err) {
          if (!(err instanceof Error) || !('exitCode' in err)) throw err;
          // a bad file: one line, the others are still reported
          process.stderr.write(errorLines('inspect', err.message));
          code = 2;
        }
      }
      process.stdout.write(flags.json ? JSON.stringify(out, null, 2) + '\n' : texts.length ? texts.join('\n\n') + '\n' : '');
      return code;
    }, FLAGS));
}
