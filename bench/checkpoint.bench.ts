/**
 * What a checkpoint of `ptychostudy lsqml` costs (study/reconstruct/checkpoint.ts): the state of a fly64-sized job —
 * 5000 random positions of 128×128 on a 464×464 object, batch 96, two threads — after 2 epochs, written to a
 * checkpoint file (median of 5 writes: ms and MB) and read back (median of 5), beside the mean seconds of one epoch,
 * for float32 (one and three probe modes) and float64.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runLsqml } from '../src/engine/lsqml.js';
import type { LsqmlState } from '../src/engine/lsqml-state.js';
import { addProbeModes } from '../src/engine/probe-modes.js';
import { syntheticProblem } from '../src/engine/synthetic.js';
import { readCheckpoint, writeCheckpoint } from '../src/study/reconstruct/checkpoint.js';

const median = (a: number[]): number => a.slice().sort((x, y) => x - y)[a.length >> 1]!;

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-bench-'));
  const prob = syntheticProblem({ size: 128, height: 464, width: 464, positions: 5000, random: true, photons: 1e6, poisson: false, seed: 1 });
  const out: Record<string, unknown> = {};
  try {
    for (const [name, precision, modes] of [['float32_1mode', 'float32', 1], ['float32_3modes', 'float32', 3], ['float64_1mode', 'float64', 1]] as const) {
      const input = modes === 1 ? prob.input : { ...prob.input, probe: { modes, size: 128, data: addProbeModes(Float64Array.from(prob.input.probe.data), 128, modes) } };
      let state: LsqmlState | null = null;
      const r = await runLsqml(input, { epochs: 3, batchSize: 96, threads: 2, precision }, { checkpointEvery: 2, onCheckpoint: (s) => { state = s; } });
      const s = state as unknown as LsqmlState;
      const shape = { n: 5000, N: 128, M: modes, H: 464, W: 464 };
      const run = { bench: name };
      const path = join(dir, `${name}.npz`);
      const writes: number[] = [], reads: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        writeCheckpoint(path, s, run, 3, shape);
        writes.push(performance.now() - t0);
        const t1 = performance.now();
        readCheckpoint(path, run, shape, 3);
        reads.push(performance.now() - t1);
      }
      out[name] = {
        write_ms: Number(median(writes).toFixed(1)), read_ms: Number(median(reads).toFixed(1)), file_mb: Number((statSync(path).size / 1e6).toFixed(2)),
        epoch_s: Number((r.epochSeconds.slice(1).reduce((a, b) => a + b, 0) / 2).toFixed(2)), precision: r.precision,
      };
      process.stderr.write(`checkpoint: ${name} ${JSON.stringify(out[name])}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
