import { RE2JS } from 're2js';

/**
 * `filter.channel_pattern` is written for Sockudo, which compiles it with Rust's `regex`
 * crate: RE2 syntax (named groups `(?P<n>..)`, inline and scoped flags `(?i)`, `(?i:..)`,
 * POSIX classes `[[:alpha:]]`, `\A`/`\z`, any punctuation escaped), no lookaround, no
 * backreferences, and matching in time linear in the channel name.
 *
 * It is compiled with re2js, a port of RE2, rather than translated to a JavaScript
 * `RegExp`: the syntax is the one Sockudo users wrote their patterns in, and the linear
 * time matters more. Channel names come from clients; a pattern like
 * `^private-([a-z0-9]+-?)+$`, harmless in Rust, takes exponential time in JavaScript's
 * backtracking engine on a crafted name, and would block the service thread until the
 * consumer lost its partitions, on every instance that picked the record up.
 */
export interface ChannelPattern {
  /** The pattern as configured. */
  readonly source: string;
  /** True when the pattern matches anywhere in the channel name (unanchored, as in Sockudo). */
  test(channel: string): boolean;
}

/** Compiles a channel pattern; throws a SyntaxError naming the problem when RE2 refuses it. */
export function compileChannelPattern(source: string): ChannelPattern {
  const rustOnly = rustOnlyClassSyntax(source);
  if (rustOnly !== undefined) throw new SyntaxError(`${rustOnly} is Rust regex syntax that RE2 reads differently; write the class out`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new SyntaxError(err instanceof Error ? err.message : String(err));
  }
  return { source, test: (channel) => re.test(channel) };
}

/**
 * Rust's character classes nest (`[a-z[0-9]]`) and take set operations (`[a-z&&[^x]]`,
 * `--`, `~~`). RE2 compiles both, but as something else: a `[` inside a class is a literal
 * there, and the class ends at the first `]`. A Sockudo pattern using them would load and
 * select other channels than it does in Sockudo, so it is refused instead. POSIX classes
 * (`[[:alpha:]]`) mean the same in both and pass.
 */
function rustOnlyClassSyntax(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (!inClass) {
      if (c === '[') {
        inClass = true;
        // A leading `^`, then a leading `]`, are part of the class, not its end.
        if (source[i + 1] === '^') i++;
        if (source[i + 1] === ']') i++;
      }
      continue;
    }
    if (c === ']') {
      inClass = false;
    } else if (c === '[') {
      const posix = source[i + 1] === ':' ? source.indexOf(':]', i + 2) : -1;
      if (posix < 0) return 'a class inside a class';
      i = posix + 1;
    } else if ((c === '&' || c === '~' || c === '-') && source[i + 1] === c) {
      return `the class set operation "${c}${c}"`;
    }
  }
  return undefined;
}
