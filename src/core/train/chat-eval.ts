// Held-out measures for chat models, as plain numbers: constraint satisfaction strict and loose, at the prompt and
// the instruction level, as IFEval reports it; and the win rate against the base model when the judge (the reference
// model's item scores) decides each pair. Pure functions over strings and numbers: the answers and the judge's scores
// come from the caller.

import type { Env } from '../envs/env.ts';
import { JUDGED_EXAMPLES_KEPT, pairOutcome, winTally } from './pair-outcome.ts';

/** Strict: each constraint checked on the answer as written. Loose: on IFEval's variants of it (see Env). */
export interface StrictLoose {
  strict: number;
  loose: number;
}

/** How often held-out answers meet their instructions' constraints. */
export interface ConstraintEval {
  /** Held-out tasks that parse (the generator's always do). */
  count: number;
  /** Share of tasks whose every constraint is met (IFEval's prompt-level accuracy). */
  prompt: StrictLoose;
  /** Share of all the tasks' constraints met, each counted once (IFEval's instruction-level accuracy). */
  instruction: StrictLoose;
  /** Instruction-level, per constraint kind (only the kinds some task asks). */
  byKind: ({ kind: string; count: number } & StrictLoose)[];
}

/** The constraint verdicts of answers to queries; null for an environment without constraints. */
export function constraintEval(env: Env, queries: readonly string[], answers: readonly string[]): ConstraintEval | null {
  if (!env.constraintVerdicts) return null;
  if (answers.length !== queries.length) throw new RangeError(`constraintEval needs one answer per query (${queries.length} queries, ${answers.length} answers)`);
  const tally = { tasks: 0, promptStrict: 0, promptLoose: 0, asked: 0, strict: 0, loose: 0 };
  const kinds = new Map<string, { count: number; strict: number; loose: number }>();
  queries.forEach((query, i) => {
    const parsed = env.parseQuery(query);
    if (parsed === null) return;
    const strict = env.constraintVerdicts!(parsed, answers[i], 'strict');
    const loose = env.constraintVerdicts!(parsed, answers[i], 'loose');
    const asked = Object.keys(strict).filter((kind) => strict[kind] !== null);
    if (asked.length === 0) return;
    tally.tasks += 1;
    tally.promptStrict += asked.every((kind) => strict[kind]) ? 1 : 0;
    tally.promptLoose += asked.every((kind) => loose[kind]) ? 1 : 0;
    for (const kind of asked) {
      const bucket = kinds.get(kind) ?? { count: 0, strict: 0, loose: 0 };
      bucket.count += 1;
      bucket.strict += strict[kind] ? 1 : 0;
      bucket.loose += loose[kind] ? 1 : 0;
      kinds.set(kind, bucket);
      tally.asked += 1;
      tally.strict += strict[kind] ? 1 : 0;
      tally.loose += loose[kind] ? 1 : 0;
    }
  });
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
  return {
    count: tally.tasks,
    prompt: { strict: share(tally.promptStrict, tally.tasks), loose: share(tally.promptLoose, tally.tasks) },
    instruction: { strict: share(tally.strict, tally.asked), loose: share(tally.loose, tally.asked) },
    byKind: env.taskKinds
      .filter((kind) => kinds.has(kind.key))
      .map(({ key }) => {
        const bucket = kinds.get(key)!;
        return { kind: key, count: bucket.count, strict: bucket.strict / bucket.count, loose: bucket.loose / bucket.count };
      }),
  };
}

/** One held-out task's two answers with the judge's quality of each. */
export interface JudgedAnswers {
  query: string;
  answer: string;
  baseAnswer: string;
  quality: number;
  baseQuality: number;
}

/** The win rate against the base model when the judge decides each pair. */
export interface JudgeWinRate {
  /** (wins + ties / 2) / count: 0.5 means no better and no worse than the base model in the judge's eyes. */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  count: number;
  /** Mean judge quality of each side's answers. */
  meanQuality: number;
  baseMeanQuality: number;
  /** The first few judged pairs, for people to read. */
  examples: JudgedAnswers[];
}


/**
 * The win rate of `answers` against `baseAnswers` on the same queries when the judge's quality (the mean of its item
 * scores, in [0, 1]) decides each pair: a win, a loss, or a tie when the two are equal. Aligned arrays, one entry per
 * query.
 */
export function judgedWinRate(
  queries: readonly string[],
  answers: readonly string[],
  baseAnswers: readonly string[],
  quality: readonly number[],
  baseQuality: readonly number[],
): JudgeWinRate {
  const count = queries.length;
  if ([answers, baseAnswers, quality, baseQuality].some((list) => list.length !== count)) {
    throw new RangeError(`judgedWinRate needs one answer and one score of each side per query (${count} queries)`);
  }
  const mean = (values: readonly number[]) => (count ? values.reduce((a, b) => a + b, 0) / count : 0);
  return {
    ...winTally(quality.map((q, i) => pairOutcome(q, baseQuality[i]))),
    meanQuality: mean(quality),
    baseMeanQuality: mean(baseQuality),
    examples: queries.slice(0, JUDGED_EXAMPLES_KEPT).map((query, i) => ({ query, answer: answers[i], baseAnswer: baseAnswers[i], quality: quality[i], baseQuality: baseQuality[i] })),
  };
}

/** The chat measures as flat metrics (`eval/...`): strict and loose, prompt- and instruction-level, per kind, the
 *  base model's beside them, and the judged win rate. */
export function chatEvalMetrics(constraints: { current: ConstraintEval; base: ConstraintEval } | undefined, judge: JudgeWinRate | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (constraints) {
    for (const [prefix, result] of [['eval/', constraints.current], ['eval/base_', constraints.base]] as const) {
      for (const level of ['prompt', 'instruction'] as const) {
        for (const mode of ['strict', 'loose'] as const) out[`${prefix}${level}_${mode}`] = result[level][mode];
      }
    }
    for (const k of constraints.current.byKind) {
      out[`eval/instruction_strict_kind_${k.kind}`] = k.strict;
      out[`eval/instruction_loose_kind_${k.kind}`] = k.loose;
    }
  }
  if (judge) {
    Object.assign(out, {
      'eval/judge_win_rate': judge.winRate, 'eval/judge_wins': judge.wins, 'eval/judge_ties': judge.ties, 'eval/judge_losses': judge.losses,
      'eval/judge_quality': judge.meanQuality, 'eval/base_judge_quality': judge.baseMeanQuality,
    });
  }
  return out;
}
