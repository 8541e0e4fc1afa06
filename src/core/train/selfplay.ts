// The self-play trainer: one step samples Challenger queries (or, for GRPO with data, takes them from the
// environment's generator), samples G Solver answers each, scores them, computes both roles' advantages and
// updates the one policy. It reports through its return values only; it does no I/O.

import * as tf from '@tensorflow/tfjs';
import type { Env } from '../envs/env.ts';
import { rubricPasses, weightedPassScore, type RubricOverrides } from '../envs/rubric.ts';
import { forward, pickLogProbs, samplingReadout, tokenLogProbs, type Params, type WeightInit } from '../model/gpt.ts';
import type { Policy } from '../model/policy.ts';
import { sampleBatch, type SampledRow } from '../model/sample.ts';
import { cloneParams, readWeights, assignWeights } from '../model/weights.ts';
import { Rng, type RngState } from '../random.ts';
import { validateLspConfig, type LspConfig } from '../rl/config.ts';
import { aggregationScale, challengerAdvantages, challengerScores, invalidPremium, klEstimate, isClipped, mean, sequenceRatio, solverAdvantages, solverScores, std } from '../rl/math.ts';
import { selfPlayLoss } from '../rl/loss.ts';
import { Adam, type AdamState } from './optimizer.ts';
import { scoreTask } from './rescore.ts';
import { batchTensors, chunkRanges, completionSurprisal, MAX_CHUNK_ROWS_X_COLS_SQUARED, packSequences, sliceRows, type Sequence } from './batch.ts';
import type { LossInputs } from '../rl/loss.ts';

/** Rubric overrides: criteria switched off and re-weighted (part of a run's configuration). */
export type { RubricOverrides } from '../envs/rubric.ts';

export interface SolverAnswer {
  text: string;
  finished: boolean;
  reward: number;
  quality: number;
  advantage: number;
  passes: Record<string, boolean>;
  /** The task rubric's verdicts (null where not asked), for environments whose task reward is a rubric. */
  rewardPasses?: Record<string, boolean | null>;
  /**
   * Surprisal -log p_ref (nats) of each answer token under the frozen reference model, in order: one per
   * character of `text`, then one for the end token when `finished` (so length = text.length + (finished ? 1 : 0)).
   */
  surprisal: number[];
}

/** One Challenger query and its group of G Solver answers. */
export interface RolloutGroup {
  query: string;
  valid: boolean;
  difficulty: number | null;
  /** The Challenger's advantage for this query (null for GRPO with data, where there is no Challenger). */
  challengerAdvantage: number | null;
  answers: SolverAnswer[];
  rewardStd: number;
  /** All answers scored the same: this group teaches the Solver nothing. */
  zeroVariance: boolean;
}

export interface StepReport {
  step: number;
  metrics: Record<string, number>;
  groups: RolloutGroup[];
}

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** Everything needed to continue a run exactly: weights, reference, optimizer, random state, step. */
export interface TrainerState {
  step: number;
  weights: Record<string, WeightInit>;
  reference: Record<string, WeightInit>;
  optimizer: AdamState;
  rng: RngState;
}

/** Rows [start, end) of the step's batch, with their tensors. */
interface Chunk {
  start: number;
  end: number;
  inputs: tf.Tensor2D;
  targets: tf.Tensor2D;
  mask: tf.Tensor2D;
  refLogp: tf.Tensor2D | null;
  oldLogp: tf.Tensor2D | null;
  lossInputs?: LossInputs;
}

/** Gradients summed key by key; disposes both inputs. */
function addGradients(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const sum = tf.tidy(() => Object.fromEntries(Object.entries(a).map(([name, g]) => [name, g.add(b[name])])));
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  return sum;
}

interface Timer {
  generate: number;
  reference: number;
  update: number;
}

