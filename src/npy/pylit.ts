/**
 * A parser for the tiny subset of Python literal syntax that appears in a `.npy` header:
 * dicts, tuples, lists, strings, integers, True/False/None. It never evaluates anything.
 */
export type PyLiteral = string | number | boolean | null | PyLiteral[] | PyTupleLit | { [k: string]: PyLiteral };

/** A Python tuple (kept apart from lists so that `shape` can be told from a structured `descr`). */
export class PyTupleLit {
  constructor(readonly items: PyLiteral[]) {}
}

export class PyLiteralError extends Error {}

export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  const ws = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const fail = (what: string): never => { throw new PyLiteralError(`${what} at character ${i}`); };
  let depth = 0;

  function value(): PyLiteral {
    ws();
    const c = text[i];
    if (c === undefined) return fail('unexpected end of header');
    if (c === '{' || c === '(' || c === '[') {
      if (++depth > 32) fail('nesting too deep');
      const v = c === '{' ? dict() : seq(c === '(' ? ')' : ']', c === '(');
      depth--;
      return v;
    }
    if (c === "'" || c === '"') return str();
    if (/[-+0-9]/.test(c)) return num();
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return fail(`unexpected ${JSON.stringify(c)}`);
  }

  function str(): string {
    const q = text[i++]!;
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e !== undefined && e in simple) { out += simple[e]; i += 2; continue; }
        if (e === 'x' || e === 'u' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = text.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('bad escape in string');
          out += String.fromCodePoint(parseInt(hex, 16));
          i += 2 + len;
          continue;
        }
        fail('unsupported escape in string');
      }
      out += text[i++];
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  }

  function num(): number {
    const m = /^[-+]?[0-9]+L?/.exec(text.slice(i, i + 40));
    if (!m) return fail('bad number');
    i += m[0].length;
    const n = Number(m[0].replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) fail('integer out of range');
    return n;
  }

  function seq(close: string, tuple: boolean): PyLiteral {
    i++;
    const items: PyLiteral[] = [];
    for (;;) {
      ws();
      if (text[i] === close) { i++; break; }
      items.push(value());
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === close) { i++; break; }
      fail(`expected ',' or '${close}'`);
    }
    return tuple ? new PyTupleLit(items) : items;
  }

  function dict(): PyLiteral {
    i++;
    const out: { [k: string]: PyLiteral } = Object.create(null) as { [k: string]: PyLiteral };
    for (;;) {
      ws();
      if (text[i] === '}') { i++; break; }
      const k = value();
      if (typeof k !== 'string') fail('dict key is not a string');
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      const key = k as string;
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`duplicate key '${key}'`);
      out[key] = value();
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; break; }
      fail("expected ',' or '}'");
    }
    return out;
  }

  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters after the header dict');
  return v;
}

/** Python's repr of a parsed literal (for messages). */
export function pyRepr(v: PyLiteral): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (v instanceof PyTupleLit) return v.items.length === 1 ? `(${pyRepr(v.items[0]!)},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}
