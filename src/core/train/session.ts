// A training session: one run's policy, trainer and base model behind a small async interface, reporting
// through one typed event callback. It runs in-process (Node tests, scripts) or behind a worker; callers
// cannot tell which. No DOM, no worker messaging, no storage: the caller persists checkpoints.

import type { Env } from '../envs/env.ts';
import { getEnv } from '../envs/registry.ts';
import type { RubricOverrides } from '../envs/rubric.ts';
import { writingEnv } from '../envs/writing/index.ts';
import { CorpusError, corpusSolverSource, prepareWritingCorpus } from '../envs/writing/user-corpus.ts';
import { countParameters } from '../model/family.ts';
import type { WeightInit } from '../model/weight-layout.ts';
import { Policy, type PolicyView } from '../model/policy.ts';
import { initLoraWeights } from '../model/lora.ts';
import { loadHubPolicy } from '../model/hub-policy.ts';
import type { ModelFiles } from '../hub/model-files.ts';
import { exportBuiltinAsGpt2, exportMergedModel, exportPeftAdapters, type ExportedFiles } from './exports.ts';
import { assignWeights, readWeights } from '../model/weights.ts';
import { WeightsError } from '../model/safetensors.ts';
import { ChatModelRequiredError, ContextLengthError, SessionStateError } from './errors.ts';
import { chatCodecOf } from '../tokenizer/hub-codec.ts';
import { canonicalJudgeOverrides, judgeSettingsOf, type JudgeOverrides } from '../judge/settings.ts';
import { ModelJudge } from './judge-model.ts';
import { Evaluator, evaluationMetrics, type ChallengerEval, type HeldOutEval, type SolverEval, type WinRateEval } from './evaluate.ts';
import type { JudgeWinRate } from './chat-eval.ts';
import { pretrain, DEFAULT_PRETRAIN_CONFIG, type PretrainProgress } from './pretrain.ts';
import { isHubRun, lspConfigOf, validateRunConfig, type RunConfig } from './run-config.ts';
import { defaultLiveEval, type LiveEvalSettings } from './live-eval.ts';
import { SelfPlayTrainer, type StepReport } from './selfplay.ts';
import { packTrainerState, unpackTrainerState, type PackedTrainerState } from './checkpoint-pack.ts';

/** Everything needed to continue a run exactly where it stopped. The trainer state is packed into one
 *  ArrayBuffer, so a checkpoint crosses a worker boundary by transfer and is stored as one value. */
export interface Checkpoint {
  config: RunConfig;
  state: PackedTrainerState;
}

export interface SessionInfo {
  env: string;
  preset: string;
  /** The model family (gpt2 for the built-in models, llama, qwen2). */
  family: string;
  parameterCount: number;
  /** Parameters that train: every one of a built-in model, the adapters of a hub model's LoRA. */
  trainableParameterCount: number;
  step: number;
  /** Whether a base model is in place (loaded, pretrained or restored), so self-play can start. */
  ready: boolean;
}

export interface EvaluationReport {
  step: number;
  /** Held-out Solver accuracy (greedy) of the current policy and of the base model, per difficulty level. */
  current: SolverEval;
  base: SolverEval;
  challenger: ChallengerEval;
  /** The base model's Challenger queries, sampled the same way (absent from evaluations stored before it was kept). */
  baseChallenger?: ChallengerEval;
  /** Win rate against the base model, judged by the task reward: only for environments that are not verifiable. */
  winRate?: WinRateEval;
  /** Strict and loose constraint satisfaction, this model's and the base model's (instructions). */
  constraints?: HeldOutEval['constraints'];
  /** The win rate against the base model with the judge deciding each pair (a chat model's run on instructions, or
   *  one whose Q is the judge's). */
  judgeWinRate?: JudgeWinRate;
}

/** What went wrong, as plain data (named, so the UI can act on the kind; cloneable across a worker). */
export interface SessionErrorInfo {
  name: string;
  message: string;
}

export type SessionTask = 'init' | 'pretrain' | 'step' | 'evaluate' | 'checkpoint' | 'restore' | 'reset' | 'backend' | 'export' | 'rubric' | 'judge';

/** A built-in model file's bytes, or a hub model's folder. */
export type BaseModelSource = Uint8Array | ModelFiles;

/** The held-out series drawn live beside the reward: the policy's accuracy (win rate for a judged environment)
 *  on a fixed held-out subset, every `every` steps, with the base model's on the same tasks. */
export interface LiveEvaluation {
  step: number;
  /** `eval/accuracy`, `eval/base_accuracy`, `eval/accuracy_level_<k>`, and `eval/win_rate` with its counts. */
  metrics: Record<string, number>;
}

