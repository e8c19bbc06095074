/**
 * The CPU time a bench measures: user + system seconds of this process (`process.cpuUsage`), which counts what its
 * threads ran, not the time they waited for a core.
 */

/** CPU seconds this process ran since `since`, a `process.cpuUsage()` reading. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

/** `f()`'s value and the CPU seconds it ran. */
export function cpuSeconds<T>(f: () => T): [T, number] {
  const c0 = process.cpuUsage();
  const r = f();
  return [r, cpuSecondsSince(c0)];
}
