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

test('inline flags, also scoped to a group, as in Rust', () => {
  assert.ok(matches('(?i)^chat', 'CHAT-1'));
  assert.ok(!matches('^chat', 'CHAT-1'));
  assert.ok(matches('(?is)^a.b$', 'A\nB'));
  assert.ok(matches('^(?i:chat)-room', 'ChAt-room'));
  assert.ok(!matches('^(?i:chat)-room', 'chat-ROOM'));
});

test('Rust syntax Sockudo users write: named groups and POSIX classes', () => {
  assert.ok(matches('^presence-(?P<ns>[a-z]+):', 'presence-chat:1'));
  assert.ok(matches('^private-[[:alpha:]]+$', 'private-abc'));
  assert.ok(!matches('^private-[[:alpha:]]+$', 'private-ab1'));
});

test('matching takes linear time: a pattern that backtracks exponentially in JavaScript answers at once', () => {
  // ([a-z0-9]+-?)+$ against a long run of letters ending in a character the class lacks:
  // a backtracking engine tries every way to split the run (2^n); RE2 does not backtrack.
  const pattern = compileChannelPattern('^private-([a-z0-9]+-?)+$');
  // 26 letters: about 3 s in V8's backtracking engine on the build machine (doubling per letter).
  const crafted = `private-${'a'.repeat(26)}!`;
  const started = performance.now();
  assert.equal(pattern.test(crafted), false);
  const ms = performance.now() - started;
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  assert.equal(pattern.test('private-ab-cd'), true);
});

test('Rust class syntax that RE2 would read differently (nested classes, set operations) is refused, not misread', () => {
  for (const pattern of ['^[a-z&&[^x]]+$', '^[a-z--x]+$', '^[a-z~~x]$', '^[a-z[0-9]]+$']) {
    assert.throws(() => compileChannelPattern(pattern), /Rust regex syntax that RE2 reads differently/, pattern);
  }
  // What means the same in both still compiles: POSIX classes, escaped brackets, a leading ] or ^].
  for (const pattern of ['^[[:alpha:]-]+$', '^[\\[\\]]$', '^[]a]$', '^[^]a]$', '[a-]', '&&', 'a--b']) {
    assert.doesNotThrow(() => compileChannelPattern(pattern), pattern);
  }
  assert.ok(matches('^[\\[\\]]$', '['));
  assert.ok(matches('^[]a]$', ']'));
});

test('a pattern RE2 has no equivalent for (lookaround, backreferences) is refused', () => {
  assert.throws(() => compileChannelPattern('^(?=private)'), SyntaxError);
  assert.throws(() => compileChannelPattern('(a)\\1'), SyntaxError);
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
