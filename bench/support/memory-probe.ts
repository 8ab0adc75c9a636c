/**
 * Diagnostic preload for case (d) (BENCH_MEM_PROBE=1): `node --import <this>` makes the
 * child write its memory breakdown (MB) to stderr every 250 ms, one JSON line each.
 */
import { getHeapSpaceStatistics } from 'node:v8';

const MB = 2 ** 20;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = Math.round(s.space_size / MB);
  process.stderr.write(
    `MEM ${JSON.stringify({ t: Date.now(), rss: Math.round(m.rss / MB), heapTotal: Math.round(m.heapTotal / MB), heapUsed: Math.round(m.heapUsed / MB), external: Math.round(m.external / MB), arrayBuffers: Math.round(m.arrayBuffers / MB), spaces })}\n`,
  );
}, 250);
timer.unref();
