/**
 * Phase C as a cluster step: one job per dose. A job plans the phase (every dose, outputs replaced:
 * the submitting command has already refused existing outputs where it should), simulates its one dose
 * — the far field a local run shares between doses is computed by each job alone, which gives the same
 * bytes — and its result is added to `run_manifest.json` under the lock. A dose whose job failed or whose task was
 * killed gets an entry `status: "failed"` with the reason (an earlier entry of that dose kept under
 * `previous`).
 */
import { InputError } from '../../../errors.js';
import { printable } from '../../../text.js';
import { writeJsonAtomic } from '../../../files/atomic.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../../files/bounded-read.js';
import { join } from 'node:path';
import { EarlierFiles } from '../../../files/earlier.js';
import { recordPath } from '../../../files/paths.js';
import { doseDirName, PHASE_C } from '../../hub/layout.js';
import { localExecutor } from '../../phase.js';
import type { SimulationJobResult } from '../../simulate/job.js';
import { simulationPhase } from '../../simulate/phase.js';
import { planSimulation, type SimulationPlan } from '../../simulate/plan.js';
import { SimulationManifest } from '../../simulate/record.js';
import { originOption, outputRootOption, type ClusterStep, type StepContext, type TaskFailure } from './step.js';

const plans = new Map<string, SimulationPlan>();

function planOf(ctx: StepContext): SimulationPlan {
  const outputRoot = outputRootOption(ctx, 'outputRoot');
  const timestamp = typeof ctx.record.options['timestamp'] === 'string' ? ctx.record.options['timestamp'] : null;
  const id = `${outputRoot}|${ctx.submission.number}`;
  let plan = plans.get(id);
  if (plan === undefined) {
    // where each setting came from, as the submitting command stored it: the merges record it in run_manifest.json
    plan = planSimulation(ctx.settings, { outputRoot, overwrite: true, timestamp, ...originOption(ctx) });
    plans.set(id, plan);
  }
  return plan;
}

function readManifest(path: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = readJsonTextAtMost(path, MAX_RECORD_BYTES, 'a record');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    throw new Error('not a JSON object');
  } catch (err) {
    throw new InputError(`${path}: not a valid run manifest (${printable((err as Error).message)}); it was left untouched`);
  }
}

function isResult(v: unknown): v is SimulationJobResult {
  const r = v as Partial<SimulationJobResult> | null;
  return r !== null && typeof r === 'object' && typeof r.dose === 'number' && typeof r.intensityScale === 'number' && typeof r.seconds === 'number'
    && typeof r.files?.train?.sha256 === 'string' && typeof r.files.test?.sha256 === 'string';
}

/** Whether the manifest already holds exactly this result (a merge repeated by the final one). */
function alreadyMerged(manifest: Record<string, unknown> | null, r: SimulationJobResult, root: string): boolean {
  const e = manifest?.[doseDirName(r.dose)] as Record<string, unknown> | undefined;
  return e !== undefined && e['status'] === undefined && e['intensity_scale'] === r.intensityScale
    && e['seconds'] === Number(r.seconds.toFixed(3)) && e['train'] === recordPath(root, r.train); // recorded relative to the root
}

export const generateStep: ClusterStep = {
  name: 'generate',
  // the lock a local `generate` into the same root holds
  phaseLock: (ctx) => join(outputRootOption(ctx, 'outputRoot'), PHASE_C.lock),
  async start() {
    return {};
  },
  async runTask(ctx, _start, key, say) {
    const plan = planOf(ctx);
    const job = plan.jobs.find((j) => j.key === key);
    if (job === undefined) return { status: 'failed', error: `no ${key} in the Phase C plan (doses ${plan.doses.join(', ')})`, payload: null };
    let result: SimulationJobResult | null = null;
    const own = { ...plan, earlier: new EarlierFiles(plan.outputRoot, [plan.manifestPath]) };
    await localExecutor().run(simulationPhase, own, [job], (p) => {
      if (p.stage === 'write' || p.stage === 'dose-done' || p.stage === 'prepare') say(p.message);
    }, (_job, r) => { result = r; });
    if (result === null) return { status: 'failed', error: `Phase C wrote no result for ${key}`, payload: null };
    return { status: 'ok', error: null, payload: result };
  },
  async merge(ctx, _start, results, failures) {
    const plan = planOf(ctx);
    const ok = results.filter((r) => r.status === 'ok' && isResult(r.payload)).map((r) => r.payload as SimulationJobResult);
    const current = readManifest(plan.manifestPath);
    const manifest = new SimulationManifest({ ...plan, previousManifest: current });
    for (const r of ok) if (!alreadyMerged(current, r, plan.outputRoot)) manifest.add(r);
    const failed: TaskFailure[] = [
      ...results.filter((r) => r.status === 'failed').map((r) => ({ task: r.task, key: r.key, slurm_job: r.slurm_job, message: r.error ?? 'failed' })),
      ...(failures ?? []),
    ];
    if (failed.length > 0) {
      const m = readManifest(plan.manifestPath) ?? {};
      for (const f of failed) {
        const job = plan.jobs.find((j) => j.key === f.key);
        const previous = m[f.key] as Record<string, unknown> | undefined;
        if (previous?.['status'] === 'failed' && previous['error'] === f.message) continue;
        m[f.key] = {
          dose: job?.dose ?? null, status: 'failed', error: f.message, slurm_job: f.slurm_job, failed_utc: new Date().toISOString(),
          ...(previous !== undefined ? { previous: previous['status'] === 'failed' ? previous['previous'] ?? null : previous } : {}),
        };
      }
      writeJsonAtomic(plan.manifestPath, m);
    }
    const expected = ctx.record.tasks.length;
    const first = ok[0];
    return {
      complete: failed.length === 0 && ok.length === expected,
      detail: `${ok.length} doses × ${plan.nPositions} positions` +
        (first ? ` (train ${first.trainCount}, test ${first.testCount})` : '') + (failed.length > 0 ? `; ${failed.length} failed` : ''),
    };
  },
};
