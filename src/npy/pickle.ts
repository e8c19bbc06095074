/**
 * A safe reader for the pickles NumPy writes for object ('|O') arrays.
 *
 * The pickle is interpreted as data: opcodes build plain values on a stack, and the only callables
 * it may name are NumPy's array reconstruction (`numpy.core.multiarray._reconstruct`,
 * `numpy._core.multiarray._reconstruct`), `numpy.ndarray` and `numpy.dtype`. Nothing is imported or
 * executed. Any other global, any other opcode, or an element that is not str/bytes/int/float/bool/None
 * is refused with an `NpyError` naming the array and what was found.
 *
 * Every cost is bounded before it is paid (src/npy/limits.ts): the interpreter never recurses, creates
 * at most MAX_PICKLE_VALUES values and marks, and refuses integers longer than MAX_PICKLE_INT_BYTES
 * (decoding a huge LONG4 is quadratic in its length); strings and bytes cannot exceed the pickle itself.
 */
import { NpyError } from './errors.js';
import type { PyScalar } from './types.js';
import { fortranToC } from './order.js';
import { MAX_PICKLE_INT_BYTES, MAX_PICKLE_VALUES } from './limits.js';
import { printable } from '../text.js';

class Tuple { constructor(readonly items: PyValue[]) {} }
class Global { constructor(readonly module: string, readonly name: string) {} }
class Dtype { constructor(readonly descr: string) {} }
class Ndarray {
  shape: number[] | null = null;
  dtype: Dtype | null = null;
  fortran = false;
  items: PyValue[] | null = null;
}
type PyValue = PyScalar | Tuple | PyValue[] | Map<unknown, PyValue> | Global | Dtype | Ndarray;

const RECONSTRUCT_MODULES = new Set(['numpy.core.multiarray', 'numpy._core.multiarray']);

function allowedGlobal(module: string, name: string): boolean {
  return (RECONSTRUCT_MODULES.has(module) && name === '_reconstruct') || (module === 'numpy' && (name === 'ndarray' || name === 'dtype'));
}

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(v) || typeof v === 'bigint' ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Tuple) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'dict';
  if (v instanceof Global) return `${v.module}.${v.name}`;
  if (v instanceof Dtype) return `numpy.dtype(${v.descr})`;
  return 'numpy.ndarray';
}

function isScalar(v: PyValue): v is PyScalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Uint8Array;
}

const OPNAMES: Record<number, string> = {
  0x63: 'GLOBAL', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x52: 'REDUCE', 0x62: 'BUILD',
  0x49: 'INT', 0x4c: 'LONG', 0x46: 'FLOAT', 0x53: 'STRING', 0x56: 'UNICODE', 0x50: 'PERSID', 0x51: 'BINPERSID',
  0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x67: 'GET', 0x70: 'PUT',
};

/**
 * Decodes the pickle of an object ndarray into its shape and elements (C order).
 * `label` names the array in error messages (file and key).
 */
