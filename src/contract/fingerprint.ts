/**
 * CRC-64-AVRO, the Rabin fingerprint the Avro specification uses to name a schema in the
 * single-object encoding. Computed once per schema, so clarity beats speed here; it still
 * avoids BigInt by keeping the 64-bit state as two unsigned 32-bit halves.
 */

// The spec's EMPTY constant, 0xc15d213aa4d7a795, split into halves.
const EMPTY_HI = 0xc15d213a;
const EMPTY_LO = 0xa4d7a795;

let tableHi: Uint32Array | undefined;
let tableLo: Uint32Array | undefined;

function buildTables(): [Uint32Array, Uint32Array] {
  const hiTable = new Uint32Array(256);
  const loTable = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let j = 0; j < 8; j++) {
      const lowBit = lo & 1;
      // fp >>> 1 across the two halves
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lowBit === 1) {
        hi = (hi ^ EMPTY_HI) >>> 0;
        lo = (lo ^ EMPTY_LO) >>> 0;
      }
    }
    hiTable[i] = hi;
    loTable[i] = lo;
  }
  return [hiTable, loTable];
}

/**
 * The CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form, as the 8 little-endian
 * bytes the single-object encoding puts on the wire. Read it as the spec's signed `long` with
 * `fingerprint64(pcf).readBigInt64LE(0)`.
 */
export function fingerprint64(canonicalForm: string | Uint8Array): Buffer {
  if (tableHi === undefined || tableLo === undefined) {
    [tableHi, tableLo] = buildTables();
  }
  const bytes = typeof canonicalForm === 'string' ? Buffer.from(canonicalForm, 'utf8') : canonicalForm;
  let hi = EMPTY_HI;
  let lo = EMPTY_LO;
  for (let i = 0; i < bytes.length; i++) {
    const index = (lo ^ bytes[i]!) & 0xff;
    // fp = (fp >>> 8) ^ TABLE[index]
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ tableLo[index]!) >>> 0;
    hi = ((hi >>> 8) ^ tableHi[index]!) >>> 0;
  }
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32LE(lo, 0);
  out.writeUInt32LE(hi, 4);
  return out;
}

/** The fingerprint as the signed 64-bit integer Java's `SchemaNormalization.parsingFingerprint64` returns. */
export function fingerprintToLong(fingerprint: Uint8Array): bigint {
  return asBuffer(fingerprint).readBigInt64LE(0);
}

/** The 8 wire bytes in order, as lowercase hex: how logs, errors and docs name a schema. */
export function fingerprintToHex(fingerprint: Uint8Array): string {
  return asBuffer(fingerprint).toString('hex');
}

function asBuffer(fingerprint: Uint8Array): Buffer {
  if (fingerprint.byteLength !== 8) {
    throw new RangeError(`a CRC-64-AVRO fingerprint has 8 bytes, got ${fingerprint.byteLength}`);
  }
  return Buffer.from(fingerprint.buffer, fingerprint.byteOffset, 8);
}
