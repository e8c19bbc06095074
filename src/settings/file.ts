/**
 * Settings files (`--config FILE`): JSON, or YAML (the `yaml` package: YAML 1.2, duplicate keys and alias
 * bombs refused), holding any part of the settings schema — the same groups and names as schema.ts and as
 * a hub's settings.json. The file is checked on its own, before any flag is applied: every wrong field is
 * one line `FILE: path: expected …, found …`, an unknown key gets the closest known name, exit code 2.
 * What it returns is the file's values as written (not defaulted): the caller puts flags over them.
 */
import { statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { yaml } from './yaml.js';
import { InputError, UsageError } from '../errors.js';
import { doseFolderClash, settingsIssues, shown, SHOWN_VALUE_CHARS, type SettingsIssue } from './parse.js';
import { printable, shownJson } from '../text.js';
import { brokenLink, entryKind } from '../files/regular.js';
import { readBytesAtMost } from '../files/bounded-read.js';
import type { StudySettingsInput } from './schema.js';

/** Largest settings file read (a settings file is a few kilobytes). */
export const MAX_SETTINGS_FILE_BYTES = 1 << 20;

/** A settings file with wrong fields: one line per field, each naming the file. */
export class SettingsFileError extends InputError {
  constructor(readonly file: string, readonly issues: readonly SettingsIssue[]) {
    super(issues.map((i) => `${file}: ${fileIssueLine(i)}`).join('\n'));
    this.name = 'SettingsFileError';
  }
}

/** Text that a reader would take for a number, a boolean or null when shown bare. */
const LOOKS_LIKE_VALUE = /^\s*(?:[-+]?(?:\d|\.\d|Infinity|NaN)[\w.+-]*|true|false|null)\s*$/i;

/**
 * `path: expected …, found …` (no backticks: a file names settings by their path, not by flags). Text
 * that reads as a number, true, false or null is quoted: `epochs: "5"` is found "5" (text), not 5.
 */
export function fileIssueLine(i: SettingsIssue): string {
  // YAML 1.1's booleans (yes, no, on, off), which many YAML files still hold, are text in YAML 1.2: said so
  const yaml11 = i.expected === 'true or false' && typeof i.found === 'string' && /^(?:y|yes|n|no|on|off)$/i.test(i.found);
  // `reconstruction:` with every line under it commented out: YAML's null, not an empty group
  const emptyGroup = i.found === null && i.expected.startsWith('a group of settings');
  const found = emptyGroup ? 'null (nothing under the name: write {} for an empty group, or leave the name out)'
    : yaml11 ? `${shownJson(i.found, SHOWN_VALUE_CHARS)} (text: YAML 1.2 reads yes, no, on and off as text; write true or false)`
    : typeof i.found === 'string' && LOOKS_LIKE_VALUE.test(i.found) ? `${shownJson(i.found, SHOWN_VALUE_CHARS)} (text)` : shown(i.found);
  if (i.missing) return `${printable(i.setting)}: expected ${i.expected}, found it missing`;
  return `${printable(i.setting)}: ${i.found === undefined ? i.expected : `expected ${i.expected}, found ${found}`}`;
}

/**
 * Deepest nesting a settings file may have. The settings nest 4 levels (`execution.slurm.sbatchArgs.0`);
 * 64 leaves room for anything a file may hold and keeps every recursive consumer — the schema's checks,
 * the YAML composer (its stack overflowed near 800 levels), the error messages — far from the stack's
 * limit: `{"simulation":{"doses":[[[…` 200 000 deep (under the size limit) overflowed it.
 */
export const MAX_SETTINGS_DEPTH = 64;

/** Line and column (1-based) of character `at` of `text`. */
function lineColumn(text: string, at: number): string {
  let line = 1, start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) { line++; start = i + 1; }
  return `line ${line}, column ${at - start + 1}`;
}

/** `a.b.0.c`: a setting's path as messages name it (printable: keys come from the file). */
function pathText(path: readonly (string | number)[]): string {
  return printable(path.join('.'), 120);
}

