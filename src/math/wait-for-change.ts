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

/**
 * Blocks until ctl[slot] differs from `seen` and returns the new value: first `spins` polls of the
 * word (cheap when the next job follows closely), then Atomics.wait, re-reading after each wake-up.
 */
export function waitForChange(ctl: Int32Array, slot: number, seen: number, spins = 0): number {
  let v = Atomics.load(ctl, slot);
  for (let k = 0; k < spins && v === seen; k++) v = Atomics.load(ctl, slot);
  while (v === seen) {
    Atomics.wait(ctl, slot, seen);
    v = Atomics.load(ctl, slot);
  }
  return v;
}
