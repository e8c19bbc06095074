/**
 * Fingerprints recorded in run.json (`inputs_sha256`, `outputs_sha256`): of what Phase G and the report read
 * and wrote (a resumed hub redoes either only when one of them changed), and of what Phases C and D hold (a
 * resumed hub refuses to build on a Phase C or D that another command rewrote since). A local run and a
 * cluster run record the same ones.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../../errors.js';
import { MAX_RECORD_BYTES, readJsonTextAtMost } from '../../files/bounded-read.js';
import { stableJson } from '../../settings/fingerprint.js';
import { HUB, hubRoots, jobDir, PHASE_C, PHASE_D, PHASE_F, PHASE_G, REPORT } from '../hub/layout.js';
import { readManifest } from '../hub/reconstruction-files.js';
import type { RunState } from './state.js';

const sha256 = (parts: readonly string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

/** SHA-256 of a file's bytes, or 'absent'. */
function fileSha(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'absent';
  }
}

/**
 * Every file under `dir` (but `skip`, lock files and temporaries: names starting with '.') with its size,
 * sorted: what a tree holds, cheaply. A lock held while the tree is read is not part of what it holds.
 */
function treeListing(dir: string, skip: readonly string[] = []): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try { names = readdirSync(d).sort(); } catch { return; }
    for (const name of names) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip.includes(rel) || name.startsWith('.')) continue;
      let st;
      try { st = statSync(p, { throwIfNoEntry: false }); } catch { out.push(`${rel} unreadable`); continue; } // a loop of symbolic links
      if (st?.isDirectory()) walk(p);
      else if (st) out.push(`${rel} ${st.size}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** What Phase G reads: Phase F's merged evidence and every successful reconstruction (ground truths are in the manifest's input hashes). */
export function compareInputs(hub: string): string {
  const { f } = hubRoots(hub);
  const manifest = join(f, PHASE_F.manifest);
  const parts = [fileSha(manifest), fileSha(join(f, PHASE_F.skipSummary))];
  for (const r of readManifest(manifest)?.execution_results ?? []) {
    if (r.status === 'success') parts.push(fileSha(join(jobDir(f, r), PHASE_F.reconstruction)));
  }
  return sha256(parts);
}

export function compareOutputs(hub: string): string {
  const { g } = hubRoots(hub);
  return sha256([fileSha(join(g, PHASE_G.summaryJson)), treeListing(g, [PHASE_G.runs])]);
}

/** What the report reads: the hub's records and every phase's evidence (the arrays they describe are fingerprinted in them). */
export function reportInputs(hub: string, state: RunState): string {
  const r = hubRoots(hub);
  const { report: _own, ...phases } = state.phases;
  return sha256([
    stableJson({ settings: state.settings, phases }), fileSha(join(hub, HUB.design)), fileSha(join(hub, HUB.settings)),
    fileSha(join(r.c, PHASE_C.manifest)), fileSha(join(r.d, PHASE_D.manifest)), fileSha(join(r.f, PHASE_F.manifest)),
    fileSha(join(r.f, PHASE_F.skipSummary)), compareOutputs(hub),
  ]);
}

export function reportOutputs(hub: string): string {
  const { report } = hubRoots(hub);
  return sha256([fileSha(join(report, REPORT.index)), treeListing(join(report, REPORT.images))]);
}

/** Whether Phase G's record in `state` names what it reads and wrote now (a resume then skips it). */
export function compareUnchanged(hub: string, state: RunState): boolean {
  const p = state.phases.compare;
  return p?.inputs_sha256 === compareInputs(hub) && p.outputs_sha256 === compareOutputs(hub);
}

/** Whether the report's record in `state` names what it reads and wrote now (a resume then skips it). */
export function reportUnchanged(hub: string, state: RunState): boolean {
  const p = state.phases.report;
  return p?.inputs_sha256 === reportInputs(hub, state) && p.outputs_sha256 === reportOutputs(hub);
}

/**
 * Keys of the Phase C and D manifests that say when, where, by which version or how fast they were written,
 * not what data the phase holds: left out of their content fingerprints, so that a copied hub, or the same
 * phase run again with the same settings (the same bytes of data), keeps its fingerprint. `provenance` holds
 * where each setting given came from (`settings_origin`) too: the same settings given by flags or by a settings file
 * (the hub's settings.json, as the refusal of a rewritten root says to remake it) make the same data.
 */
const CIRCUMSTANCE_KEYS = new Set(['updated_utc', 'generated_utc', 'seconds', 'provenance', 'ptychostudy_version', 'tool', 'doses_this_run']);

function withoutCircumstances(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutCircumstances);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !CIRCUMSTANCE_KEYS.has(k)).map(([k, x]) => [k, withoutCircumstances(x)]));
}

/**
 * What a phase root's manifest says it holds: seeds, counts, per-dose statistics, file names. (Not a listing of
 * the root: a file someone put beside the data, a note, is no change of what the phase made.)
 */
function manifestContent(root: string, manifest: string): string {
  try {
    return sha256([stableJson(withoutCircumstances(JSON.parse(readJsonTextAtMost(join(root, manifest), MAX_RECORD_BYTES, 'a record'))))]);
  } catch (err) {
    if (err instanceof InputError) throw err; // past the bound: not read, and not hashed whole either
    return fileSha(join(root, manifest)); // absent or not JSON: its bytes (the phase's own check refuses it)
  }
}

/** What Phase C holds, as run.json records it when the phase completes: another generation into the root changes it. */
export function phaseCContent(hub: string): string {
  return manifestContent(hubRoots(hub).c, PHASE_C.manifest);
}

/** What Phase D holds (the views' seeds, spacings, counts and files). */
export function phaseDContent(hub: string): string {
  return manifestContent(hubRoots(hub).d, PHASE_D.manifest);
}