export type SessionEvent =
  | { type: 'pretrain'; progress: PretrainProgress }
  | { type: 'step'; report: StepReport }
  | { type: 'heldout'; evaluation: LiveEvaluation }
  | { type: 'evaluation'; evaluation: EvaluationReport }
  | { type: 'error'; during: SessionTask; error: SessionErrorInfo };

export type SessionListener = (event: SessionEvent) => void;

/** The interface the UI programs against; every method is async so a worker proxy has the same type. */
export interface SessionApi {
  /**
   * Loads the run's base model: a built-in model file (bytes), a hub model's folder (its files: the run's hubModel
   * names it), or (null, built-in only) random weights that need pretraining or a checkpoint.
   */
  init(config: RunConfig, baseModel: BaseModelSource | null): Promise<SessionInfo>;
  /**
   * Supervised pretraining from the current weights, `config.pretrainSteps` steps; false when stopped.
   * `corpus`: plain text whose passages join the Solver's examples (writing only; see envs/writing/user-corpus.ts).
   */
  pretrainFromScratch(corpus?: string): Promise<boolean>;
  /** Asks a running pretraining to stop after its current step. */
  stop(): Promise<void>;
  /** One self-play step; resolves with the step number, and its report arrives as a 'step' event. */
  step(): Promise<number>;
  /** New rubric overrides for the run (validated like the config); they apply from the next step on. */
  setRubric(overrides: RubricOverrides): Promise<void>;
  /** New judge items or prompt for the run (validated like the config); they apply from the next step on. */
  setJudge(overrides: JudgeOverrides): Promise<void>;
  /** Held-out evaluation against the base model; the report arrives as an 'evaluation' event. */
  evaluate(count?: number, challengerCount?: number): Promise<void>;
  getCheckpoint(): Promise<Checkpoint>;
  /** The current policy as a safetensors model file, its config, tokenizer and provenance in the metadata (built-in
   *  models: the file the page imports again). */
  exportModel(): Promise<Uint8Array>;
  /** The current policy as a hub-layout folder other tools load: a built-in model as GPT-2 with its tokenizer, a
   *  hub model with its adapters merged in. */
  exportHubModel(): Promise<ExportedFiles>;
  /** A hub model's LoRA adapters as a PEFT folder. */
  exportAdapters(): Promise<ExportedFiles>;
  restore(checkpoint: Checkpoint): Promise<SessionInfo>;
  /** Back to the base model at step 0, as if self-play had just started (same seed, fresh optimizer). */
  reset(): Promise<SessionInfo>;
  dispose(): Promise<void>;
}

/** Held-out examples per evaluation: enough for a few percent of resolution, fast on the tiny preset. */
export const DEFAULT_EVAL_COUNT = 128;
/** Challenger queries sampled per evaluation. */
const CHALLENGER_EVAL_COUNT = 32;

export class TrainingSession implements SessionApi {
  private config: RunConfig | null = null;
  private env: Env | null = null;
  private policy: Policy | null = null;
  private trainer: SelfPlayTrainer | null = null;
  /** The trained weights at step 0 (a built-in model's every weight, a hub model's fresh adapters): what a reset
   *  returns to, and for a built-in model the base model evaluations compare against. */
  private baseWeights: Record<string, WeightInit> | null = null;
  /** A hub run's folder: its tokenizer files travel with a merged export. */
  private hubFiles: ModelFiles | null = null;
  /** The reference model as judge, where the run uses one (see readerChecks): Q when the run asks for it, and the
   *  evaluation's judged win rate. */
  private judge: ModelJudge | null = null;
  /** The base model (a copy the session owns for a built-in run; the policy's own base, adapters off, for a hub
   *  run) and its side of every evaluation, kept while the base model stays the same. */
  private evaluation: { base: PolicyView; owned: Policy | null; evaluator: Evaluator } | null = null;
  private stopRequested = false;
  /** Tasks run one at a time, in call order: a checkpoint never reads weights halfway through an update. */
  private queue: Promise<unknown> = Promise.resolve();

  /** `liveEval`: the live series' settings; by default defaultLiveEval of the run's environment. */
  constructor(
    private readonly onEvent: SessionListener = () => {},
    private readonly liveEvalSettings: LiveEvalSettings | null = null,
  ) {}

