/**
 * How a worker thread waits for its next job on a shared control word: until the word differs from
 * the value it last acted on.
 *
 * Atomics.wait can return while the word is unchanged. The notifying thread stores the new value
 * and then notifies; when it is descheduled between the two, the worker may see the store, run the
 * job, finish and block again before the notify arrives — and that late notify then wakes it while
 * it waits for the job after. A worker that took every wake-up for a new job would run the previous
 * job a second time (an LSQML phase adding its part twice, an in-place FFT transforming twice). So
 * the word is read again after every wake-up, and only a changed value counts.
 */

/** Polls ctl[slot] at most `polls` times while it equals `seen`; returns the last value read (`seen` after none). */
export function pollForChange(ctl: Int32Array, slot: number, seen: number, polls: number): number {
  let v = seen;
  for (let k = 0; k < polls && v === seen; k++) v = Atomics.load(ctl, slot);
  return v;
}

/**
 * Blocks until ctl[slot] differs from `seen` and returns the new value: first `spins` polls of the
 * word (cheap when the next job follows closely), then Atomics.wait, re-reading after each wake-up.
 */
export function waitForChange(ctl: Int32Array, slot: number, seen: number, spins = 0): number {
  let v = pollForChange(ctl, slot, seen, spins);
  while (v === seen) {
    Atomics.wait(ctl, slot, seen);
    v = Atomics.load(ctl, slot);
  }
  return v;
}
