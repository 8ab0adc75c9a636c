import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookConfig } from '../../../src/config/types.js';
import { redact, redactedSnippet, SNIPPET_SCAN_BYTES, webhookSecrets } from '../../../src/pipeline/deliver/failure-text.js';

const hook = (url: string, headers: Record<string, string> = {}): Pick<WebhookConfig, 'headers' | 'target'> => ({ headers, target: { kind: 'http', url } });

test('webhookSecrets collects every form a credential can be echoed in', () => {
  const basic = Buffer.from('svc:pw-basic-42').toString('base64');
  const secrets = webhookSecrets(
    { secret: 'app-secret-1' },
    hook('https://url-user-7:url-pass%2F8@example.test/h?token=qtok-99&x=1', { Authorization: 'Bearer tok-abc-123', 'X-Other': `Basic ${basic}` }),
  );
  for (const expected of [
    'app-secret-1',
    'Bearer tok-abc-123',
    'tok-abc-123', // the token without its scheme
    basic,
    'svc:pw-basic-42',
    'pw-basic-42', // what Basic decodes to
    'url-user-7',
    'url-pass%2F8',
    'url-pass/8', // URL credentials, raw and decoded
    Buffer.from('url-user-7:url-pass/8').toString('base64'), // the Basic header made of them
    'qtok-99', // query values
  ]) {
    assert.ok(secrets.includes(expected), `${expected} in ${JSON.stringify(secrets)}`);
  }
  assert.ok(!secrets.includes('1') && !secrets.includes('svc'), 'values too short to be secrets are left alone (masking them would garble messages)');
});

test('redact masks a secret whole even when a shorter one is part of it', () => {
  const text = 'auth=Basic dXNlcjpwYXNzd29yZA== name=user';
  assert.equal(redact(text, ['user', 'Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA==']), 'auth=[redacted] name=[redacted]');
});

test('redactedSnippet masks before it cuts: a secret across the excerpt end leaves nothing of it', () => {
  const secret = 'app-secret-0123456789';
  const text = `${'a'.repeat(195)}${secret} after`;
  assert.equal(redactedSnippet(text, [secret], 200), `${'a'.repeat(195)}[reda…`);
  assert.equal(redactedSnippet(Buffer.from(text), [secret], 200), `${'a'.repeat(195)}[reda…`);
  assert.equal(redactedSnippet('short \u0000 answer', [secret]), 'short answer', 'a short text is a plain snippet');
});

test('redactedSnippet reads only a prefix, and a secret cut off at its end leaves nothing either', () => {
  const secret = 'app-secret-0123456789';
  // Whitespace collapsing pulls the end of the scanned prefix into the excerpt; that end
  // holds the secret's first 8 characters, which cannot be recognised as the secret.
  const lead = 'lead ';
  const text = lead + ' '.repeat(SNIPPET_SCAN_BYTES - lead.length - 8) + secret + ' tail';
  for (const input of [text, Buffer.from(text)]) {
    const out = redactedSnippet(input, [secret], 200);
    assert.equal(out, 'lead…');
    assert.ok(!out.includes('app-'), out);
  }
  // A multi-byte character cut in two by the prefix leaves no garbage behind.
  const accented = Buffer.from('é'.repeat(SNIPPET_SCAN_BYTES));
  assert.equal(redactedSnippet(accented, [], 10), `${'é'.repeat(10)}…`);
});