  init(config: RunConfig, baseModel: BaseModelSource | null): Promise<SessionInfo> {
    return this.task('init', async () => {
      validateRunConfig(config);
      this.release();
      const env = getEnv(config.env);
      if (isHubRun(config)) {
        if (baseModel === null || baseModel instanceof Uint8Array) throw new SessionStateError(`the run self-plays ${config.hubModel}: it needs that model's folder, not a built-in model file`);
        this.policy = await loadHubPolicy(baseModel, {
          origin: { kind: 'hub', id: config.hubModel, revision: config.hubRevision },
          lora: { rank: config.loraRank, alpha: config.loraAlpha, targets: config.loraTargets === '' ? null : config.loraTargets.split(',') },
          seed: config.seed,
          completionTokens: config.completionTokens,
        });
        this.config = config;
        this.env = env;
        this.hubFiles = baseModel;
        this.judge = this.readerChecks(config, env, this.policy);
        this.contextCheck(config, env, this.policy);
        await this.startSelfPlay();
        return this.info();
      }
      if (baseModel !== null && !(baseModel instanceof Uint8Array)) throw new SessionStateError('a built-in run loads a model file, not a hub folder: name the hub model in the run');
      let policy: Policy;
      if (baseModel) {
        policy = Policy.fromSafetensors(baseModel, env);
        const preset = policy.builtinOrigin.preset;
        if (preset !== config.preset) {
          policy.dispose();
          throw new WeightsError(`this model file is the "${preset}" size, but the run asks for "${config.preset}"`);
        }
      } else {
        policy = Policy.create(env, config.preset, config.seed);
      }
      this.config = config;
      this.env = env;
      this.policy = policy;
      if (baseModel) await this.startSelfPlay();
      return this.info();
    });
  }

  pretrainFromScratch(corpus?: string): Promise<boolean> {
    return this.task('pretrain', async () => {
      const { config, env, policy } = this.require();
      if (this.trainer) throw new SessionStateError('this session already has a base model; start a new run to pretrain from scratch');
      // Checked before anything changes: a bad corpus leaves the session as it was.
      if (corpus !== undefined && env.key !== writingEnv.key) throw new CorpusError(`a text corpus can pretrain the ${writingEnv.key} environment only, not ${env.key}`);
      const solverSource = corpus === undefined ? undefined : corpusSolverSource(prepareWritingCorpus(corpus).examples);
      this.stopRequested = false;
      const steps = config.pretrainSteps;
      await pretrain(
        policy,
        env,
        { ...DEFAULT_PRETRAIN_CONFIG, steps, warmupSteps: Math.min(DEFAULT_PRETRAIN_CONFIG.warmupSteps, Math.ceil(steps / 10)), seed: config.seed },
        (progress) => this.onEvent({ type: 'pretrain', progress }),
        () => this.stopRequested,
        solverSource,
      );
      if (this.stopRequested) {
        // A half-pretrained model is not the run's base model: start over from the seeded initial weights.
        policy.dispose();
        this.policy = Policy.create(env, config.preset, config.seed);
        return false;
      }
      await this.startSelfPlay();
      return true;
    });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
  }

  step(): Promise<number> {
    return this.task('step', async () => {
      const report = await this.requireTrainer().runStep();
      this.onEvent({ type: 'step', report });
      const live = this.liveEval();
      if (live.every > 0 && report.step % live.every === 0) await this.emitLiveEvaluation(report.step);
      return report.step;
    });
  }

  setJudge(overrides: JudgeOverrides): Promise<void> {
    return this.task('judge', async () => {
      // Queued like the rubric: a step under way finishes with the judge it started with.
      const next = validateRunConfig({ ...this.require().config, judge: canonicalJudgeOverrides(overrides) });
      this.config = next;
      this.judge?.setSettings(judgeSettingsOf(next.judge));
    });
  }

  setRubric(overrides: RubricOverrides): Promise<void> {
    return this.task('rubric', async () => {
      // Queued like every task, so a step already under way finishes with the rubric it started with.
      const next = validateRunConfig({ ...this.require().config, rubric: overrides });
      this.config = next;
      this.trainer?.setRubric(next.rubric);
    });
  }

