import type { Type } from 'avsc';
import { DecodeError, EventValidationError, errorMessage } from '../errors.js';
import { SchemaRegistry, type SchemaRegistryOptions, type SchemaVersion } from './registry.js';

/**
 * Avro single-object encoding (Avro 1.11 spec): `C3 01`, the writer schema's CRC-64-AVRO
 * fingerprint as 8 little-endian bytes, then the Avro binary body.
 */
export const SINGLE_OBJECT_MAGIC: Readonly<Buffer> = Buffer.from([0xc3, 0x01]);
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

// Scratch space for encoding is kept up to this size; a larger value gets a one-off buffer.
const INITIAL_SCRATCH = 4096;
const MAX_KEPT_SCRATCH = 1 << 20;

/**
 * Encodes values of one schema as single objects (always with the current schema) and decodes
 * single objects written with any version its registry knows, into the current schema's shape.
 * Decoded records are plain objects; `T` is trusted to describe the current schema.
 */
export class SingleObjectCodec<T> {
  readonly registry: SchemaRegistry;
  /** The fingerprint `encode` writes, as 16 hex digits in wire order. */
  readonly fingerprintHex: string;
  readonly #type: Type;
  readonly #header: Buffer;
  // The reader fingerprint as two uint32 words, so the common case skips the map lookup.
  readonly #fpLo: number;
  readonly #fpHi: number;
  // The header stays in bytes 0..9; encode writes the body after it and copies out once.
  #scratch: Buffer;

  constructor(registry: SchemaRegistry) {
    this.registry = registry;
    const reader = registry.reader;
    this.fingerprintHex = reader.fingerprintHex;
    this.#type = reader.type;
    this.#header = Buffer.concat([SINGLE_OBJECT_MAGIC, reader.fingerprint]);
    this.#fpLo = this.#header.readUInt32LE(2);
    this.#fpHi = this.#header.readUInt32LE(6);
    this.#scratch = this.#newScratch(INITIAL_SCRATCH);
  }

  /** The 10 bytes every encoded value starts with. */
  get header(): Buffer {
    return Buffer.from(this.#header);
  }

  /**
   * The value as a single object of the current schema. Throws `EventValidationError`
   * (`HS_EVENT_INVALID`, `field` = the path of the first bad field) when it does not fit it.
   */
  encode(value: T): Buffer {
    let end: number;
    try {
      end = this.#type.encode(value, this.#scratch, SINGLE_OBJECT_HEADER_LENGTH);
    } catch (err) {
      throw this.#invalid(value, err);
    }
    if (end < 0) {
      // avsc returns minus the number of missing bytes when the buffer is too small.
      const needed = this.#scratch.length - end;
      if (needed > MAX_KEPT_SCRATCH) {
        const once = this.#newScratch(needed);
        this.#type.encode(value, once, SINGLE_OBJECT_HEADER_LENGTH);
        return once;
      }
      this.#scratch = this.#newScratch(Math.min(MAX_KEPT_SCRATCH, Math.max(needed, this.#scratch.length * 2)));
      end = this.#type.encode(value, this.#scratch, SINGLE_OBJECT_HEADER_LENGTH);
    }
    const out = Buffer.allocUnsafe(end);
    this.#scratch.copy(out, 0, 0, end);
    return out;
  }

  /**
   * Whether `buf` is a single object written with the current schema (its body, from byte
   * `SINGLE_OBJECT_HEADER_LENGTH`, is then in the current layout). Checks the header only.
   * Lets a value that was decoded once be embedded elsewhere (a delivery record) without
   * encoding it again.
   */
  isCurrent(buf: Buffer): boolean {
    if (buf.length < SINGLE_OBJECT_HEADER_LENGTH || buf[0] !== 0xc3 || buf[1] !== 0x01) return false;
    return buf.readUInt32LE(2) === this.#fpLo && buf.readUInt32LE(6) === this.#fpHi;
  }

  /**
   * Reads a single object written with any schema version the registry knows, as the current
   * schema. Throws `DecodeError`: `HS_DECODE_BAD_MAGIC` when it does not start with `C3 01`,
   * `HS_DECODE_UNKNOWN_FINGERPRINT` for an unknown writer schema, `HS_DECODE_CORRUPT` for a
   * short header, a truncated or malformed body, or bytes after the body.
   */
  decode(buf: Buffer): T {
    if (buf.length < 2 || buf[0] !== 0xc3 || buf[1] !== 0x01) {
      throw new DecodeError(
        'HS_DECODE_BAD_MAGIC',
        `${this.registry.name}: not an Avro single object (expected c301, got ${buf.subarray(0, 2).toString('hex') || 'nothing'})`,
      );
    }
    if (buf.length < SINGLE_OBJECT_HEADER_LENGTH) {
      throw new DecodeError('HS_DECODE_CORRUPT', `${this.registry.name}: header truncated to ${buf.length} bytes`);
    }
    let writer: SchemaVersion | undefined;
    if (buf.readUInt32LE(2) !== this.#fpLo || buf.readUInt32LE(6) !== this.#fpHi) {
      writer = this.registry.find(buf, 2);
      if (writer === undefined) {
        const hex = buf.toString('hex', 2, SINGLE_OBJECT_HEADER_LENGTH);
        throw new DecodeError(
          'HS_DECODE_UNKNOWN_FINGERPRINT',
          `${this.registry.name}: unknown writer schema fingerprint ${hex}; known: ${this.registry
            .versions()
            .map((v) => v.fingerprintHex)
            .join(', ')}`,
        );
      }
    }
    let result: { value: T; offset: number };
    try {
      result = this.#type.decode(buf, SINGLE_OBJECT_HEADER_LENGTH, writer?.resolver) as { value: T; offset: number };
    } catch (err) {
      throw new DecodeError('HS_DECODE_CORRUPT', `${this.registry.name}: malformed body: ${errorMessage(err)}`, err);
    }
    if (result.offset !== buf.length) {
      throw new DecodeError(
        'HS_DECODE_CORRUPT',
        result.offset < 0
          ? `${this.registry.name}: body truncated (${buf.length} bytes in all)`
          : `${this.registry.name}: ${buf.length - result.offset} trailing byte(s) after the body`,
      );
    }
    return result.value;
  }

  #newScratch(size: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    this.#header.copy(buf, 0);
    return buf;
  }

  #invalid(value: T, err: unknown): Error {
    // Off the hot path: ask avsc which field is wrong, so the error names it.
    let problem: { field: string; detail: string } | undefined;
    this.#type.isValid(value, {
      errorHook: (path: string[], got: unknown, type: Type) => {
        problem ??= { field: path.join('.'), detail: `${type.name ?? JSON.stringify(type.schema())}, got ${describeValue(got)}` };
      },
    });
    if (problem === undefined) {
      return err instanceof Error ? err : new Error(String(err));
    }
    const what = problem.field === '' ? 'the value' : problem.field;
    return new EventValidationError(problem.field, `${this.registry.name}: ${what} must be ${problem.detail}`);
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  const text = typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * A codec for `schemas/<name>.avsc` and its versions, e.g. `createCodec<WebhookDelivery>('webhook-delivery')`.
 * Each call loads the files again; keep the codec.
 */
export function createCodec<T>(name: string, options: SchemaRegistryOptions = {}): SingleObjectCodec<T> {
  return new SingleObjectCodec<T>(SchemaRegistry.load(name, options));
}
