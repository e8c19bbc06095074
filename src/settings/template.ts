/**
 * A commented settings file: every setting at its value (the defaults, or a preset's), each preceded by
 * its documentation, unit and bounds as YAML comments — all generated from the schema's `.meta` and
 * checks (through its JSON Schema), so the file never disagrees with schema.ts. Reading it back with
 * `readSettingsFile` gives exactly the settings it was written from.
 */
import { z } from 'zod';
import type { Document, Node as YamlNode } from 'yaml';
import { yaml } from './yaml.js';
import { parseStudySettings } from './parse.js';
import { PRESET_NAMES, StudySettingsSchema, type PresetName, type StudySettings } from './schema.js';

interface JsonNode {
  type?: string | string[];
  description?: string;
  unit?: string;
  enum?: unknown[];
  anyOf?: JsonNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  items?: JsonNode | false;
  prefixItems?: JsonNode[];
  properties?: Record<string, JsonNode>;
  additionalProperties?: JsonNode | boolean;
}

const fmt = (x: number): string => String(x);

/** The bounds of a JSON Schema node in words ("integer ≥ 1", "one of gaussian, poisson", "or null"). */
function bounds(n: JsonNode): string {
  // a nullable with no other check is one node of two types (`type: ["string", "null"]`): one variant per type
  const variants = n.anyOf ?? (Array.isArray(n.type) ? n.type.map((type) => ({ ...n, type })) : [n]);
  const nullable = variants.some((v) => v.type === 'null');
  const parts = variants.filter((v) => v.type !== 'null').map((v): string => {
    if (v.enum) return `one of ${v.enum.join(', ')}`;
    if (v.type === 'boolean') return 'true or false';
    if (v.type === 'integer' || v.type === 'number') {
      const w: string[] = [v.type === 'integer' ? 'integer' : 'number'];
      if (v.minimum !== undefined) w.push(`≥ ${fmt(v.minimum)}`);
      if (v.exclusiveMinimum !== undefined) w.push(`> ${fmt(v.exclusiveMinimum)}`);
      if (v.maximum !== undefined && v.maximum < Number.MAX_SAFE_INTEGER) w.push(`≤ ${fmt(v.maximum)}`);
      if (v.exclusiveMaximum !== undefined) w.push(`< ${fmt(v.exclusiveMaximum)}`);
      if (v.multipleOf !== undefined) w.push(`a multiple of ${v.multipleOf}`);
      return w.slice(0, 2).join(' ') + (w.length > 2 ? `, ${w.slice(2).join(', ')}` : '');
    }
    if (v.type === 'array') {
      if (v.prefixItems) return `list of ${v.prefixItems.length}: ${v.prefixItems.map(bounds).join(', ')}`;
      const item = v.items && typeof v.items === 'object' ? bounds(v.items) : 'values';
      return `list${v.minItems ? ` of at least ${v.minItems}` : ''}: ${item}`;
    }
    if (v.type === 'string') return v.pattern ? `text matching ${v.pattern}` : 'text';
    if (v.type === 'object') {
      const a = v.additionalProperties;
      return a && typeof a === 'object' ? `name: ${bounds(a)} per entry` : 'group';
    }
    return String(v.type ?? 'value');
  });
  return parts.join(' | ') + (nullable ? ' | null' : '');
}

/** Wraps a comment at ~96 columns (YAML comments are never folded by the writer). */
function wrap(text: string, width = 96): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) { out.push(line); line = word; } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}

function comment(n: JsonNode | undefined): string | undefined {
  if (n === undefined) return undefined;
  const lines = n.description ? wrap(n.description) : [];
  const b = n.properties ? '' : bounds(n);
  const facts = [n.unit ? `unit: ${n.unit}` : '', b ? `allowed: ${b}` : ''].filter(Boolean).join('; ');
  if (facts) lines.push(...wrap(`(${facts})`));
  return lines.length > 0 ? lines.map((l) => ` ${l}`).join('\n') : undefined;
}