  evaluate(count = DEFAULT_EVAL_COUNT, challengerCount = CHALLENGER_EVAL_COUNT): Promise<void> {
    return this.task('evaluate', async () => {
      const { config, policy } = this.require();
      const trainer = this.requireTrainer();
      const evaluator = this.evaluator();
      const heldOut = await evaluator.heldOut(policy, count);
      // GRPO with data never trains its Challenger, so its queries say nothing about the run.
      const askChallenger = config.algorithm !== 'grpo-data';
      const challenger = askChallenger
        ? await evaluator.challenger(policy, challengerCount, config.temperature)
        : { validRate: 0, distinctRate: 0, meanDifficulty: 0, samples: [] };
      const baseChallenger = askChallenger ? await evaluator.baseChallenger(challengerCount, config.temperature) : null;
      const evaluation: EvaluationReport = { step: trainer.step, current: heldOut.current, base: heldOut.base, challenger };
      if (baseChallenger) evaluation.baseChallenger = baseChallenger;
      if (heldOut.winRate) evaluation.winRate = heldOut.winRate;
      if (heldOut.constraints) evaluation.constraints = heldOut.constraints;
      if (heldOut.judgeWinRate) evaluation.judgeWinRate = heldOut.judgeWinRate;
      this.onEvent({ type: 'evaluation', evaluation });
    });
  }

  getCheckpoint(): Promise<Checkpoint> {
    return this.task('checkpoint', async () => ({ config: this.require().config, state: packTrainerState(await this.requireTrainer().getState()) }));
  }

  exportHubModel(): Promise<ExportedFiles> {
    return this.task('export', async () => {
      const { policy } = this.require();
      return this.hubFiles ? exportMergedModel(policy, this.hubFiles) : exportBuiltinAsGpt2(policy);
    });
  }

  exportAdapters(): Promise<ExportedFiles> {
    return this.task('export', async () => exportPeftAdapters(this.require().policy));
  }

  exportModel(): Promise<Uint8Array> {
    return this.task('export', async () => {
      const { config, policy } = this.require();
      // Provenance only: loading reads the config and tokenizer, never these notes.
      return policy.toSafetensors({ algorithm: config.algorithm, seed: config.seed, step: this.trainer?.step ?? 0, run: config });
    });
  }

  restore(checkpoint: Checkpoint): Promise<SessionInfo> {
    return this.task('restore', async () => {
      const { config, policy, env } = this.require();
      const theirs = checkpoint.config;
      const modelOf = (c: RunConfig) => (isHubRun(c) ? `${c.hubModel}@${c.hubRevision} (LoRA r${c.loraRank} on ${c.loraTargets || 'every projection'})` : c.preset);
      if (theirs.env !== config.env || modelOf(theirs) !== modelOf(config)) {
        throw new SessionStateError(`this checkpoint is for ${theirs.env}/${modelOf(theirs)}, but the session runs ${config.env}/${modelOf(config)}`);
      }
      const state = unpackTrainerState(checkpoint.state); // before touching the trainer: a damaged one changes nothing
      if (!this.trainer) this.trainer = this.newTrainer();
      this.trainer.setState(state);
      this.setBase(policy.lora ? this.freshAdapters() : state.reference);
      return this.info();
    });
  }

  reset(): Promise<SessionInfo> {
    return this.task('reset', async () => {
      const { config, env, policy } = this.require();
      this.requireTrainer().dispose();
      assignWeights(policy.trainable, this.baseWeights!);
      this.trainer = this.newTrainer();
      return this.info();
    });
  }

  async dispose(): Promise<void> {
    await this.queue.catch(() => {});
    this.release();
  }

  /** A hub run's adapters at step 0: the seed's fresh ones. */
  private freshAdapters(): Record<string, WeightInit> {
    const { config, policy } = this.require();
    return initLoraWeights(policy.model, policy.lora!.config, config.seed);
  }

  /** Freezes the current weights as the base model, starts a trainer on them and measures the live series'
   *  starting point (step 0). */
  private async startSelfPlay(): Promise<void> {
    const { config, env, policy } = this.require();
    this.setBase(await readWeights(policy.trainable));
    this.trainer = this.newTrainer();
    if (this.liveEval().every > 0) await this.emitLiveEvaluation(0);
  }

  /** A trainer for the run from the current weights: Q from the judge when the run asks for it and Q counts (with
   *  wQ = 0, LSP-Zero and GRPO with data, the judge's passes, as costly as a step's sampling, would train nothing). */
  private newTrainer(): SelfPlayTrainer {
    const { config, env, policy } = this.require();
    const judge = config.qualityReward === 'judge' && config.qualityWeight > 0 ? this.judge : null;
    return new SelfPlayTrainer(policy, env, lspConfigOf(config), config.seed, config.rubric ?? {}, judge);
  }

