/**
 * Reading flag values: text to numbers (a flag that is not a number at all is refused here, naming the
 * flag); every bound is the settings schema's (src/settings/schema.ts), checked once when the command
 * parses its settings.
 */
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';

/** A number, or undefined when the flag was not given. */
export function numberFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const x = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(x)) throw new UsageError(`${flag} ${text}: expected a number`);
  return x;
}

/** An integer, or undefined when the flag was not given. */
export function integerFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // `--epochs ten` and `--epochs 2.5` alike: an integer is what the flag takes (its bounds are the setting's)
  const x = text.trim() === '' ? NaN : Number(text);
  if (!Number.isInteger(x)) throw new UsageError(`${flag} ${text}: expected an integer`);
  return x;
}

/** One dose given on the command line ("1e4", "10000"). */
export function parseDose(text: string): number {
  const t = text.trim();
  const v = t === '' ? NaN : Number(t);
  if (!Number.isFinite(v) || !(v > 0)) {
    throw new UsageError(`--dose: expected a positive number of photons per pattern, found '${text}'`);
  }
  return v;
}

/** Why a comma-separated list has an empty item (`1e3,,1e4`, `1e3,`, an empty value), or null when it has none. */
function emptyItem(text: string): string | null {
  if (text.trim() === '') return 'an empty value';
  return text.split(',').some((v) => v.trim() === '') ? 'an empty item in the comma-separated list (two commas in a row, or one at an end)' : null;
}

/**
 * The items of one comma-separated flag value (`--doses 1e3,1e4`). An empty item is refused, naming the flag and the
 * list: dropping it would run with a list other than the one typed.
 */
export function listItems(flag: string, text: string): string[] {
  const why = emptyItem(text);
  if (why !== null) throw new UsageError(`${flag} ${text}: ${why}`);
  return text.split(',').map((v) => v.trim());
}

/**
 * Collects a repeatable flag's values; each may also be a comma-separated list (`--dose 1e3,1e4`). An empty item is
 * refused as commander refuses a value (exit 2, one line naming the flag and the value), not dropped.
 */
export function collect(value: string, previous: string[] = []): string[] {
  const why = emptyItem(value);
  if (why !== null) throw new InvalidArgumentError(why);
  return [...previous, ...value.split(',').map((v) => v.trim())];
}

/** Collects every value of a flag that takes one value, so that `oneFlag` can refuse a second one (the last must not silently win). */
export function every(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The one value of a flag gathered with `every`, or undefined when it was not given. Different values (`--view dense
 * --view sparse`) are a usage error: the filter selects one, and keeping only the last would drop the others unseen.
 * With `allowed`, a value outside it is one too.
 */
export function oneFlag(flag: string, values: readonly string[] | undefined, what: string, allowed?: readonly string[]): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const distinct = [...new Set(values)];
  if (distinct.length > 1) throw new UsageError(`${flag}: one ${what} at a time, found ${distinct.join(', ')} (leave ${flag} out to select every ${what})`);
  const value = distinct[0]!;
  if (allowed !== undefined && !allowed.includes(value)) throw new UsageError(`${flag} ${value}: expected one of ${allowed.join(', ')}`);
  return value;
}

/** Doses of a repeatable `--dose`, or undefined when none was given. */
export function doseFlags(values: readonly string[] | undefined): number[] | undefined {
  return values === undefined || values.length === 0 ? undefined : values.map(parseDose);
}

/** The value of a required flag (a usage error naming it when it is absent or empty). */
export function requiredFlag(flag: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new UsageError(`${flag} is required`);
  return v;
}
