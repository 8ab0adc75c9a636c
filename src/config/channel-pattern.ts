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
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new SyntaxError(err instanceof Error ? err.message : String(err));
  }
  return { source, test: (channel) => re.test(channel) };
}
