import { describe, it, expect } from 'vitest';
import { defaultRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import type { EvaluationReport } from '../src/core/train/session.ts';
import type { SolverEval } from '../src/core/train/evaluate.ts';
import { alignRuns, evaluationRows, latestHeldout, metricsPresent, runLabel, type ComparedRun } from '../src/app/viz/compare-data.ts';

const solver = (accuracy: number, byKind: SolverEval['byKind'] = []) => ({ accuracy, count: 10, byDifficulty: [], byKind });
const queries = (validRate: number, meanDifficulty: number) => ({ validRate, distinctRate: 1, meanDifficulty, samples: ['1+1'] });

function run(id: string, config: Partial<RunConfig>, rows: ComparedRun['rows'], evaluation: EvaluationReport | null = null, heldout: ComparedRun['heldout'] = []): ComparedRun {
  return { id, config: { ...defaultRunConfig(config.algorithm ?? 'lsp'), preset: 'tiny', ...config }, step: rows.at(-1)?.step ?? 0, evaluation, rows, heldout };
}

describe('overlaying runs', () => {
  const a = run('a', { algorithm: 'lsp' }, [
    { step: 1, values: { 'solver/reward': 0.1, loss: 2 } },
    { step: 2, values: { 'solver/reward': 0.2 } },
  ]);
  const b = run('b', { algorithm: 'grpo-data' }, [
    { step: 2, values: { 'solver/reward': 0.5 } },
    { step: 3, values: { 'solver/reward': Number.NaN } },
  ]);

  it('puts every run on the union of their steps, null where a run has no finite value', () => {
    expect(alignRuns([a, b], 'solver/reward')).toEqual({ steps: [1, 2, 3], columns: [[0.1, 0.2, null], [null, 0.5, null]] });
    expect(alignRuns([a, b], 'loss')).toEqual({ steps: [1, 2, 3], columns: [[2, null, null], [null, null, null]] });
    expect(alignRuns([], 'loss')).toEqual({ steps: [], columns: [] });
  });

  it('offers only the metrics some run reported, in reading order', () => {
    expect(metricsPresent([a, b]).map((m) => m.key)).toEqual(['solver/reward', 'loss']);
  });

  it('overlays the held-out series from step 0, and offers it first', () => {
    const withSeries = run('c', {}, [{ step: 1, values: { 'solver/reward': 0.3 } }], null, [
      { step: 0, values: { 'eval/accuracy': 0.25, 'eval/base_accuracy': 0.25 } },
      { step: 5, values: { 'eval/accuracy': 0.5, 'eval/base_accuracy': 0.25 } },
    ]);
    expect(metricsPresent([a, withSeries]).map((m) => m.key)).toEqual(['eval/accuracy', 'solver/reward', 'loss']);
    expect(alignRuns([a, withSeries], 'eval/accuracy', 'heldout')).toEqual({ steps: [0, 5], columns: [[null, null], [0.25, 0.5]] });
    expect(latestHeldout(withSeries)).toEqual({ step: 5, value: 0.5 });
    expect(latestHeldout(a)).toBeNull();
    // A judged environment's series: its win rate, not the accuracy beside it.
    const judged = run('w', { env: 'writing', preset: 'small' }, [], null, [{ step: 10, values: { 'eval/accuracy': 0.1, 'eval/win_rate': 0.625 } }]);
    expect(latestHeldout(judged)).toEqual({ step: 10, value: 0.625 });
  });

  it('names a run by algorithm and seed, then environment and size', () => {
    expect(runLabel({ ...defaultRunConfig('lsp-zero'), seed: 3, preset: 'tiny' })).toBe('LSP-Zero · seed 3 · arithmetic/tiny');
  });
});

describe('the evaluation table', () => {
  const evaluated = (current: number, base: number, extra: Partial<EvaluationReport> = {}): EvaluationReport => ({
    step: 20,
    current: solver(current),
    base: solver(base),
    challenger: queries(0.9, 2.5),
    baseChallenger: queries(0.8, 2),
    ...extra,
  });

  it('one Base row for runs on the same shipped base, then one row per run; GRPO has no Challenger numbers', () => {
    const rows = evaluationRows([
      run('lsp', { algorithm: 'lsp' }, [], evaluated(0.4, 0.25)),
      run('grpo', { algorithm: 'grpo-data' }, [], evaluated(0.35, 0.25)),
      run('new', { algorithm: 'lsp-zero', seed: 2 }, [], null),
    ]);
    expect(rows.map((r) => r.label)).toEqual(['Base (arithmetic/tiny)', 'LSP · seed 1 · arithmetic/tiny', 'GRPO with data · seed 1 · arithmetic/tiny', 'LSP-Zero · seed 2 · arithmetic/tiny']);
    expect(rows[0]).toMatchObject({ runIndex: null, accuracy: 0.25, validRate: 0.8, meanDifficulty: 2, winRate: null });
    expect(rows[1]).toMatchObject({ runIndex: 0, step: 20, accuracy: 0.4, validRate: 0.9, meanDifficulty: 2.5, winRate: null, evaluated: true });
    expect(rows[2]).toMatchObject({ runIndex: 1, accuracy: 0.35, validRate: null, meanDifficulty: null });
    expect(rows[3]).toMatchObject({ runIndex: 2, evaluated: false, accuracy: null, validRate: null, winRate: null });
  });

  it('writing runs show a win rate and no accuracy; their Base row wins exactly half against itself', () => {
    const byKind = [{ kind: 'use', count: 5, winRate: 0.7 }, { kind: 'avoid', count: 0, winRate: 0 }, { kind: 'free', count: 3, winRate: 0.5 }];
    const winRate = { winRate: 0.625, wins: 4, ties: 2, losses: 2, count: 8, meanReward: 0.7, baseMeanReward: 0.6, examples: [], byKind };
    const rows = evaluationRows([run('w', { env: 'writing', preset: 'small' }, [], evaluated(0.1, 0.05, { winRate }))]);
    expect(rows[0]).toMatchObject({ label: 'Base (writing/small)', accuracy: null, winRate: 0.5 });
    expect(rows[1]).toMatchObject({ accuracy: null, winRate: 0.625, winCounts: '4 / 2 / 2' });
    // Per kind: the win rate of each kind with tasks, by its title; the Base row has none (it ties itself).
    expect(rows[1].byKind).toEqual([{ title: 'use a word', value: 0.7 }, { title: 'theme and lines only', value: 0.5 }]);
    expect(rows[0].byKind).toEqual([]);
  });

  it('accuracy per task kind on the run rows and the Base row, by the kinds\' titles; none before kinds were kept', () => {
    const kinds = (sum: number, difference: number) => [{ kind: 'sum', count: 6, accuracy: sum }, { kind: 'difference', count: 4, accuracy: difference }];
    const report = evaluated(0.5, 0.3, { current: solver(0.5, kinds(0.8, 0.05)), base: solver(0.3, kinds(0.5, 0)) });
    const rows = evaluationRows([run('k', {}, [], report), run('old', { seed: 2 }, [], evaluated(0.4, 0.3))]);
    expect(rows[0].byKind).toEqual([{ title: 'sums', value: 0.5 }, { title: 'differences', value: 0 }]);
    expect(rows[1].byKind).toEqual([{ title: 'sums', value: 0.8 }, { title: 'differences', value: 0.05 }]);
    expect(rows[2].byKind).toEqual([]);
  });

  it('runs on different base models get their own Base rows; an evaluation stored before base queries were kept shows none', () => {
    const old = evaluated(0.3, 0.2);
    delete old.baseChallenger;
    const rows = evaluationRows([
      run('s1', { base: 'scratch', seed: 1 }, [], old),
      run('s2', { base: 'scratch', seed: 2 }, [], evaluated(0.3, 0.1)),
    ]);
    expect(rows.filter((r) => r.runIndex === null).map((r) => [r.label, r.accuracy, r.validRate])).toEqual([
      ['Base (arithmetic/tiny, pretrained here, seed 1)', 0.2, null],
      ['Base (arithmetic/tiny, pretrained here, seed 2)', 0.1, 0.8],
    ]);
  });
});
