/**
 * Phase D as a cluster step: one job per dose, each building every view of its dose (the local run's
 * job); results merge into `overlap_manifest.json` by dose, as a local run's do (a failed job's or killed
 * task's dose is recorded with `status: "failed"` and the reason).
 */
import { join, resolve } from 'node:path';
import { EarlierFiles } from '../../../files/earlier.js';
import { PHASE_D } from '../../hub/layout.js';
import { keptPositionsText, type DoseSummary } from '../../overlap/job.js';
import { doseLabel } from '../../../report/ticks.js';
import { overlapPhase } from '../../overlap/phase.js';
import { planOverlap, PHASE_D_SETTINGS, type OverlapPlan } from '../../overlap/plan.js';
import { writeOverlapManifest } from '../../overlap/record.js';
import { localExecutor, phaseOrigin } from '../../phase.js';
import { originOption, outputRootOption, pathOption, type ClusterStep, type StepContext } from './step.js';

function viewsOption(ctx: StepContext): string[] | null {
  const v = ctx.record.options['views'];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : null;
}

/** The dose of a key `dose_<D>`. */
function doseOf(key: string): number {
  const m = /^dose_(\d+)$/.exec(key);
  if (!m) throw new Error(`internal: ${key} is not a dose key`);
  return Number(m[1]);
}

/** What the manifest writer reads of a plan (its seed and Phase C root), for a merge that runs no job. */
function recordPlan(ctx: StepContext): OverlapPlan {
  const views = viewsOption(ctx) ?? Object.keys(ctx.settings.overlap.views);
  const o = ctx.settings.overlap;
  return {
    phaseCRoot: resolve(pathOption(ctx.record, 'phaseCRoot')), outputRoot: resolve(outputRootOption(ctx, 'outputRoot')), jobs: [], views,
    fractions: { ...o.views }, seed: o.seed, order: o.order, probeDiameterPx: o.probeDiameterPx, neighborCount: o.neighborCount,
    // where each setting came from, as the submitting command stored it (recorded in overlap_manifest.json)
    settingsOrigin: phaseOrigin(originOption(ctx).settingsOrigin, PHASE_D_SETTINGS),
  };
}

function isSummary(v: unknown): v is DoseSummary {
  const d = v as Partial<DoseSummary> | null;
  return d !== null && typeof d === 'object' && typeof d.dose === 'number' && (d.status === 'ok' || d.status === 'failed');
}

export const overlapStep: ClusterStep = {
  name: 'overlap',
  // the lock a local `overlap` into the same root holds
  phaseLock: (ctx) => join(outputRootOption(ctx, 'outputRoot'), PHASE_D.lock),
  async start() {
    return {};
  },
  async runTask(ctx, _start, key, say) {
    const planned = planOverlap(ctx.settings, {
      phaseCRoot: pathOption(ctx.record, 'phaseCRoot'), outputRoot: outputRootOption(ctx, 'outputRoot'),
      doses: [doseOf(key)], views: viewsOption(ctx), overwrite: true,
    });
    const plan = { ...planned, earlier: new EarlierFiles(planned.outputRoot, [join(planned.outputRoot, PHASE_D.manifest)]) };
    let result: DoseSummary | null = null;
    await localExecutor().run(overlapPhase, plan, plan.jobs, (p) => say(p.message), (_job, r) => { result = r; });
    const r = result as DoseSummary | null;
    if (r === null) return { status: 'failed', error: `Phase D wrote no result for ${key}`, payload: null };
    return { status: r.status === 'ok' ? 'ok' : 'failed', error: r.error ?? null, payload: r };
  },
  async merge(ctx, _start, results, failures) {
    const plan = recordPlan(ctx);
    const summaries = results.map((r) => r.payload).filter(isSummary);
    for (const f of failures ?? []) {
      const dose = doseOf(f.key);
      summaries.push({ dose, dir: join(plan.phaseCRoot, f.key), status: 'failed', error: `SLURM task ${f.slurm_job ?? f.task}: ${f.message}`, views: {} });
    }
    writeOverlapManifest(join(plan.outputRoot, PHASE_D.manifest), plan, summaries);
    const failed = summaries.filter((s) => s.status === 'failed');
    const expected = ctx.record.tasks.length;
    const ok = summaries.filter((s) => s.status === 'ok');
    return {
      complete: failed.length === 0 && ok.length === expected,
      detail: keptPositionsText(ok) +
        (failed.length > 0 ? `${ok.length > 0 ? '; ' : ''}${failed.length} dose(s) failed: ${failed.map((d) => `dose ${doseLabel(d.dose)}: ${d.error ?? 'failed'}`).join('; ')}` : ''),
    };
  },
};