function tooDeep(file: string, path: readonly (string | number)[], where: string): InputError {
  const at = path.length === 0 ? '' : `${pathText(path.slice(0, 3))}${path.length > 3 ? '.…' : ''}: `;
  return new InputError(`${file}: ${at}expected settings nested at most ` +
    `${MAX_SETTINGS_DEPTH} levels deep (MAX_SETTINGS_DEPTH); found deeper nesting (${where})`);
}

/**
 * Checks JSON text that JSON.parse accepted for what JSON.parse lets through: a key given twice in one
 * object (JSON.parse keeps the last one silently — `{"epochs": 5, "epochs": 80}` ran 80 epochs) and
 * nesting deeper than MAX_SETTINGS_DEPTH. Both are refused in one line naming the file, the setting's
 * path and where in the file.
 *
 * A scanner, not a package: the `yaml` package (a dependency already) refuses duplicate keys when it
 * parses JSON as YAML 1.2, but it also accepts what JSON does not (comments, trailing commas, raw tabs in
 * strings), names no key, and its composer recurses. The text has passed JSON.parse, so this only has to
 * follow strings (their escapes skipped, keys decoded by JSON.parse, so "a" and "\u0061" are one key),
 * brackets, colons and commas. It does not recurse.
 */
export function checkJsonStructure(text: string, file: string): void {
  interface Frame { object: boolean; path: (string | number)[]; keys: Map<string, number>; expectKey: boolean; key: string; index: number }
  const stack: Frame[] = [];
  const childPath = (): (string | number)[] => {
    const top = stack[stack.length - 1];
    return top === undefined ? [] : [...top.path, top.object ? top.key : top.index];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      const path = childPath();
      if (stack.length >= MAX_SETTINGS_DEPTH) throw tooDeep(file, path, lineColumn(text, i));
      stack.push({ object: c === '{', path, keys: new Map(), expectKey: c === '{', key: '', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1]!;
      if (top.object) top.expectKey = true; else top.index++;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const first = top.keys.get(key);
        if (first !== undefined) {
          throw new InputError(`${file}: ${pathText([...top.path, key])}: expected each setting once; found it twice ` +
            `(${lineColumn(text, first)} and ${lineColumn(text, i)})`);
        }
        top.keys.set(key, i);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
}

/**
 * Refuses a key given twice in one YAML mapping, in the words of `checkJsonStructure`: the setting's path and
 * both places. Walks the parsed nodes without recursing (an alias is not followed: its target is walked where
 * it stands); deeper than MAX_SETTINGS_DEPTH is left to `tooDeepPath`.
 */
function checkYamlKeys(root: unknown, text: string, file: string): void {
  const { isMap, isScalar, isSeq } = yaml();
  const todo: { node: unknown; path: (string | number)[] }[] = [{ node: root, path: [] }];
  while (todo.length > 0) {
    const { node, path } = todo.pop()!;
    if (path.length > MAX_SETTINGS_DEPTH) continue;
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const keyNode: unknown = pair.key;
        // a list or a group as a key (`? [a]`) is no setting's name (JavaScript would make text of it, with a warning),
        // nor is an empty or null one (`? ` alone, `null:`), which JavaScript makes the name "" (shown as `: no such setting`)
        if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
          const at = (keyNode as { range?: [number, number, number] } | null)?.range?.[0];
          const what = isSeq(keyNode) ? 'a list' : isMap(keyNode) ? 'a group' : keyNode === null || isScalar(keyNode) ? 'an empty (null) key' : 'a value that is no name';
          throw new InputError(`${file}: ${path.length === 0 ? '' : `${pathText(path)}: `}expected setting names as keys; ` +
            `found ${what}${at === undefined ? '' : ` (${lineColumn(text, at)})`}`);
        }
        const key = String(keyNode.value);
        const at = keyNode.range?.[0] ?? 0;
        const first = seen.get(key);
        if (first !== undefined) {
          throw new InputError(`${file}: ${pathText([...path, key])}: expected each setting once; found it twice ` +
            `(${lineColumn(text, first)} and ${lineColumn(text, at)})`);
        }
        seen.set(key, at);
        todo.push({ node: pair.value, path: [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => todo.push({ node: item, path: [...path, i] }));
    }
  }
}

/** Where a parsed value nests deeper than MAX_SETTINGS_DEPTH (its path), or null; iterative. */
function tooDeepPath(value: unknown): (string | number)[] | null {
  const todo: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (todo.length > 0) {
    const { v, path } = todo.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= MAX_SETTINGS_DEPTH) return path;
    for (const [k, x] of Object.entries(v)) todo.push({ v: x, path: [...path, Array.isArray(v) ? Number(k) : k] });
  }
  return null;
}

/**
 * JSON.parse's complaint (`Expected property name or '}' in JSON at position 4`) as a settings file's refusal says it:
 * the line and column instead of the offset, and what people write into JSON that it does not take — a comment, a
 * comma before a closing bracket, text in single quotes — named.
 */
function jsonComplaint(text: string, message: string): string {
  const m = / (?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(message);
  // NaN and Infinity (Python's json.dump writes them): JSON.parse names no place for them; the first is found here
  const nonNumber = /[:[,]\s*(-?Infinity|NaN)\b/.exec(text);
  if (m === null && /^Unexpected token '[NI]'/.test(message) && nonNumber !== null) {
    const at = nonNumber.index + nonNumber[0].length - nonNumber[1]!.length;
    return `(${lineColumn(text, at)}): ${nonNumber[1]} is not a JSON number (a setting's number is finite; null where a setting takes none)`;
  }
  if (m === null) return `(${printable(message)})`;
  // -Infinity: JSON.parse names the place after the minus sign
  const at = Number(m[1]) - (text[Number(m[1]) - 1] === '-' && /^(?:Infinity|NaN)\b/.test(text.slice(Number(m[1]))) ? 1 : 0);
  const rest = text.slice(at);
  const why = /^-?(?:Infinity|NaN)\b/.test(rest) ? `${/^-?\w+/.exec(rest)![0]} is not a JSON number (a setting's number is finite; null where a setting takes none)`
    : /^(?:\/\/|\/\*|#)/.test(rest) ? 'a comment, which JSON does not allow (a YAML file, .yaml, may hold # comments and reads JSON as it is)'
    : /^[}\]]/.test(rest) && text.slice(0, at).trimEnd().endsWith(',') ? 'a comma before a closing bracket, which JSON does not allow'
      : rest.startsWith("'") ? 'text in single quotes: JSON takes double quotes' : '';
  return `(${lineColumn(text, at)}): ${printable(message.slice(0, m.index))}${why === '' ? '' : `; ${why}`}`;
}

/** A line `[group]` and a line `key = value`: TOML, which people use for settings too. */
function looksLikeToml(text: string): boolean {
  return /^\s*\[[A-Za-z_][\w.-]*\]\s*(?:#.*)?$/m.test(text) && /^\s*[A-Za-z_][\w.-]*\s*=/m.test(text);
}

const NOT_TOML = 'settings files are JSON (a .json file) or YAML (any other name); TOML is not read';

/** The values a settings file holds, as written (JSON or YAML by content; .json files must be JSON). */
export function parseSettingsText(text: string, file: string): unknown {
  if (typeof text !== 'string') throw new UsageError(`parseSettingsText: \`text\` ${text === null ? 'null' : typeof text}: expected the settings file's text (a string)`);
  if (typeof file !== 'string' || file === '') throw new UsageError(`parseSettingsText: \`file\` ${file === '' ? '""' : file === null ? 'null' : typeof file}: expected the file's name (a string; .json is read as JSON, anything else as YAML)`);
  if (/\.toml$/i.test(file)) throw new InputError(`${file}: expected JSON or YAML; found a .toml file (${NOT_TOML})`);
  const json = /\.json$/i.test(file);
  if (json) {
    // A UTF-8 byte order mark (Windows editors write one) is not part of the JSON; YAML skips it itself.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // YAML written into a .json file (the template is YAML): say so, rather than leave a JSON parser's complaint alone
      let readsAsYaml = false;
      try {
        const doc = yaml().parseDocument(text);
        readsAsYaml = doc.errors.length === 0 && yaml().isMap(doc.contents) && doc.contents.flow !== true; // block style: not JSON gone wrong
      } catch { /* not YAML either */ }
      throw new InputError(`${file}: not valid JSON ${jsonComplaint(text, (err as Error).message)}` +
        (readsAsYaml ? '; it reads as YAML: a .json file must hold JSON, so name it .yaml (or .yml)' : ''));
    }
    checkJsonStructure(text, file);
    return value;
  }
  // YAML skips a byte order mark itself; without it, the offsets of the nodes are the text's own
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // keys given twice are found below, to be named like JSON's (the parser's own message names no key)
  // resolveKnownTags off: YAML 1.1's !!binary, !!set, !!omap, !!timestamp would become a Buffer, a Set, a Map or a
  // Date, which no setting is (a !!binary value was listed as a hundred "no such setting" lines, one per Buffer
  // method); every tag the core schema does not resolve is refused below, with where it is
  const doc = yaml().parseDocument(text, { uniqueKeys: false, prettyErrors: true, resolveKnownTags: false });
  const bad = doc.errors[0];
  if (bad !== undefined) {
    const at = bad.linePos?.[0];
    const where = at ? `line ${at.line}, column ${at.col}` : '';
    // the composer recurses: nesting deep enough overflows its stack, which it reports as an error
    if (/Maximum call stack size exceeded/.test(bad.message)) throw tooDeep(file, [], where || 'too deep for the YAML parser');
    // (the package's own words for a second document name its API: parseAllDocuments)
    const what = bad.code === 'MULTIPLE_DOCS' ? 'expected one document; found a second (a line `---` starts one)'
      : bad.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`${file}: not valid YAML${where ? ` (${where})` : ''}: ${printable(what)}${looksLikeToml(text) ? `; it reads as TOML: ${NOT_TOML}` : ''}`);
  }
  const tag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (tag !== undefined) {
    const at = tag.linePos?.[0];
    const name = /^Unresolved tag: (\S+)/.exec(tag.message)?.[1]?.replace(/^tag:yaml\.org,2002:/, '!!') ?? 'a tag';
    throw new InputError(`${file}: not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}: ` +
      `expected plain values (numbers, text, true/false, null, lists, groups); found the tag ${printable(name, 60)}`);
  }
  checkYamlKeys(doc.contents, text, file);
  let value: unknown;
  try {
    // a document of comments only has no contents: every default, as `{}`; a document that says `null` (or `~`) is a
    // value, refused as `null` is in a .json file (it ran every default, as an empty file did)
    const c = doc.contents;
    const nothing = c === null || (yaml().isScalar(c) && c.value === null && c.range[0] === c.range[1]); // `---` with nothing after it
    value = nothing ? {} : doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${printable((err as Error).message)}`);
  }
  const deep = tooDeepPath(value);
  if (deep !== null) throw tooDeep(file, deep, 'in the YAML document');
  return value;
}

/**
 * A path given in a settings file, resolved against the file's folder (a relative path in a file means
 * "next to this file", wherever the command runs): relative to the working directory when it lies
 * under it (so a file in the working directory gives the path as written), absolute otherwise.
 * Absolute paths are kept.
 */
function pathFromFile(p: string, dir: string): string {
  if (isAbsolute(p)) return p;
  const abs = resolve(dir, p);
  const rel = relative(process.cwd(), abs);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel : abs;
}

/**
 * The settings that name files, as a settings file gives them: `simulation.baseNpz` and the PATH of
 * `reconstruction.initProbe: file:PATH` / `reconstruction.initObject: file:PATH` (a flag's path is the working
 * directory's, as usual).
 */
export function fileSettings(values: StudySettingsInput): { setting: string; path: string }[] {
  const out: { setting: string; path: string }[] = [];
  const base = values.simulation?.baseNpz;
  if (typeof base === 'string') out.push({ setting: 'simulation.baseNpz', path: base });
  const probe = values.reconstruction?.initProbe;
  if (typeof probe === 'string' && probe.startsWith('file:')) out.push({ setting: 'reconstruction.initProbe', path: probe.slice(5) });
  const object = values.reconstruction?.initObject;
  if (typeof object === 'string' && object.startsWith('file:')) out.push({ setting: 'reconstruction.initObject', path: object.slice(5) });
  return out;
}

/** Settings (as given or parsed) whose file-naming values `mapFilePaths` can rewrite. */
interface NamesFiles {
  simulation?: { baseNpz?: unknown } | undefined;
  reconstruction?: { initProbe?: unknown; initObject?: unknown } | undefined;
}

/** `values` with each file path it names (`fileSettings`) replaced by `f(path)`; the rest as it is. */
function mapFilePaths<T extends NamesFiles>(values: T, f: (p: string) => string): T {
  const out = { ...values };
  const base = values.simulation?.baseNpz;
  if (typeof base === 'string') out.simulation = { ...values.simulation, baseNpz: f(base) };
  const probe = values.reconstruction?.initProbe;
  if (typeof probe === 'string' && probe.startsWith('file:')) {
    out.reconstruction = { ...values.reconstruction, initProbe: `file:${f(probe.slice(5))}` };
  }
  const object = values.reconstruction?.initObject;
  if (typeof object === 'string' && object.startsWith('file:')) {
    out.reconstruction = { ...values.reconstruction, ...out.reconstruction, initObject: `file:${f(object.slice(5))}` };
  }
  return out;
}

/** The file a finished reconstruction's folder (`lsqml --out`, a Phase F job folder) holds its result in. */
export const RECONSTRUCTION_FILE = 'reconstruction.npz';

/**
 * `values` with a start file (`initProbe` / `initObject: file:DIR`) that names a finished reconstruction's folder
 * — a directory holding reconstruction.npz — naming that file instead, as `export --input DIR` takes it; so the
 * file is what is read, fingerprinted and recorded. Any other path stays as given (a directory without one is
 * refused where the file is read).
 */
export function withReconstructionFiles<T extends NamesFiles>(values: T): T {
  // a path that cannot be stat'ed (a loop of symbolic links) stays as given: it is refused where it is read
  const st = (p: string): Stats | undefined => { try { return statSync(p, { throwIfNoEntry: false }); } catch { return undefined; } };
  const start = (p: string): string => {
    if (!st(p)?.isDirectory()) return p;
    const f = join(p, RECONSTRUCTION_FILE);
    return st(f)?.isFile() ? f : p;
  };
  const out = { ...values };
  const probe = values.reconstruction?.initProbe;
  if (typeof probe === 'string' && probe.startsWith('file:')) out.reconstruction = { ...values.reconstruction, initProbe: `file:${start(probe.slice(5))}` };
  const object = values.reconstruction?.initObject;
  if (typeof object === 'string' && object.startsWith('file:')) {
    out.reconstruction = { ...values.reconstruction, ...out.reconstruction, initObject: `file:${start(object.slice(5))}` };
  }
  return out;
}

/** `values` with its relative file paths resolved against `dir` (`pathFromFile`). */
function withPathsFrom(values: StudySettingsInput, dir: string): StudySettingsInput {
  return mapFilePaths(values, (p) => pathFromFile(p, dir));
}

/**
 * `values` with every file path it names made absolute (against the working directory): what a hub's
 * settings.json records, so that it names the same files wherever a later command runs, and what two
 * settings are compared by (`study/base.npz` and `/home/me/study/base.npz` are one file).
 */
export function withAbsolutePaths<T extends NamesFiles>(values: T): T {
  return mapFilePaths(values, (p) => resolve(p));
}

/**
 * The bytes of `file`, refused past MAX_SETTINGS_FILE_BYTES however many its size (`statSize`) said: a file that
 * grew since, or one whose size says 0 and that reads on (/proc/self/…), is not read whole into memory.
 */
export function readAtMost(file: string, statSize?: number): Buffer {
  const bytes = readBytesAtMost(file, MAX_SETTINGS_FILE_BYTES);
  if (bytes === null) {
    throw new InputError(`${file}: more than ${MAX_SETTINGS_FILE_BYTES} bytes${statSize === undefined ? '' : ` (its size said ${statSize})`}; ` +
      `a settings file has at most ${MAX_SETTINGS_FILE_BYTES}`);
  }
  return bytes;
}

/**
 * The settings file a folder given as `--config` holds, said as a hint: a hub's settings.json, the settings a report of a
 * finished reconstruction wrote (report/img/lsqml-settings.json); '' for any other folder.
 */
function settingsFileIn(dir: string): string {
  const isFile = (p: string): boolean => { try { return statSync(p).isFile(); } catch { return false; } };
  for (const [rel, what] of [['settings.json', 'a hub\'s settings'], [join('report', 'img', 'lsqml-settings.json'), 'the settings of its reconstruction']] as const) {
    if (isFile(join(dir, rel))) return `; ${what}: ${join(dir, rel)}`;
  }
  return isFile(join(dir, RECONSTRUCTION_FILE)) ? `; a finished reconstruction's settings: \`ptychostudy report --out ${dir}\` writes them as ${join(dir, 'report', 'img', 'lsqml-settings.json')}` : '';
}

/**
 * Reads and checks a settings file; returns its values as written (throws `SettingsFileError` listing
 * every wrong field) — but for the paths it names (`fileSettings`), which are resolved against the
 * file's folder. A file that is not there or cannot be read is a UsageError naming the file.
 */
export function readSettingsFile(file: string): StudySettingsInput {
  return readSettingsAs(file, file);
}

/**
 * readSettingsFile for a command's settings file option: a file that is not there or cannot be read is named as the
 * option `config` (`--config FILE: no such file`; `config --check` shows its own flag), its wrong fields as the file's.
 */
export function readConfigFile(file: string): StudySettingsInput {
  return readSettingsAs(file, `\`config\` ${file}`);
}

/** readSettingsFile, its file named `named` when it cannot be opened or read. */
function readSettingsAs(file: string, named: string): StudySettingsInput {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`${named}: not a regular file (${entryKind(st)})${st.isDirectory() ? settingsFileIn(file) : ''}`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // a link to nothing or a loop of links is named as every reader names it, not as a file that is not there
    throw new UsageError(`${named}: ${brokenLink(file, err) ?? (code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(err)})`)}`);
  }
  if (size > MAX_SETTINGS_FILE_BYTES) throw new InputError(`${file}: ${size} bytes; a settings file has at most ${MAX_SETTINGS_FILE_BYTES}`);
  let text: string;
  try {
    // not replaced by U+FFFD: a binary file (or one saved as Latin-1) is said to be one, not read as a value of 'settings'
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(readAtMost(file, size));
  } catch (err) {
    // a system call's error (EACCES, EISDIR, EIO): said like stat's; the decoder's (not UTF-8) has no system call
    const { code, syscall } = err as NodeJS.ErrnoException;
    if (syscall !== undefined) throw new UsageError(`${named}: cannot be read (${code ?? syscall})`);
    if (!(err instanceof TypeError)) throw err;
    throw new InputError(`${file}: expected UTF-8 text (JSON or YAML); found bytes that are not UTF-8`);
  }
  const json = /\.json$/i.test(file);
  // nothing at all (a copy cut short, a file made and never written) is not "every setting at its default", which
  // YAML would make of it; a file that means that says so: `{}`, or only comments
  if (/^\ufeff?\s*$/.test(text)) {
    throw new InputError(`${file}: expected settings (${json ? 'JSON' : 'YAML'}); found ${text.length === 0 ? 'an empty file' : 'only blank space'} ` +
      `(\`{}\`${json ? '' : ' or a comment'} keeps every setting at its default)`);
  }
  const value = parseSettingsText(text, file);
  const issues = settingsIssues(value);
  // doses that generate and reconstruct refuse (each has its folder dose_<integer part>): refused with the file's name,
  // not later under a flag's (`--dose: dose 1000 is given twice`, of a file's doses), and by `config --check`
  // (looked at only in settings that are whole: a file holding `null` is one issue, not a TypeError here)
  const doses = issues.length === 0 ? (value as StudySettingsInput).simulation?.doses : undefined;
  const clash = doses !== undefined ? doseFolderClash(doses) : null;
  if (clash !== null) issues.push({ setting: 'simulation.doses', found: doses, expected: `each dose in a folder of its own (${clash})` });
  // `~/data/base.npz`: the shell's home folder, which a settings file does not expand (it named a folder `~` beside the file)
  if (issues.length === 0) {
    for (const { setting, path } of fileSettings(value as StudySettingsInput)) {
      if (/^~(?:[/\\]|$)/.test(path)) {
        issues.push({ setting, found: path, expected: 'a path without ~ (a shell puts your home folder for it, a settings file does not): ' +
          'the absolute path, or one relative to the folder of this file' });
      }
    }
  }
  if (issues.length > 0) throw new SettingsFileError(file, issues);
  return withPathsFrom(value as StudySettingsInput, dirname(file));
}