export function unpickleObjectArray(bytes: Uint8Array, label: string): { shape: number[]; items: PyScalar[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  let pos = 0;
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  // what a message says may quote the pickle (a global's name): it is made printable, on one line
  const bad = (msg: string): never => { throw new NpyError(`${label}: object array pickle ${printable(msg, 1000)}`); };
  // Every value pushed (and every MARK and memo entry) counts against MAX_PICKLE_VALUES.
  let made = 0;
  const count = (): void => {
    if (++made > MAX_PICKLE_VALUES) bad(`creates more than ${MAX_PICKLE_VALUES} values (limit MAX_PICKLE_VALUES); refusing it before it exhausts memory`);
  };
  const push = (v: PyValue): void => { count(); stack.push(v); };

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) bad(`is truncated (needs ${n} bytes at offset ${pos}, has ${bytes.length - pos})`);
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => dv.getUint16(need(2), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const u64 = (): number => {
    const p = need(8);
    const v = dv.getBigUint64(p, true);
    if (v > BigInt(bytes.length)) bad(`declares a length of ${v} bytes at offset ${p}, beyond the data`);
    return Number(v);
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) bad(`pops an empty stack at offset ${pos - 1}`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) bad(`reads an empty stack at offset ${pos - 1}`);
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) bad(`has no MARK at offset ${pos - 1}`);
    return stack.splice(m!);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) bad('is truncated inside a GLOBAL');
    const s = utf8.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const global = (module: string, name: string): Global => {
    if (!allowedGlobal(module, name)) {
      bad(`references the global ${module}.${name}; only numpy's array reconstruction ` +
        '(numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) is allowed — nothing is executed');
    }
    return new Global(module, name);
  };
  const str = (n: number): string => utf8.decode(bytes.subarray(need(n), pos));
  const byt = (n: number): Uint8Array => new Uint8Array(bytes.subarray(need(n), pos));
  const long = (n: number): number | bigint => {
    if (n > MAX_PICKLE_INT_BYTES) bad(`holds an integer of ${n} bytes at offset ${pos}; at most ${MAX_PICKLE_INT_BYTES} bytes (MAX_PICKLE_INT_BYTES) are read`);
    const p = need(n);
    if (n === 0) return 0;
    // Little-endian two's complement, read in one pass through a hex string (linear in n).
    let hex = '';
    for (let k = n - 1; k >= 0; k--) hex += bytes[p + k]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (bytes[p + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
  };

  for (;;) {
    const opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { const proto = u8(); if (proto > 5) bad(`has protocol ${proto} (at most 5 is understood)`); break; } // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x63: { const module = line(); const name = line(); push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') bad('has a STACK_GLOBAL whose module or name is not a string');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !(args instanceof Tuple)) bad(`has a REDUCE of ${describe(fn)} at offset ${opPos}`);
        const g = fn as Global;
        const a = (args as Tuple).items;
        if (g.name === '_reconstruct') {
          if (!(a[0] instanceof Global) || a[0].name !== 'ndarray') bad(`reconstructs ${describe(a[0] ?? null)}, not numpy.ndarray`);
          push(new Ndarray());
        } else if (g.name === 'dtype') {
          if (typeof a[0] !== 'string') bad('builds a numpy.dtype from a non-string');
          push(new Dtype(a[0] as string));
        } else {
          bad(`calls ${g.module}.${g.name} directly`);
        }
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof Dtype) break; // dtype state (byte order, fields…) carries nothing an 'O' dtype needs
        if (!(obj instanceof Ndarray) || !(state instanceof Tuple)) bad(`has a BUILD on ${describe(obj)} at offset ${opPos}`);
        const s = (state as Tuple).items;
        const arr = obj as Ndarray;
        const [, shape, dtype, fortran, raw] = s;
        if (s.length !== 5 || !(shape instanceof Tuple) || !(dtype instanceof Dtype)) bad('has an ndarray state that is not (version, shape, dtype, is_fortran, data)');
        arr.shape = (shape as Tuple).items.map((d) => {
          if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) bad(`has a bad shape entry ${String(d)}`);
          return d as number;
        });
        arr.dtype = dtype as Dtype;
        arr.fortran = fortran === true;
        if (!Array.isArray(raw)) bad(`stores a ${(dtype as Dtype).descr} array as ${describe(raw ?? null)}, not as a list of objects`);
        arr.items = raw as PyValue[];
        break;
      }
      case 0x28: count(); marks.push(stack.length); break; // MARK
      case 0x74: push(new Tuple(popMark())); break; // TUPLE
      case 0x29: push(new Tuple([])); break; // EMPTY_TUPLE
      case 0x85: { const a = pop(); push(new Tuple([a])); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(new Tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new Tuple([a, b, c])); break; } // TUPLE3
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) bad(`APPENDs to ${describe(l)}`); (l as PyValue[]).push(v); break; } // APPEND
      case 0x65: { // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) bad(`APPENDS to ${describe(l)}`);
        for (const v of items) (l as PyValue[]).push(v);
        break;
      }
      case 0x73: case 0x75: { // SETITEM, SETITEMS
        const items = op === 0x73 ? (() => { const v = pop(); const k = pop(); return [k, v]; })() : popMark();
        const d = top();
        if (!(d instanceof Map) || items.length % 2 !== 0) bad(`has a bad SETITEM(S) at offset ${opPos}`);
        for (let k = 0; k < items.length; k += 2) (d as Map<unknown, PyValue>).set(items[k], items[k + 1]!);
        break;
      }
      case 0x8c: push(str(u8())); break; // SHORT_BINUNICODE
      case 0x58: push(str(u32())); break; // BINUNICODE
      case 0x8d: push(str(u64())); break; // BINUNICODE8
      case 0x43: push(byt(u8())); break; // SHORT_BINBYTES
      case 0x42: push(byt(u32())); break; // BINBYTES
      case 0x8e: push(byt(u64())); break; // BINBYTES8
      case 0x4a: push(dv.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(long(u8())); break; // LONG1
      case 0x8b: push(long(u32())); break; // LONG4
      case 0x47: push(dv.getFloat64(need(8), false)); break; // BINFLOAT
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4e: push(null); break; // NONE
      case 0x71: count(); memo.set(u8(), top()); break; // BINPUT
      case 0x72: count(); memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: count(); memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) bad(`gets memo entry ${k}, which was never put`);
        push(memo.get(k)!);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length > 0) bad('ends with an unbalanced stack');
        const result = stack[0]!;
        if (!(result instanceof Ndarray) || result.shape === null || result.items === null || result.dtype === null) {
          bad(`holds ${describe(result)}, not a numpy object array`);
        }
        const arr = result as Ndarray;
        if (!/^[|<>=]?O\d*$/.test(arr.dtype!.descr)) bad(`holds an array of dtype ${arr.dtype!.descr}, not an object array`);
        const items: PyScalar[] = [];
        for (let k = 0; k < arr.items!.length; k++) {
          const v = arr.items![k]!;
          if (!isScalar(v)) bad(`element ${k} is a ${describe(v)}; only str, bytes, int, float, bool and None elements are supported`);
          items.push(v as PyScalar);
        }
        let size = 1;
        for (const d of arr.shape!) size *= d;
        if (items.length !== size) bad(`has ${items.length} elements for shape (${arr.shape!.join(', ')})`);
        if (!arr.fortran) return { shape: arr.shape!, items };
        const c = new Array<PyScalar>(items.length);
        fortranToC(items, c, arr.shape!);
        return { shape: arr.shape!, items: c };
      }
      default:
        bad(`uses opcode 0x${op.toString(16).padStart(2, '0')}${OPNAMES[op] ? ` (${OPNAMES[op]})` : ''} at offset ${opPos}, which is outside the safe subset`);
    }
  }
}
