// Scoring under rubric overrides: the task reward of one answer (weighted through the environment's own
// task rubric where it has one), and the re-scoring of a step's stored rollouts when the overrides change,
// so the page shows at once what the edited rubric would have paid and taught. Pure functions, no tensors.

import type { Env, RewardContext } from '../envs/env.ts';
import { weightedPassScore, type RubricOverrides } from '../envs/rubric.ts';
import { challengerAdvantages, solverAdvantages, solverScores, std } from '../rl/math.ts';
import type { ChallengerReward } from '../rl/config.ts';
import type { RolloutGroup } from './selfplay.ts';

export interface TaskScore {
  reward: number;
  /** Each task-rubric criterion's verdict (null where not asked); null when the task reward is not a rubric. */
  passes: Record<string, boolean | null> | null;
}

/**
 * The task reward R of an answer to a query (`parsed`, null when the query did not parse: R = 0). For an
 * environment whose task reward is a rubric, its verdicts are weighted under `overrides`; any other
 * environment's reward is its verifier's, which overrides do not touch.
 */
export function scoreTask<Q>(env: Env<Q>, parsed: Q | null, answer: string, overrides: RubricOverrides, context?: RewardContext): TaskScore {
  if (parsed === null) return { reward: 0, passes: null };
  if (env.rewardRubric && env.rewardPasses) {
    const passes = env.rewardPasses(parsed, answer, context);
    return { reward: weightedPassScore(env.rewardRubric, passes, overrides), passes };
  }
  return { reward: env.reward(parsed, answer, context), passes: null };
}

/** What the advantages depend on besides the rewards. */
export interface AdvantageSettings {
  qualityWeight: number;
  normalizeByStd: boolean;
  challengerReward: ChallengerReward;
}

/**
 * A step's rollouts re-scored under other overrides, from what each answer kept: the quality Q from its
 * stored verdicts (`passes`), the task reward R from its stored task verdicts (`rewardPasses`) where the
 * environment's task reward is a rubric, otherwise R unchanged. Advantages, group spreads and the "no
 * signal" flags follow with the same functions the trainer uses. The groups given are not changed.
 */
export function rescoreGroups(env: Env, groups: readonly RolloutGroup[], overrides: RubricOverrides, settings: AdvantageSettings): RolloutGroup[] {
  const rubricReward = env.rewardRubric !== undefined;
  const R = groups.map((g) =>
    g.answers.map((a) => (rubricReward && a.rewardPasses ? weightedPassScore(env.rewardRubric!, a.rewardPasses, overrides) : a.reward)),
  );
  const Q = groups.map((g) => g.answers.map((a) => weightedPassScore(env.rubric, a.passes, overrides)));
  const wQ = settings.qualityWeight;
  const solverAdv = solverAdvantages(R, Q, wQ, settings.normalizeByStd);
  const hasChallenger = groups.length > 0 && groups.every((g) => g.challengerAdvantage !== null);
  const challengerAdv = hasChallenger ? challengerAdvantages(R, Q, wQ, settings.challengerReward) : null;
  const groupStds = solverScores(R, Q, wQ).map((row) => std(row));
  return groups.map((g, i) => {
    const rewardStd = groupStds[i];
    return {
      ...g,
      challengerAdvantage: challengerAdv ? challengerAdv[i] : null,
      answers: g.answers.map((a, j) => ({ ...a, reward: R[i][j], quality: Q[i][j], advantage: solverAdv[i][j] })),
      rewardStd,
      zeroVariance: rewardStd < 1e-9,
    };
  });
}
