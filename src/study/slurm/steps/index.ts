/**
 * The cluster step of each phase, loaded on demand: a task loads only its own phase's code (a task of
 * Phase F never loads the chart renderer Phase G's final merge needs), which keeps its start short.
 */
import type { ArrayStep } from '../records.js';
import type { ClusterStep } from './step.js';

export async function loadStep(name: ArrayStep): Promise<ClusterStep> {
  switch (name) {
    case 'generate': return (await import('./generate.js')).generateStep;
    case 'overlap': return (await import('./overlap.js')).overlapStep;
    case 'reconstruct': return (await import('./reconstruct.js')).reconstructStep;
    case 'compare': return (await import('./compare.js')).compareStep;
  }
}
