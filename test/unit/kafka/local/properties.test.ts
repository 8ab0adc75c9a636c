import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaMajorVersion } from '../../../../src/kafka/local/tools.js';
import { parseProperties, plaintextPort, serverProperties } from '../../../../src/kafka/local/properties.js';
import { randomClusterId } from '../../../../src/kafka/local/local-kafka.js';

const input = { port: 19092, controllerPort: 19093, dataDir: '/tmp/hs kafka/data' };

test('server.properties runs broker and controller in one node on loopback', () => {
  const props = parseProperties(serverProperties(input));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('node.id'), '1');
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
  assert.equal(props.get('controller.listener.names'), 'CONTROLLER');
  assert.equal(props.get('inter.broker.listener.name'), 'PLAINTEXT');
  assert.equal(props.get('listener.security.protocol.map'), 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT');
  assert.equal(props.get('log.dirs'), '/tmp/hs kafka/data');
});

test('server.properties sets every internal topic to one replica, so groups and transactions work', () => {
  const props = parseProperties(serverProperties(input));
  for (const key of [
    'offsets.topic.replication.factor',
    'transaction.state.log.replication.factor',
    'transaction.state.log.min.isr',
    'share.coordinator.state.topic.replication.factor',
    'share.coordinator.state.topic.min.isr',
    'default.replication.factor',
  ]) {
    assert.equal(props.get(key), '1', key);
  }
  assert.equal(props.get('group.initial.rebalance.delay.ms'), '0');
  assert.equal(props.get('auto.create.topics.enable'), 'false');
});

test('server.properties honours host and node id, and escapes backslashes in paths', () => {
  const text = serverProperties({ ...input, host: 'localhost', nodeId: 3, dataDir: 'C:\\kafka\\data' });
  const props = parseProperties(text);
  assert.equal(props.get('controller.quorum.voters'), '3@localhost:19093');
  assert.match(text, /^log\.dirs=C:\\\\kafka\\\\data$/m);
  assert.equal(props.get('log.dirs'), 'C:\\kafka\\data');
});

test('plaintextPort reads the broker port back from server.properties', () => {
  assert.equal(plaintextPort(serverProperties(input)), 19092);
  assert.equal(plaintextPort('listeners=CONTROLLER://127.0.0.1:9093,PLAINTEXT://127.0.0.1:9092\n'), 9092);
  assert.equal(plaintextPort('# nothing here\n'), undefined);
});

test('javaMajorVersion understands old and new version strings', () => {
  assert.equal(javaMajorVersion('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(javaMajorVersion('java version "1.8.0_402"'), 8);
  assert.equal(javaMajorVersion('openjdk version "21" 2023-09-19'), 21);
  assert.equal(javaMajorVersion('garbage'), undefined);
});

test('randomClusterId makes 22-character URL-safe ids that never look like a flag', () => {
  for (let i = 0; i < 200; i++) {
    const id = randomClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
