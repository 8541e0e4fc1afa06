// Held-out measures for chat models against hand-counted values: IFEval's strict and loose accuracy at the prompt and
// the instruction level, per constraint kind, and the win rate when the judge's quality decides each pair.

import { describe, expect, it } from 'vitest';
import { arithmeticEnv } from '../src/core/envs/arithmetic.ts';
import { instructionsEnv } from '../src/core/envs/instructions/index.ts';
import { chatEvalMetrics, constraintEval, judgedWinRate } from '../src/core/train/chat-eval.ts';

const queries = [
  'Write about tea in all lowercase letters and without any commas.', // lowercase, no_commas
  'Describe tea. Start your answer with "Dear reader".', // starts_with
  'Describe the sea in at most 10 words.', // word_count
  'not an instruction ###', // does not parse: not counted
];
const answers = [
  'tea is warm, and green.', // lowercase met, no_commas missed (strict and loose)
  '**Dear reader**, tea is nice.', // starts_with: missed strictly, met loosely (emphasis removed)
  'The sea is wide and calm.', // 6 words: met
  'anything',
];

describe('constraint satisfaction, strict and loose', () => {
  it('counts prompts whose every constraint is met, and constraints met, as IFEval does (hand-counted)', () => {
    const result = constraintEval(instructionsEnv, queries, answers)!;
    expect(result.count).toBe(3);
    // Prompts: strictly only the sea one (1 of 3); loosely the tea-reader one too (2 of 3).
    expect(result.prompt.strict).toBeCloseTo(1 / 3, 12);
    expect(result.prompt.loose).toBeCloseTo(2 / 3, 12);
    // Constraints: lowercase, no_commas, starts_with, word_count: 2 of 4 strictly, 3 of 4 loosely.
    expect(result.instruction).toEqual({ strict: 0.5, loose: 0.75 });
    expect(result.byKind).toEqual([
      { kind: 'word_count', count: 1, strict: 1, loose: 1 },
      { kind: 'lowercase', count: 1, strict: 1, loose: 1 },
      { kind: 'no_commas', count: 1, strict: 0, loose: 0 },
      { kind: 'starts_with', count: 1, strict: 0, loose: 1 },
    ]);
  });

  it('is null for an environment without constraints, and refuses misaligned answers', () => {
    expect(constraintEval(arithmeticEnv, ['001+002'], ['3'])).toBeNull();
    expect(() => constraintEval(instructionsEnv, queries, answers.slice(1))).toThrow(RangeError);
  });
});

describe('win rate judged by the judge', () => {
  it('wins, ties and losses by the judge quality of each pair (hand-counted)', () => {
    const result = judgedWinRate(['a', 'b', 'c'], ['x', 'y', 'z'], ['u', 'y', 'w'], [0.8, 0.5, 0.2], [0.6, 0.5, 0.4]);
    expect(result).toMatchObject({ wins: 1, ties: 1, losses: 1, count: 3, winRate: 0.5 });
    expect(result.meanQuality).toBeCloseTo(0.5, 12);
    expect(result.baseMeanQuality).toBeCloseTo(0.5, 12);
    expect(result.examples[0]).toEqual({ query: 'a', answer: 'x', baseAnswer: 'u', quality: 0.8, baseQuality: 0.6 });
    expect(judgedWinRate(['a', 'b'], ['x', 'y'], ['u', 'v'], [0.9, 0.9], [0.1, 0.2]).winRate).toBe(1);
    expect(() => judgedWinRate(['a'], ['x'], ['u'], [0.5, 0.5], [0.5])).toThrow(RangeError);
  });

  it('become flat eval/ metrics beside the base model', () => {
    const current = constraintEval(instructionsEnv, queries, answers)!;
    const base = constraintEval(instructionsEnv, queries, ['Tea is warm.', 'Dear reader, tea.', 'no', ''])!;
    const metrics = chatEvalMetrics({ current, base }, judgedWinRate(['a'], ['x'], ['u'], [0.7], [0.3]));
    expect(metrics).toMatchObject({
      'eval/prompt_strict': 1 / 3, 'eval/prompt_loose': 2 / 3, 'eval/instruction_strict': 0.5, 'eval/instruction_loose': 0.75,
      'eval/base_prompt_strict': base.prompt.strict, 'eval/instruction_loose_kind_starts_with': 1, 'eval/instruction_strict_kind_starts_with': 0,
      'eval/judge_win_rate': 1, 'eval/judge_wins': 1, 'eval/judge_quality': 0.7, 'eval/base_judge_quality': 0.3,
    });
    expect(chatEvalMetrics(undefined, undefined)).toEqual({});
  });
});
