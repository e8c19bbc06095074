// Runs one LSQML reconstruction many times in this process and reports whether every run gave the
// same bytes (SHA-1 of the object and probe). A run whose bytes differ from the first run's is
// printed with its loss history beside the first run's, so the first epoch that differs shows.
//
//   node scripts/repeat-lsqml.mjs [runs] [precision] [modes] [threads] [size]
//   defaults: 200 float32 2 2 128 (the N = 128 case of test/engine/precision.test.ts)
//
// Needs `npm run build` first (it loads dist/). Exit code 1 when any run differed.
import { createHash } from 'node:crypto';
import { runLsqml } from '../dist/src/engine/lsqml.js';
import { syntheticProblem } from '../dist/src/engine/synthetic.js';
import { addProbeModes } from '../dist/src/engine/probe-modes.js';

const [runs, precision, modes, threads, size] = [
  Number(process.argv[2] ?? 200), process.argv[3] ?? 'float32', Number(process.argv[4] ?? 2),
  Number(process.argv[5] ?? 2), Number(process.argv[6] ?? 128),
];
const N = size, H = 3 * N + 8;
const prob = syntheticProblem({ size: N, height: H, width: H, positions: N === 128 ? 12 : 40, photons: 1e4, seed: 2 });
const input = { ...prob.input, object: { ...prob.input.object, data: prob.trueObject } };
if (modes > 1) input.probe = { modes, size: N, data: addProbeModes(Float64Array.from(prob.input.probe.data), N, modes) };
const options = { epochs: 5, batchSize: 16, seed: 1, noiseModel: 'gaussian', poissonStepNoise: 0, threads, precision };

let first = null;
const counts = new Map();
for (let r = 0; r < runs; r++) {
  const res = await runLsqml(input, options);
  const hash = createHash('sha1').update(Buffer.from(res.object.buffer)).update(Buffer.from(res.probe.buffer)).digest('hex').slice(0, 12);
  counts.set(hash, (counts.get(hash) ?? 0) + 1);
  if (first === null) first = { hash, loss: res.lossHistory };
  else if (hash !== first.hash) {
    console.log(`run ${r}: ${hash} (first run ${first.hash})`);
    console.log(`  losses:           ${res.lossHistory.join(' ')}`);
    console.log(`  first run's:      ${first.loss.join(' ')}`);
  }
}
console.log(JSON.stringify({ runs, precision, modes, threads, size: N, bytes: Object.fromEntries(counts) }));
process.exit(counts.size === 1 ? 0 : 1);
