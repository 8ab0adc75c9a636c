import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsingCanonicalForm } from '../../../src/contract/index.js';

test('logicalType, doc, default, aliases and order are stripped; primitives collapse to names', () => {
  const form = parsingCanonicalForm({
    type: 'record',
    name: 'E',
    doc: 'd',
    aliases: ['Old'],
    fields: [
      { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'x', order: 'ignore' },
      { name: 'o', type: ['null', { type: 'string' }], default: null, aliases: ['p'] },
    ],
  });
  assert.equal(form, '{"name":"E","type":"record","fields":[{"name":"t","type":"long"},{"name":"o","type":["null","string"]}]}');
});

test('nested named types take the enclosing namespace, references become full names', () => {
  const form = parsingCanonicalForm({
    type: 'record',
    name: 'Outer',
    namespace: 'a.b',
    fields: [
      { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'k', type: { type: 'enum', name: 'Kind', symbols: ['X'] } }] } },
      { name: 'again', type: 'Inner' },
      { name: 'list', type: { type: 'array', items: 'a.b.Kind' } },
      { name: 'other', type: { type: 'fixed', name: 'c.Id', size: '016' } },
    ],
  });
  assert.equal(
    form,
    '{"name":"a.b.Outer","type":"record","fields":[' +
      '{"name":"inner","type":{"name":"a.b.Inner","type":"record","fields":[{"name":"k","type":{"name":"a.b.Kind","type":"enum","symbols":["X"]}}]}},' +
      '{"name":"again","type":"a.b.Inner"},' +
      '{"name":"list","type":{"type":"array","items":"a.b.Kind"}},' +
      '{"name":"other","type":{"name":"c.Id","type":"fixed","size":16}}]}',
  );
});

test('schemas that cannot be canonicalised are refused with the failing path', () => {
  assert.throws(() => parsingCanonicalForm({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'Missing' }] }), /\$\.fields\[0\]\.type: unknown type "Missing"/);
  assert.throws(
    () => parsingCanonicalForm({ type: 'record', name: 'R', fields: [{ name: 'x', type: { type: 'enum', name: 'R', symbols: [] } }] }),
    /R is defined twice/,
  );
  assert.throws(() => parsingCanonicalForm({ type: 'fixed', name: 'F' }), /\$\.size/);
});
