import type { AvroSchema, AvroSchemaObject } from './types.js';

/**
 * Parsing Canonical Form (Avro 1.11 specification, "Schema Resolution" > "Parsing Canonical
 * Form for Schemas"): the text whose CRC-64-AVRO is the schema's fingerprint.
 *
 * Written from the spec rather than taken from avsc's `Type#schema()`: that output matches
 * for plain schemas but is a serialisation detail of avsc, not a promise, and producers in
 * other languages hash the spec's form. The rules, as applied here:
 * - PRIMITIVES: `{"type":"int"}` becomes `"int"` (also with `logicalType` or other extras).
 * - FULLNAMES: names and references become full names; `namespace` is dropped.
 * - STRIP: only name, type, fields, symbols, items, values, size survive (no doc, aliases,
 *   default, order, logicalType).
 * - ORDER: attributes in the order name, type, fields, symbols, items, values, size.
 * - STRINGS / INTEGERS / WHITESPACE: minimal JSON, unquoted integer sizes, no whitespace.
 */
export function parsingCanonicalForm(schema: AvroSchema): string {
  return canonical(schema, '', new Set<string>(), '$');
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function canonical(schema: unknown, namespace: string, defined: Set<string>, path: string): string {
  if (typeof schema === 'string') {
    return PRIMITIVES.has(schema) ? JSON.stringify(schema) : JSON.stringify(resolveReference(schema, namespace, defined, path));
  }
  if (Array.isArray(schema)) {
    return `[${schema.map((branch, i) => canonical(branch, namespace, defined, `${path}[${i}]`)).join(',')}]`;
  }
  if (schema === null || typeof schema !== 'object') {
    throw new TypeError(`${path}: not an Avro schema: ${JSON.stringify(schema)}`);
  }
  const object = schema as AvroSchemaObject;
  const type = object.type;
  if (typeof type !== 'string') {
    // `{"type": {...}}` or `{"type": [...]}`: the wrapper adds nothing to parsing.
    return canonical(type, namespace, defined, `${path}.type`);
  }
  switch (type) {
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed':
      return canonicalNamed(object, type, namespace, defined, path);
    case 'array':
      return `{"type":"array","items":${canonical(object.items, namespace, defined, `${path}.items`)}}`;
    case 'map':
      return `{"type":"map","values":${canonical(object.values, namespace, defined, `${path}.values`)}}`;
    default:
      // A primitive in object form, or `{"type": "SomeNamedType"}`.
      return canonical(type, namespace, defined, `${path}.type`);
  }
}

function canonicalNamed(
  object: AvroSchemaObject,
  type: 'record' | 'error' | 'enum' | 'fixed',
  namespace: string,
  defined: Set<string>,
  path: string,
): string {
  if (typeof object.name !== 'string' || object.name === '') {
    throw new TypeError(`${path}.name: a ${type} needs a name`);
  }
  const fullName = qualify(object.name, typeof object.namespace === 'string' ? object.namespace : namespace);
  if (defined.has(fullName)) {
    throw new TypeError(`${path}.name: ${fullName} is defined twice`);
  }
  // Registered before the fields are visited, so a record may refer to itself.
  defined.add(fullName);
  const head = `{"name":${JSON.stringify(fullName)},"type":${JSON.stringify(type)}`;

  if (type === 'enum') {
    const symbols = object.symbols;
    if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) {
      throw new TypeError(`${path}.symbols: an enum needs an array of strings`);
    }
    return `${head},"symbols":${JSON.stringify(symbols)}}`;
  }
  if (type === 'fixed') {
    const size = typeof object.size === 'string' ? Number(object.size) : object.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new TypeError(`${path}.size: a fixed needs a non-negative integer size`);
    }
    return `${head},"size":${size}}`;
  }

  const fields = object.fields;
  if (!Array.isArray(fields)) {
    throw new TypeError(`${path}.fields: a ${type} needs an array of fields`);
  }
  // Named types inside a record default to the record's namespace, not the outer one.
  const inner = namespaceOf(fullName);
  const parts = fields.map((field, i) => {
    const fieldPath = `${path}.fields[${i}]`;
    if (field === null || typeof field !== 'object' || typeof field.name !== 'string') {
      throw new TypeError(`${fieldPath}.name: a field needs a name`);
    }
    return `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type, inner, defined, `${fieldPath}.type`)}}`;
  });
  return `${head},"fields":[${parts.join(',')}]}`;
}

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot === -1 ? '' : fullName.slice(0, dot);
}

function resolveReference(name: string, namespace: string, defined: Set<string>, path: string): string {
  // Like the Java parser: the enclosing namespace first, then the null namespace.
  const qualified = qualify(name, namespace);
  if (defined.has(qualified)) {
    return qualified;
  }
  if (defined.has(name)) {
    return name;
  }
  throw new TypeError(`${path}: unknown type ${JSON.stringify(name)} (schemas must be self-contained)`);
}
