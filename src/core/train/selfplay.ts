// The self-play trainer: one step samples Challenger queries (or, for GRPO with data, takes them from the
// environment's generator), samples G Solver answers each, scores them, computes both roles' advantages and
// updates the one policy. It reports through its return values only; it does no I/O. The parts live beside it:
// rollouts.ts (scores, advantages, groups), update.ts (the batch, reference pass and chunked updates),
// step-metrics.ts (the metrics), rl/ (the math and the loss).

import * as tf from '@tensorflow/tfjs';
import type { Env } from '../envs/env.ts';
import type { RubricOverrides } from '../envs/rubric.ts';
import { samplingReadout } from '../model/readout.ts';
import type { Runnable } from '../model/family.ts';
import type { WeightInit } from '../model/weight-layout.ts';
import type { Policy } from '../model/policy.ts';
import { sampleBatch, type SampledRow } from '../model/sample.ts';
import { cloneParams, readWeights, assignWeights } from '../model/weights.ts';
import { Rng, type RngState } from '../random.ts';
import { validateLspConfig, type LspConfig } from '../rl/config.ts';
import { aggregationScale } from '../rl/math.ts';
import { Adam, type AdamState } from './optimizer.ts';
import type { Sequence } from './batch.ts';
import { MAX_CHUNK_ROWS_X_COLS_SQUARED } from './chunks.ts';
import { readCompletionSurprisal } from './surprisal.ts';
import { spreadOverCharacters } from '../analysis/character-surprisal.ts';
import { buildGroups, scoreStep, stepAdvantages, type JudgeReading, type RolloutGroup, type SampledStep } from './rollouts.ts';
import { judgeMetrics, stepMetrics, type Role } from './step-metrics.ts';
import type { ModelJudge } from './judge-model.ts';
import { StepBatch, type UpdateResult } from './update.ts';

export interface StepReport {
  step: number;
  metrics: Record<string, number>;
  groups: RolloutGroup[];
}

/** Everything needed to continue a run exactly: the trained weights (every weight of a built-in model, the
 *  adapters of a LoRA one), the reference (a built-in model's frozen copy; empty under LoRA, whose reference is the
 *  base model itself), optimizer, random state, step. */
export interface TrainerState {
  step: number;
  weights: Record<string, WeightInit>;
  reference: Record<string, WeightInit>;
  optimizer: AdamState;
  rng: RngState;
}

/** Seconds since `start` (a performance.now() reading). */
function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The step's sequences in batch order (Challenger rows first, when trained), with each row's role, loss
 *  weight and aggregation scale. */
interface PackedRollouts {
  sequences: Sequence[];
  roles: Role[];
  roleWeights: number[];
  scales: number[];
  /** Index of the first Solver row. */
  firstSolverRow: number;
}

export class SelfPlayTrainer {
  step = 0;
  /** pi_ref: the base model with the adapters off (LoRA), or a frozen copy the trainer owns (built-in). */
  private readonly reference: Runnable;
  private readonly ownsReference: boolean;
  private readonly adam: Adam;
  private rng: Rng;
  /** Rows x cols^2 per update chunk (see MAX_CHUNK_ROWS_X_COLS_SQUARED); a smaller budget only costs speed. */
  chunkBudget = MAX_CHUNK_ROWS_X_COLS_SQUARED;

  constructor(
    readonly policy: Policy,
    readonly env: Env,
    readonly config: LspConfig,
    seed: number,
    private rubric: RubricOverrides = {},
    /** The reference model as judge: when given, it gives the quality self-reward Q instead of the rubric. */
    private readonly judge: ModelJudge | null = null,
  ) {
    validateLspConfig(config);
    const base = policy.baseView();
    this.ownsReference = base === null;
    this.reference = base ?? { model: policy.model, weights: { params: cloneParams(policy.params), lora: null } }; // frozen at the start of self-play
    this.adam = new Adam(policy.trainable);
    this.rng = new Rng(seed);
  }

  /** New rubric overrides (already validated for this env), applied from the next step on. */
  setRubric(overrides: RubricOverrides): void {
    this.rubric = overrides;
  }

