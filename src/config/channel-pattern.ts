/**
 * `filter.channel_pattern` is written for Sockudo, which compiles it with Rust's `regex`
 * crate. Patterns are simple in practice, but Rust's syntax differs from JavaScript's in a
 * few spots that real configs hit, and a working Sockudo config must not stop hookstream:
 *
 * - any punctuation may be escaped (`\-`, `\#`, `\&`), which JavaScript's `u` mode refuses
 *   outside a character class;
 * - flags are set inline, `(?i)^chat` (JavaScript has no inline flags);
 * - `\A` and `\z` anchor at the start and end of the text.
 *
 * `compileChannelPattern` rewrites those into JavaScript and compiles the result in `u`
 * mode (so `\p{L}` means what it means in Rust). Anything else is passed as written; a
 * pattern JavaScript cannot compile is a configuration error naming the original text.
 */

/** Characters JavaScript's `u` mode lets a pattern escape outside a class. */
const SYNTAX = new Set('^$\\.*+?()[]{}|/');
/** Inline flags JavaScript has an equivalent of (Rust's `U`, `x`, `R` have none). */
const FLAGS = new Set(['i', 'm', 's']);

export function compileChannelPattern(source: string): RegExp {
  let flags = 'u';
  let rest = source;
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (inline) {
    for (const f of inline[1]!) {
      if (!FLAGS.has(f)) throw new SyntaxError(`inline flag "${f}" in "(?${inline[1]})" has no JavaScript equivalent (supported: i, m, s)`);
      if (!flags.includes(f)) flags += f;
    }
    rest = rest.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\' && i + 1 < rest.length) {
      const next = rest[++i]!;
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'z') out += '$';
      // Escaped punctuation that JavaScript's u mode does not accept as an escape is the
      // character itself (outside a class, none of these has a meaning); `-` keeps its
      // escape inside a class, where u mode allows it and it must stay literal.
      else if (!/[0-9A-Za-z]/.test(next) && !SYNTAX.has(next) && !(inClass && next === '-')) out += next;
      else out += c + next;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return new RegExp(out, flags);
}