  /**
   * What a hub run's model must read: a chat-only environment and the judge need a chat template. Returns the judge
   * (the base model, adapters off) where the run uses one: for Q, or for a chat-only environment's judged win rate;
   * null otherwise. Throws ChatModelRequiredError (the policy disposed) when the run needs a chat model and this is
   * not one.
   */
  private readerChecks(config: RunConfig, env: Env, policy: Policy): ModelJudge | null {
    const needs = env.chatOnly ? `the ${env.key} environment` : config.qualityReward === 'judge' ? 'the judge' : null;
    if (needs === null) return null;
    if (chatCodecOf(policy.codec) === null) {
      this.release();
      throw new ChatModelRequiredError(`${needs} needs a chat model, and ${config.hubModel} has no chat template (a base model): choose an instruction-tuned model with a chat template`);
    }
    return ModelJudge.of(policy.baseView()!, judgeSettingsOf(config.judge ?? {}));
  }

  /**
   * A hub model's context must hold each role's longest sequence: the Challenger's prompt and its query, and the
   * Solver's prompt around the longest query with its answer. Throws ContextLengthError (the policy disposed) before
   * any step when it does not, rather than a cache refusing a row in the middle of one.
   */
  private contextCheck(config: RunConfig, env: Env, policy: Policy): void {
    const codec = policy.codec;
    const query = codec.completionBudget(env, 'challenger');
    const need = Math.max(
      codec.challengerPrompt(env).length + query,
      codec.solverPrompt(env, '').length + query + codec.completionBudget(env, 'solver'),
    );
    const limit = policy.model.arch.maxPositions;
    if (need <= limit) return;
    this.release();
    throw new ContextLengthError(
      `${config.hubModel} reads at most ${limit} tokens, and the ${env.key} environment's prompts with ${config.completionTokens}-token completions need up to ${need}: ` +
        'choose a model with a longer context, or fewer Completion tokens',
    );
  }

  /** A new base model: the evaluations made against the old one are dropped. */
  private setBase(weights: Record<string, WeightInit>): void {
    this.evaluation?.owned?.dispose();
    this.evaluation = null;
    this.baseWeights = weights;
  }

  /** The evaluator against the base model, made on first use. */
  private evaluator(): Evaluator {
    if (!this.evaluation) {
      const { env, policy } = this.require();
      if (!this.baseWeights) throw new SessionStateError('there is no base model yet to evaluate against');
      const shared = policy.baseView();
      const owned = shared ? null : Policy.builtin(policy.builtinOrigin, this.baseWeights);
      const base = shared ?? owned!;
      // The judged win rate where the run has a judge: Q from it, or an environment made for chat models.
      this.evaluation = { base, owned, evaluator: new Evaluator(env, base, this.judge) };
    }
    return this.evaluation.evaluator;
  }

  private liveEval(): LiveEvalSettings {
    const { env, config } = this.require();
    return this.liveEvalSettings ?? defaultLiveEval(env, isHubRun(config));
  }

  private async emitLiveEvaluation(step: number): Promise<void> {
    const { policy } = this.require();
    // At step 0 a LoRA policy's adapters are zero: it answers as its base model, which the evaluator has just asked.
    const heldOut = await this.evaluator().heldOut(policy, this.liveEval().count, step === 0 && policy.lora !== null);
    this.onEvent({ type: 'heldout', evaluation: { step, metrics: evaluationMetrics(heldOut, null) } });
  }

  private info(): SessionInfo {
    const { config, policy } = this.require();
    const trainable = Object.values(policy.trainable).reduce((sum, v) => sum + v.size, 0);
    return {
      env: config.env, preset: config.preset, family: policy.model.family, parameterCount: countParameters(policy.model),
      trainableParameterCount: trainable, step: this.trainer?.step ?? 0, ready: this.trainer !== null,
    };
  }

  private require(): { config: RunConfig; env: Env; policy: Policy } {
    if (!this.config || !this.env || !this.policy) throw new SessionStateError('the session has no run yet: call init first');
    return { config: this.config, env: this.env, policy: this.policy };
  }

  private requireTrainer(): SelfPlayTrainer {
    this.require();
    if (!this.trainer) throw new SessionStateError('there is no base model yet: load the shipped model, pretrain from scratch, or restore a checkpoint');
    return this.trainer;
  }

  /** Runs `work` after every earlier task; a failure is reported as an 'error' event and rethrown. */
  private task<T>(during: SessionTask, work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => {}).then(async () => {
      try {
        return await work();
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.onEvent({ type: 'error', during, error: { name: e.name, message: e.message } });
        throw e;
      }
    });
    this.queue = run;
    return run;
  }

  private release(): void {
    this.trainer?.dispose();
    this.policy?.dispose();
    this.trainer = null;
    this.policy = null;
    this.evaluation?.owned?.dispose();
    this.evaluation = null;
    this.baseWeights = null;
    this.hubFiles = null;
    this.judge = null;
  }
}