  /** One self-play step. Base (no training) is rejected: it is an evaluation reference only. */
  async runStep(): Promise<StepReport> {
    const { env, policy, config } = this;
    if (config.algorithm === 'base') throw new Error('the base algorithm does not train; evaluate the base model instead');
    const stepStart = performance.now();
    const readout = samplingReadout(config.temperature, policy.codec.bannedTokens);

    // 1-2. Challenger queries (or the generator's), then G Solver answers to each, all in one batch.
    const queries = await this.proposeQueries();
    const answers = await this.sampleAnswers(queries.texts);
    const generated = secondsSince(stepStart);

    // 3. The batch and its reference pass. It comes before the rewards because the reference's log-probs give
    // each answer's surprisal, which a task reward may judge (writing's cadence criterion).
    const rollouts = this.packRollouts(queries, answers);
    const batch = new StepBatch(rollouts.sequences, this.chunkBudget, policy.lora ? policy.model.arch : null);
    try {
      let phaseStart = performance.now();
      const { refLogp, refModelLogp } = await batch.referencePass(this.reference, readout, config.updatesPerBatch > 1 ? policy : null);
      const referenced = secondsSince(phaseStart);

      // 4. Task reward R and quality self-reward Q of every answer, then 5. both roles' advantages.
      const sampled: SampledStep = {
        queries: queries.texts.map((text, i) => ({ text, finished: queries.rows ? queries.rows[i].finished : true })),
        answers: answers.map((row, answerIndex) => ({
          text: policy.codec.decodeCompletion(row.tokens),
          finished: row.finished,
          surprisal: spreadOverCharacters(readCompletionSurprisal(batch.packed, refModelLogp, rollouts.firstSolverRow + answerIndex), policy.codec.characterCounts(row.tokens)),
        })),
        groupSize: config.groupSize,
      };
      phaseStart = performance.now();
      const judged = await this.judgeAnswers(sampled);
      const judging = secondsSince(phaseStart);
      const scores = scoreStep(env, sampled, this.rubric, judged);
      const advantages = stepAdvantages(scores.reward, scores.quality, config, queries.rows !== null);
      const rowAdvantages = rollouts.roles.map((role, row) => {
        const answerIndex = row - rollouts.firstSolverRow; // Solver rows follow the Challenger's, in answer order
        if (role === 'challenger') return advantages.challenger![row];
        return advantages.solver[Math.floor(answerIndex / config.groupSize)][answerIndex % config.groupSize];
      });

      // 6. Updates: each sums the chunks' gradients, then takes one optimizer step.
      phaseStart = performance.now();
      const updates: UpdateResult[] = [];
      for (let pass = 0; pass < config.updatesPerBatch; pass++) {
        updates.push(await batch.update(policy, policy.trainable, readout, { advantages: rowAdvantages, scales: rollouts.scales, roleWeights: rollouts.roleWeights }, config, this.adam, config, this.step + 1));
      }
      const updated = secondsSince(phaseStart);
      this.step += 1;

      // 7. Metrics and the groups the page shows.
      const [first, last] = [updates[0], updates[updates.length - 1]];
      const metrics = stepMetrics(
        env,
        config,
        scores,
        advantages,
        { roles: rollouts.roles, advantages: rowAdvantages, cols: batch.packed.cols, mask: batch.packed.mask },
        { refLogp, firstLogp: first.logp, firstEntropy: first.entropy, lastLogp: last.logp, loss: first.loss, gradNorm: first.gradNorm },
        { queryTexts: queries.texts, answerLengths: answers.map((row) => row.tokens.length), queryLengths: queries.rows?.map((row) => row.tokens.length) ?? null },
        { generate: generated, reference: referenced, update: updated, step: secondsSince(stepStart) },
      );
      if (judged) Object.assign(metrics, judgeMetrics(scores), { 'timing/judge_s': judging });
      return { step: this.step, metrics, groups: buildGroups(env, sampled, scores, advantages) };
    } finally {
      batch.dispose();
    }
  }

