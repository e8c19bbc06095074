/**
 * Help text layout: the width every `--help` wraps to — the terminal's (stdout's columns), else the
 * COLUMNS environment variable, else 80 (piped output) — and a wrapper for the free text commander does
 * not wrap itself (`addHelpText`). Words are never broken: lines break at spaces only.
 */

/** Columns `--help` uses. */
export function helpWidth(): number {
  const tty = process.stdout.isTTY ? process.stdout.columns : undefined;
  if (tty !== undefined && tty > 0) return tty;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env >= 20 ? env : 80;
}

/**
 * Wraps `text` to `width` columns at spaces. Paragraphs are separated by blank lines; a line that starts
 * with spaces is kept as its own line (its continuation indented as it is).
 */
export function wrapText(text: string, width = helpWidth()): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const indent = /^ */.exec(line)![0];
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) { out.push(''); continue; }
    let cur = indent;
    for (const w of words) {
      if (cur.trim() !== '' && cur.length + 1 + w.length > width) { out.push(cur); cur = `${indent}  ${w}`; } else cur = cur.trim() === '' ? `${cur}${w}` : `${cur} ${w}`;
    }
    out.push(cur);
  }
  return out.join('\n');
}

/**
 * commander's own error (an unknown option or command, a missing value, a value its parser refused) as one line,
 * the way the commands' own errors read: `ptychostudy run: unknown option '--epoch'; did you mean --epochs? (…)`.
 * commander writes `error: …` and a hint in parentheses on lines of their own.
 */
export function oneLineError(who: string, text: string, lists: 'commands' | 'options'): string {
  const parts = text.split('\n').map((l) => l.trim().replace(/^error: /, '').replace(/^\((.*)\)$/, '$1').replace(/^Did you mean /, 'did you mean '))
    .filter((l) => l !== '');
  return `${who}: ${parts.join('; ')} (\`${who} --help\` lists the ${lists})`;
}
