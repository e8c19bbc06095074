/**
 * Settings files (`--config FILE`): JSON, or YAML (the `yaml` package: YAML 1.2, duplicate keys and alias
 * bombs refused), holding any part of the settings schema — the same groups and names as schema.ts and as
 * a hub's settings.json. The file is checked on its own, before any flag is applied: every wrong field is
 * one line `FILE: path: expected …, found …`, an unknown key gets the closest known name, exit code 2.
 * What it returns is the file's values as written (not defaulted): the caller puts flags over them.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { InputError, UsageError } from '../errors.js';
import { settingsIssues, shown, type SettingsIssue } from './parse.js';
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

/** `path: expected …, found …` (no backticks: a file names settings by their path, not by flags). */
export function fileIssueLine(i: SettingsIssue): string {
  return `${i.setting}: ${i.found === undefined ? i.expected : `expected ${i.expected}, found ${shown(i.found)}`}`;
}

/** The values a settings file holds, as written (JSON or YAML by content; .json files must be JSON). */
export function parseSettingsText(text: string, file: string): unknown {
  const json = /\.json$/i.test(file);
  if (json) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const bad = doc.errors[0];
  if (bad !== undefined) {
    const at = bad.linePos?.[0];
    const what = bad.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(`${file}: not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}: ${what}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new InputError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
}

/** Reads and checks a settings file; returns its values as written (throws `SettingsFileError` listing every wrong field). */
export function readSettingsFile(file: string): StudySettingsInput {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new UsageError(`\`config\` ${file}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`\`config\` ${file}: no such file`);
  }
  if (size > MAX_SETTINGS_FILE_BYTES) throw new InputError(`${file}: ${size} bytes; a settings file has at most ${MAX_SETTINGS_FILE_BYTES}`);
  const value = parseSettingsText(readFileSync(file, 'utf8'), file);
  const issues = settingsIssues(value);
  if (issues.length > 0) throw new SettingsFileError(file, issues);
  return value as StudySettingsInput;
}
