import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileChannelPattern } from '../../../src/config/channel-pattern.js';
import { parseConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';

const matches = (pattern: string, channel: string): boolean => compileChannelPattern(pattern).test(channel);

test('Rust-style escaped punctuation is the character itself, outside and inside a class', () => {
  assert.ok(matches('^chat\\-', 'chat-room'));
  assert.ok(!matches('^chat\\-', 'chatroom'));
  assert.ok(matches('room\\#1', 'presence-room#1'));
  assert.ok(matches('a\\&b', 'private-a&b'));
  assert.ok(matches('^[\\#\\-]x', '#x'));
  assert.ok(matches('^[\\#\\-]x', '-x'));
  // Inside a class an escaped "-" stays literal instead of forming a range.
  assert.ok(!matches('^[a\\-c]$', 'b'));
  // Escapes JavaScript knows keep their meaning.
  assert.ok(matches('^\\d+\\.\\w$', '12.a'));
  assert.ok(!matches('^\\d+\\.\\w$', '12xa'));
});

test('leading inline flags become JavaScript flags', () => {
  assert.ok(matches('(?i)^chat', 'CHAT-1'));
  assert.ok(!matches('^chat', 'CHAT-1'));
  assert.ok(matches('(?is)^a.b$', 'A\nB'));
  assert.throws(() => compileChannelPattern('(?x)^a b'), /inline flag "x"/);
});

test('\\A and \\z anchor at the start and end; \\p{..} is a Unicode class as in Rust', () => {
  assert.ok(matches('\\Aprivate-', 'private-x'));
  assert.ok(!matches('\\Aprivate-', 'x-private-'));
  assert.ok(matches('-vip\\z', 'presence-room-vip'));
  assert.ok(!matches('-vip\\z', 'presence-room-vip2'));
  assert.ok(matches('^\\p{L}+$', 'salle'));
  assert.ok(!matches('^\\p{L}+$', 'room1'));
});

test('a pattern that is still invalid is a config error at its JSON path', () => {
  const raw = { app_manager: { array: { apps: [{ id: 'a', key: 'k', secret: 's', webhooks: [{ url: 'https://x.test/', event_types: ['channel_occupied'], filter: { channel_pattern: '(?i)chat(' } }] }] } } };
  assert.throws(() => parseConfig(raw), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.path, '$.app_manager.array.apps[0].webhooks[0].filter.channel_pattern');
    assert.match(err.message, /not a valid regular expression/);
    return true;
  });
});