/** Puts each key's documentation above it, recursively; short lists on one line. */
function annotate(node: YamlNode | null | undefined, schema: JsonNode | undefined): void {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  if (isSeq(node)) { node.flow = true; return; }
  if (!isMap(node)) return;
  for (const pair of node.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const child = schema?.properties?.[name];
    const text = comment(child);
    if (text !== undefined) pair.key.commentBefore = text;
    const nested = child?.properties ? child : undefined;
    annotate(pair.value as YamlNode, nested);
    if (isMap(pair.value) && !nested) pair.value.flow = false;
  }
}

/** The size of a study's simulation, in words. */
function sizeOf(s: StudySettings): string {
  const { patchSize, objectShape, nPositions } = s.simulation;
  return `N = ${patchSize}, a ${objectShape[0]} × ${objectShape[1]} object, ${nPositions} positions per dose`;
}

/**
 * The defaults' file names no preset, so it keeps the schema's simulation size (the reference study's), while
 * `run` and `generate` given no preset make the quick study: said at its head, with the command for the other file.
 */
function noPresetNote(values: StudySettings): string[] {
  return [
    '',
    ' This file names no preset, so it keeps the schema\'s simulation size, the reference study\'s:',
    ` ${sizeOf(values)}.`,
    ' `run` and `generate` make the quick study when nothing names a preset:',
    ` ${sizeOf(parseStudySettings({ preset: 'quick' }))}. For a file of its values:`,
    ' `ptychostudy config --print-defaults --preset quick`.',
  ];
}

/**
 * reconstruction.crop, binSize and orientation (measured data's frames) have no value by default — absent, they are not
 * written into a study's files — so they are not among the values: listed commented out, with their documentation, above
 * the setting that follows them, so that the file names every setting (uncommented, a crop of the frames).
 */
function listUnset(doc: Document, schema: JsonNode): void {
  const { isMap, isPair, isScalar } = yaml();
  const rec = doc.get('reconstruction', true);
  const props = schema.properties?.reconstruction?.properties;
  if (!isMap(rec) || props === undefined) return;
  const after = rec.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'threads');
  if (after === undefined || !isScalar(after.key)) return;
  const unset = [
    comment(props.crop), ' crop: { center: [Y, X], size: N }   # e.g. the suggestion of `ptychostudy inspect FILE`',
    comment(props.binSize), ' binSize: 1',
    comment(props.orientation), ' orientation: []   # e.g. [flipHorizontal], [transpose], or PtyPy\'s orientation 0–7',
    comment(props.cxiEntry), ' cxiEntry: null   # e.g. entry_2'
  ].filter((l): l is string => l !== undefined);
  after.key.commentBefore = [...unset, after.key.commentBefore ?? ''].filter(Boolean).join('\n');
}

/** The commented YAML settings file of the defaults (`preset` null) or of a preset's values. */
export function settingsTemplate(preset: PresetName | null = null): string {
  const values = parseStudySettings({ preset });
  const schema = z.toJSONSchema(StudySettingsSchema, { target: 'draft-2020-12', io: 'input' }) as JsonNode;
  const doc = new (yaml().Document)(JSON.parse(JSON.stringify(values)));
  doc.commentBefore = [
    ` ptychostudy settings${preset === null ? ': every setting at its default' : `: the ${preset} preset's values`}.`,
    ' Use it with `ptychostudy <command> --config FILE`; flags given on the command line override it.',
    ' Keep only what you change: a setting left out keeps its default (or the preset\'s value).',
    ` Groups: simulation (generate), overlap (overlap views), reconstruction (LSQML, every engine option),`,
    ` execution (how jobs run). Presets: ${PRESET_NAMES.join(', ')}. Check a file with \`ptychostudy config --check FILE\`.`,
    ...(preset === null ? noPresetNote(values) : []),
  ].join('\n');
  annotate(doc.contents as YamlNode, schema);
  listUnset(doc, schema);
  return doc.toString({ lineWidth: 0 });
}
