// The cadence of the Solver's answers at the first step seen in a run and at the latest one, so the page can
// show how training changed their rhythm. Fed by the page with each step's groups; holds only two summaries.

import { stepCadence, type StepCadence } from '../../core/analysis/cadence-summary.ts';
import type { RolloutGroup } from '../../core/train/rollouts.ts';

export class CadenceTrack {
  first = $state.raw<StepCadence | null>(null);
  latest = $state.raw<StepCadence | null>(null);
  private runId = '';

  /** Takes a step's groups; another run, or a step before the first one (a reset), starts the track again. */
  observe(runId: string, step: number, groups: readonly RolloutGroup[]): void {
    if (runId !== this.runId || (this.first && step < this.first.step)) {
      this.runId = runId;
      this.first = null;
      this.latest = null;
    }
    const cadence = stepCadence(step, groups);
    if (!cadence) return;
    this.latest = cadence;
    if (!this.first) this.first = cadence;
  }
}