  /** The judge's item scores of every (query, answer) pair, or null when the rubric gives Q. */
  private async judgeAnswers(sampled: SampledStep): Promise<JudgeReading | null> {
    if (!this.judge) return null;
    const pairs = sampled.answers.map((answer, k) => ({ instruction: sampled.queries[Math.floor(k / sampled.groupSize)].text, response: answer.text }));
    return { items: this.judge.items, scores: await this.judge.scorePairs(pairs) };
  }

  private sampleOptions(maxNewTokens: number) {
    const { temperature, topK, topP } = this.config;
    return { temperature, topK, topP, maxNewTokens, checkEvery: 4 };
  }

  /** Queries for this step: the Challenger's, or the generator's for GRPO with data. */
  private async proposeQueries(): Promise<{ texts: string[]; rows: SampledRow[] | null }> {
    const { env, policy, config } = this;
    if (config.algorithm === 'grpo-data') {
      return { texts: Array.from({ length: config.numQueries }, () => env.sample(this.rng, 'train').query), rows: null };
    }
    const { codec } = policy;
    const prompts = Array.from({ length: config.numQueries }, () => codec.challengerPrompt(env));
    const rows = await sampleBatch(policy, prompts, this.sampleOptions(codec.completionBudget(env, 'challenger')), codec, this.rng);
    return { texts: rows.map((row) => codec.decodeCompletion(row.tokens)), rows };
  }

  /** G answers to each query, in query order. */
  private async sampleAnswers(queries: readonly string[]): Promise<SampledRow[]> {
    const { env, policy, config } = this;
    const { codec } = policy;
    const prompts = queries.flatMap((query) => Array.from({ length: config.groupSize }, () => codec.solverPrompt(env, query)));
    return sampleBatch(policy, prompts, this.sampleOptions(codec.completionBudget(env, 'solver')), codec, this.rng);
  }

  /** Challenger sequences first (when its loss has weight), then the Solver's: each with its role weight
   *  (alphaCh / N per Challenger row, 1 / (N G) per Solver row) and aggregation scale. */
  private packRollouts(queries: { texts: string[]; rows: SampledRow[] | null }, answers: readonly SampledRow[]): PackedRollouts {
    const { env, policy, config } = this;
    const out: PackedRollouts = { sequences: [], roles: [], roleWeights: [], scales: [], firstSolverRow: 0 };
    const add = (role: Role, prompt: number[], completion: number[], weight: number, budget: number) => {
      out.sequences.push({ prompt, completion });
      out.roles.push(role);
      out.roleWeights.push(weight);
      out.scales.push(aggregationScale(config.aggregation, completion.length, budget));
    };
    const { codec } = policy;
    if (queries.rows && config.challengerWeight > 0) {
      for (const row of queries.rows) add('challenger', codec.challengerPrompt(env), row.tokens, config.challengerWeight / config.numQueries, codec.completionBudget(env, 'challenger'));
    }
    out.firstSolverRow = out.sequences.length;
    answers.forEach((row, answerIndex) => {
      const query = queries.texts[Math.floor(answerIndex / config.groupSize)];
      add('solver', codec.solverPrompt(env, query), row.tokens, 1 / (config.numQueries * config.groupSize), codec.completionBudget(env, 'solver'));
    });
    return out;
  }

  async getState(): Promise<TrainerState> {
    return {
      step: this.step,
      weights: await readWeights(this.policy.trainable),
      reference: this.ownsReference ? await readWeights(this.reference.weights.params) : {},
      optimizer: await this.adam.getState(),
      rng: this.rng.state,
    };
  }

  /** Restores a state saved by getState (same model shape). */
  setState(state: TrainerState): void {
    assignWeights(this.policy.trainable, state.weights);
    if (this.ownsReference) {
      const params = this.reference.weights.params;
      for (const [name, tensor] of Object.entries(params)) {
        const saved = state.reference[name];
        if (!saved) throw new Error(`the saved state has no reference weight "${name}"`);
        tensor.dispose();
        params[name] = tf.tensor(saved.values, saved.shape);
      }
    }
    this.adam.setState(state.optimizer);
    this.rng = new Rng(state.rng);
    this.step = state.step;
  }

  dispose(): void {
    if (this.ownsReference) tf.dispose(Object.values(this.reference.weights.params));
    this.adam.dispose();
  }
}
