// A child process for test/cli/stop-while-storing.test.ts: `reconstruct`'s stop handling (ReconstructionStop under
// onStop, the phase's signal) around Phase F with an in-process engine that finishes its job and then has SIGTERM sent
// to this process, so that the stop lands while Phase F stores the finished job (its outputs moved in from staging,
// the input's fingerprint awaited). Argument: the tree's root (writeTree); exits as `reconstruct` does.
import { join } from 'node:path';
import { onStop } from '../../src/cli/interrupt.js';
import { ReconstructionStop } from '../../src/cli/stop-reconstructions.js';
import { parseStudySettings } from '../../src/settings/parse.js';
import { StudyAbortedError } from '../../src/study/phase.js';
import type { EngineRunner } from '../../src/study/reconstruct/engine-runner.js';
import { runReconstruction } from '../../src/study/reconstruct/phase.js';
import { testEngine } from '../study/reconstruct-helpers.js';

const root = process.argv[2]!;
const stop = new ReconstructionStop((signal, saved) => { process.stderr.write(`stopped by ${signal} (saved: ${saved})\n`); });
onStop((signal) => stop.handle(signal));
const finishing = testEngine().executor;
const engine: EngineRunner = async (job, onProgress) => {
  const result = await finishing(job, onProgress);
  process.kill(process.pid, 'SIGTERM'); // handled once the event loop turns: while Phase F stores this finished job
  return result;
};
try {
  await runReconstruction(parseStudySettings({ simulation: { doses: [1000] }, reconstruction: { epochs: 2 } }), {
    phaseCRoot: join(root, 'phase_c'), phaseDRoot: join(root, 'phase_d'), outputRoot: join(root, 'artifacts'),
    filters: { view: 'dense', split: 'train' }, engine, signal: stop.signal,
  });
  process.stderr.write('not stopped\n');
  process.exitCode = 0;
} catch (err) {
  if (stop.recording && err instanceof StudyAbortedError) process.exit(stop.finished());
  throw err;
}
