import { InputError } from '../errors.js';

/** A `.npy` payload that cannot be decoded or encoded (bad header, unsupported dtype, unsafe pickle…). */
export class NpyError extends InputError {
  constructor(message: string) { super(message); this.name = 'NpyError'; }
}

/** A `.npz` archive that cannot be read or written (bad zip structure, hostile member, size limits…). */
export class NpzError extends InputError {
  constructor(message: string) { super(message); this.name = 'NpzError'; }
}