export class SelfPlayTrainer {
  step = 0;
  private readonly reference: Params;
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
  ) {
    validateLspConfig(config);
    this.reference = cloneParams(policy.vars); // pi_ref: frozen at the start of self-play
    this.adam = new Adam(policy.vars);
    this.rng = new Rng(seed);
  }

  /** New rubric overrides (already validated for this env), applied from the next step on. */
  setRubric(overrides: RubricOverrides): void {
    this.rubric = overrides;
  }

  private sampleOptions(maxNewTokens: number) {
    const c = this.config;
    return { temperature: c.temperature, topK: c.topK, topP: c.topP, maxNewTokens, checkEvery: 4 };
  }

  /** Queries for this step: the Challenger's, or the generator's for GRPO with data. */
  private async proposeQueries(): Promise<{ texts: string[]; rows: SampledRow[] | null }> {
    const { env, policy, config } = this;
    if (config.algorithm === 'grpo-data') {
      return { texts: Array.from({ length: config.numQueries }, () => env.sample(this.rng, 'train').query), rows: null };
    }
    const prompts = Array.from({ length: config.numQueries }, () => policy.tokenizer.challengerPrompt());
    const rows = await sampleBatch(policy.vars, policy.config, prompts, this.sampleOptions(env.maxQueryLength + 1), this.rng);
    return { texts: rows.map((r) => policy.tokenizer.decode(r.tokens)), rows };
  }

  /** One self-play step. Base (no training) is rejected: it is an evaluation reference only. */
  async runStep(): Promise<StepReport> {
    const { env, policy, config } = this;
    if (config.algorithm === 'base') throw new Error('the base algorithm does not train; evaluate the base model instead');
    const tok = policy.tokenizer;
    const N = config.numQueries;
    const G = config.groupSize;
    const time: Timer = { generate: 0, reference: 0, update: 0 };
    const stepStart = performance.now();

    // 1-2. Challenger queries, then G Solver answers to each, all in one batch.
    let t0 = performance.now();
    const queries = await this.proposeQueries();
    const solverPrompts = queries.texts.flatMap((q) => Array.from({ length: G }, () => tok.solverPrompt(q)));
    const answers = await sampleBatch(policy.vars, policy.config, solverPrompts, this.sampleOptions(env.maxAnswerLength + 1), this.rng);
    time.generate = (performance.now() - t0) / 1000;

    // 3. The batch: Challenger sequences first (if trained), then Solver sequences. It is packed before the
    // rewards are known because its reference log-probs give each answer's surprisal, which a task reward
    // may judge (writing's cadence criterion); the advantages join it in step 5.
    const trainChallenger = queries.rows !== null && config.challengerWeight > 0;
    const seqs: Sequence[] = [];
    const scales: number[] = [];
    const roleWeights: number[] = [];
    const roles: ('challenger' | 'solver')[] = [];
    if (queries.rows && trainChallenger) {
      queries.rows.forEach((row) => {
        seqs.push({ prompt: tok.challengerPrompt(), completion: row.tokens });
        scales.push(aggregationScale(config.aggregation, row.tokens.length, env.maxQueryLength + 1));
        roleWeights.push(config.challengerWeight / N);
        roles.push('challenger');
      });
    }
    const firstSolverRow = seqs.length;
    answers.forEach((row, k) => {
      seqs.push({ prompt: solverPrompts[k], completion: row.tokens });
      scales.push(aggregationScale(config.aggregation, row.tokens.length, env.maxAnswerLength + 1));
      roleWeights.push(1 / (N * G));
      roles.push('solver');
    });
    const packed = packSequences(seqs);
    const cols = packed.cols;
    // The batch is processed in row chunks small enough for the backend's memory (see chunkRanges); the loss
    // is a sum over rows, so the chunks' gradients add up to the whole batch's.
    const chunks: Chunk[] = chunkRanges(packed.rows, cols, this.chunkBudget).map(([start, end]) => ({
      start,
      end,
      ...batchTensors(sliceRows(packed, start, end)),
      refLogp: null,
      oldLogp: null,
    }));
    const releaseBatch = () => tf.dispose(chunks.flatMap((c) => [c.inputs, c.targets, c.mask, ...(c.refLogp ? [c.refLogp] : []), ...(c.oldLogp ? [c.oldLogp] : [])]));

    // Reference (and, for several updates, sampling-policy) log-probabilities: no gradient. Both are read under
    // the distribution the rollouts were sampled from (tempered), so the update and its KL are on-policy; the
    // answers' surprisal, which a task reward may judge, is read from the same reference logits untempered.
    t0 = performance.now();
    const readout = samplingReadout(config.temperature);
    const refArr = new Float32Array(packed.rows * cols); // tempered reference log-probs, [S, T]
    const refModelArr = new Float32Array(packed.rows * cols); // the reference model's own log-probs, [S, T]
    try {
      for (const c of chunks) {
        const [refLogp, refModelLogp] = tf.tidy(() => {
          const logits = forward(this.reference, policy.config, c.inputs); // [rows*T, V]
          const targets = c.targets.reshape([-1]) as tf.Tensor1D; // [rows*T]
          const shape: [number, number] = [c.end - c.start, cols];
          return [pickLogProbs(logits, targets, readout).logp.reshape(shape), pickLogProbs(logits, targets).logp.reshape(shape)] as tf.Tensor2D[];
        });
        c.refLogp = refLogp;
        if (config.updatesPerBatch > 1) c.oldLogp = tf.tidy(() => tokenLogProbs(policy.vars, policy.config, c.inputs, c.targets, readout).logp);
        try {
          refArr.set((await refLogp.data()) as Float32Array, c.start * cols);
          refModelArr.set((await refModelLogp.data()) as Float32Array, c.start * cols);
        } finally {
          refModelLogp.dispose();
        }
      }
    } catch (err) {
      releaseBatch();
      throw err;
    }
    time.reference = (performance.now() - t0) / 1000;
    const surprisal = answers.map((_, k) => completionSurprisal(packed, refModelArr, firstSolverRow + k));

    // 4. Task reward R and quality self-reward Q for every answer. Pure functions of strings and numbers:
    // a bad rubric override throws here, so the tensors made above are released on the way out.
    const parsed = queries.texts.map((q) => env.parseQuery(q));
    const R: number[][] = [];
    const Q: number[][] = [];
    const passes: Record<string, boolean>[][] = [];
    const taskPasses: (Record<string, boolean | null> | null)[][] = [];
    try {
      queries.texts.forEach((query, i) => {
        R.push([]);
        Q.push([]);
        passes.push([]);
        taskPasses.push([]);
        for (let j = 0; j < G; j++) {
          const row = answers[i * G + j];
          const answer = tok.decode(row.tokens);
          const p = parsed[i];
          const answerSurprisal = surprisal[i * G + j];
          const task = scoreTask(env, p, answer, this.rubric, { surprisal: answerSurprisal });
          R[i].push(task.reward);
          taskPasses[i].push(task.passes);
          const ctx = { query, answer, answerFinished: row.finished, queryFinished: queries.rows ? queries.rows[i].finished : true, batchQueries: queries.texts, surprisal: answerSurprisal };
          passes[i].push(rubricPasses(env.rubric, ctx));
          Q[i].push(weightedPassScore(env.rubric, passes[i][j], this.rubric));
        }
      });
    } catch (err) {
      releaseBatch();
      throw err;
    }

    // 5. Advantages for both roles, in the batch's row order.
    const wQ = config.qualityWeight;
    const solverAdv = solverAdvantages(R, Q, wQ, config.normalizeByStd);
    const challengerAdv = queries.rows ? challengerAdvantages(R, Q, wQ, config.challengerReward) : null;
    const advantages: number[] = [
      ...(trainChallenger && challengerAdv ? challengerAdv : []),
      ...answers.map((_, k) => solverAdv[Math.floor(k / G)][k % G]),
    ];

    // 6. Updates: each one sums the chunks' losses and gradients, then takes one optimizer step.
    t0 = performance.now();
    let lossValue = 0;
    let gradNorm = 0;
    let firstLogp: Float32Array = new Float32Array(0); // sampling policy, for KL and entropy metrics
    let firstEntropy: Float32Array = new Float32Array(0);
    let lastLogp: Float32Array = new Float32Array(0); // last update's policy, for the clip ratio
    const varList = Object.values(policy.vars);
    const lastUpdate = config.updatesPerBatch - 1;
    const perRow = (values: number[], c: Chunk) => tf.tensor1d(values.slice(c.start, c.end));
    try {
      for (const c of chunks) {
        c.lossInputs = { mask: c.mask, advantages: perRow(advantages, c), scales: perRow(scales, c), roleWeights: perRow(roleWeights, c), refLogp: c.refLogp!, oldLogp: c.oldLogp };
      }
      for (let u = 0; u <= lastUpdate; u++) {
        const logpNow = new Float32Array(packed.rows * cols);
        const entNow = new Float32Array(packed.rows * cols);
        let lossNow = 0;
        let grads: Record<string, tf.Tensor> | null = null; // summed over the chunks so far
        try {
          for (const c of chunks) {
            const seen: tf.Tensor[] = [];
            const { value, grads: chunkGrads } = tf.variableGrads(() => {
              const { logp, entropy } = tokenLogProbs(policy.vars, policy.config, c.inputs, c.targets, readout);
              seen.push(tf.keep(logp.clone()), tf.keep(entropy.clone()));
              return selfPlayLoss(logp, c.lossInputs!, config).loss;
            }, varList);
            try {
              lossNow += (await value.data())[0];
              const [logp, entropy] = (await Promise.all(seen.map((t) => t.data()))) as Float32Array[];
              logpNow.set(logp, c.start * cols);
              entNow.set(entropy, c.start * cols);
            } finally {
              tf.dispose([value, ...seen]);
              grads = grads === null ? chunkGrads : addGradients(grads, chunkGrads);
            }
          }
          if (!Number.isFinite(lossNow)) {
            throw new NonFiniteLossError(`the loss became ${lossNow} at step ${this.step + 1}; the weights were not updated. Lower the learning rate or the KL weight.`);
          }
          const norm = this.adam.apply(grads!, config.learningRate, config.maxGradNorm);
          const normValue = (await norm.data())[0];
          norm.dispose();
          if (u === 0) {
            lossValue = lossNow;
            gradNorm = normValue;
            firstLogp = logpNow;
            firstEntropy = entNow;
          }
          if (u === lastUpdate) lastLogp = logpNow;
        } finally {
          if (grads !== null) tf.dispose(Object.values(grads as Record<string, tf.Tensor>));
        }
      }
    } finally {
      releaseBatch();
      tf.dispose(chunks.flatMap((c) => (c.lossInputs ? [c.lossInputs.advantages, c.lossInputs.scales, c.lossInputs.roleWeights] : [])));
    }
    time.update = (performance.now() - t0) / 1000;
    this.step += 1;

    // Metrics (TRL-style names, by role) from what was read back.
    const tokenStats = (role: 'challenger' | 'solver') => {
      const kls: number[] = [];
      const ents: number[] = [];
      let clipped = 0;
      let units = 0; // tokens (PPO) or sequences (GSPO) that could be clipped
      seqs.forEach((_, s) => {
        if (roles[s] !== role) return;
        const cur: number[] = [];
        const old: number[] = [];
        for (let t = 0; t < cols; t++) {
          const k = s * cols + t;
          if (packed.mask[k] === 0) continue;
          kls.push(klEstimate(config.klEstimator, firstLogp[k], refArr[k]));
          ents.push(firstEntropy[k]);
          cur.push(lastLogp[k]);
          old.push(firstLogp[k]);
        }
        if (config.updatesPerBatch === 1) return; // one update: the ratio is exactly 1
        if (config.clipMode === 'sequence') {
          units += 1;
          if (isClipped(sequenceRatio(cur, old), advantages[s], config.clipEpsilon)) clipped += 1;
        } else {
          cur.forEach((l, t) => {
            units += 1;
            if (isClipped(Math.exp(l - old[t]), advantages[s], config.clipEpsilon)) clipped += 1;
          });
        }
      });
      return { kl: mean(kls), entropy: mean(ents), clipRatio: units ? clipped / units : 0 };
    };
    const solverStats = tokenStats('solver');
    const groupStds = solverScores(R, Q, wQ).map((row) => std(row));
    const validRate = parsed.filter((p) => p !== null).length / N;
    const validParsed = parsed.filter((p) => p !== null);
    const genTokens = answers.reduce((s, r) => s + r.tokens.length, 0) + (queries.rows?.reduce((s, r) => s + r.tokens.length, 0) ?? 0);
    const stepSeconds = (performance.now() - stepStart) / 1000;
    const metrics: Record<string, number> = {
      'solver/reward': mean(R.flat()),
      'solver/reward_std': mean(R.map((row) => std(row))),
      'solver/quality': mean(Q.flat()),
      'solver/kl': solverStats.kl,
      'solver/entropy': solverStats.entropy,
      'solver/frac_reward_zero_std': groupStds.filter((s) => s < 1e-9).length / N,
      'solver/completions/mean_length': mean(answers.map((r) => r.tokens.length)),
      'solver/clip_ratio': solverStats.clipRatio,
      'query/valid_rate': validRate,
      'query/distinct_rate': new Set(queries.texts).size / N,
      'query/difficulty': validParsed.length ? mean(validParsed.map((p) => env.difficulty(p))) : 0,
      loss: lossValue,
      grad_norm: gradNorm,
      'timing/generate_s': time.generate,
      'timing/reference_s': time.reference,
      'timing/update_s': time.update,
      'timing/step_s': stepSeconds,
      tokens_per_s: genTokens / Math.max(time.generate, 1e-9),
    };
    if (queries.rows && challengerAdv) {
      const chStats = tokenStats('challenger');
      const chScores = challengerScores(R, Q, wQ, config.challengerReward);
      Object.assign(metrics, {
        'challenger/reward': mean(chScores),
        'challenger/reward_std': std(chScores),
        'challenger/solve_rate': mean(R.map((row) => mean(row))),
        'challenger/kl': chStats.kl,
        'challenger/entropy': chStats.entropy,
        'challenger/completions/mean_length': mean(queries.rows.map((r) => r.tokens.length)),
        'challenger/clip_ratio': chStats.clipRatio,
      });
      const premium = invalidPremium(chScores, parsed.map((p) => p !== null));
      if (premium !== null) metrics['challenger/invalid_premium'] = premium;
    }
    for (const criterion of env.rubric) metrics[`rubric/${criterion.key}`] = mean(passes.flat().map((p) => (p[criterion.key] ? 1 : 0)));
    // A task rubric's pass rates count only the answers whose query asks for the criterion.
    for (const criterion of env.rewardRubric ?? []) {
      const verdicts = taskPasses.flat().map((p) => p?.[criterion.key]).filter((v) => v !== null && v !== undefined);
      if (verdicts.length) metrics[`rubric/${criterion.key}`] = mean(verdicts.map((v) => (v ? 1 : 0)));
    }

    const groups: RolloutGroup[] = queries.texts.map((query, i) => ({
      query,
      valid: parsed[i] !== null,
      difficulty: parsed[i] !== null ? env.difficulty(parsed[i]) : null,
      challengerAdvantage: challengerAdv ? challengerAdv[i] : null,
      answers: R[i].map((reward, j) => ({
        text: tok.decode(answers[i * G + j].tokens),
        finished: answers[i * G + j].finished,
        reward,
        quality: Q[i][j],
        advantage: solverAdv[i][j],
        passes: passes[i][j],
        ...(taskPasses[i][j] ? { rewardPasses: taskPasses[i][j]! } : {}),
        surprisal: surprisal[i * G + j],
      })),
      rewardStd: groupStds[i],
      zeroVariance: groupStds[i] < 1e-9,
    }));
    return { step: this.step, metrics, groups };
  }

  async getState(): Promise<TrainerState> {
    return {
      step: this.step,
      weights: await readWeights(this.policy.vars),
      reference: await readWeights(this.reference),
      optimizer: await this.adam.getState(),
      rng: this.rng.state,
    };
  }

  /** Restores a state saved by getState (same model shape). */
  setState(s: TrainerState): void {
    assignWeights(this.policy.vars, s.weights);
    for (const [name, t] of Object.entries(this.reference)) {
      const w = s.reference[name];
      t.dispose();
      this.reference[name] = tf.tensor(w.values, w.shape);
    }
    this.adam.setState(s.optimizer);
    this.rng = new Rng(s.rng);
    this.step = s.step;
  }

  dispose(): void {
    tf.dispose(Object.values(this.reference));
    this.adam.dispose();
  }
}
