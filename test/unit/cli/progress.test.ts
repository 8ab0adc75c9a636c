import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressLine } from '../../../src/cli/progress.js';

function stream(isTTY: boolean): { isTTY: boolean; text: string; write: (s: string) => boolean } {
  const s = { isTTY, text: '', write: (chunk: string) => ((s.text += chunk), true) };
  return s;
}

test('the progress line draws on the stream it was given, only when that stream is a terminal', () => {
  const tty = stream(true);
  const bar = new ProgressLine('requeueing', 2, tty as unknown as NodeJS.WritableStream & { isTTY: boolean });
  bar.tick();
  bar.tick();
  bar.end();
  assert.match(tty.text, /\rrequeueing \[#{30}\] 2\/2 100%\n$/);

  const piped = stream(false);
  const quiet = new ProgressLine('requeueing', 2, piped as unknown as NodeJS.WritableStream & { isTTY: boolean });
  quiet.tick(2);
  quiet.end();
  assert.equal(piped.text, '', 'a log file gets no carriage-return frames');
});
