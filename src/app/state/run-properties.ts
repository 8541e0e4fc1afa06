// The one table of a run's properties: every field of RunConfig with its label, its form control and its
// schema. The share link reads and writes through it, and the settings form is drawn from it
// (TensorFlow Playground style), so adding a hyper-parameter is one row here.

import * as v from 'valibot';
import { ENV_KEYS } from '../../core/envs/registry.ts';
import { PRESET_NAMES } from '../../core/model/config.ts';
import { BASE_MODEL_SOURCES, RUN_ALGORITHMS, type RunConfig } from '../../core/train/run-config.ts';
import { AGGREGATIONS, CHALLENGER_REWARDS, CLIP_MODES, KL_ESTIMATORS, NUMERIC_RULES } from '../../core/rl/config.ts';

/** A number input whose bounds are the config rule's (an open bound is offered one step inside it). */
function ruleInput(field: keyof typeof NUMERIC_RULES, step: number): PropertyInput {
  const rule = NUMERIC_RULES[field];
  const min = rule.minClosed ? rule.min : rule.min + step;
  const max = rule.max === Infinity ? undefined : rule.maxClosed ? rule.max : rule.max - step;
  return max === undefined ? { kind: 'number', step, min } : { kind: 'number', step, min, max };
}

export type PropertyInput =
  | { kind: 'select'; options: readonly string[] }
  | { kind: 'number'; step: number; min?: number; max?: number }
  | { kind: 'toggle' }
  /** Not a form field: the rubric editor (RubricEditor.svelte) edits it. */
  | { kind: 'rubric' }
  /** Not a form field: the model picker sets it. */
  | { kind: 'hub' };

/** Where a property sits in the form: the run's identity first, then the knobs by topic. */
export type PropertyGroup = 'run' | 'model' | 'batch' | 'reward' | 'loss' | 'optimizer' | 'sampling';

export interface RunProperty<K extends keyof RunConfig> {
  label: string;
  help: string;
  group: PropertyGroup;
  input: PropertyInput;
  /** Type-level check of a value read from a link; ranges and cross-field rules are validateRunConfig's. */
  schema: v.GenericSchema<unknown, RunConfig[K]>;
}

const integer = v.pipe(v.number(), v.integer());
const number = v.pipe(v.number(), v.finite());
/** Shape only; which keys are criteria, the weight range and "not all off" are validateRunConfig's (they depend on the env). */
const rubricOverrides = v.strictObject({
  enabled: v.optional(v.record(v.string(), v.boolean())),
  weights: v.optional(v.record(v.string(), number)),
});

/** Mapped over RunConfig, so the compiler insists on a row for every field. */
export const RUN_PROPERTIES: { [K in keyof RunConfig]: RunProperty<K> } = {
  env: { label: 'Environment', help: 'The task the Challenger writes and the Solver answers.', group: 'run', input: { kind: 'select', options: ENV_KEYS }, schema: v.picklist(ENV_KEYS as string[]) },
  algorithm: { label: 'Algorithm', help: 'LSP: self-play with a quality self-reward; LSP-Zero: without it; GRPO with data: queries from the generator, Solver only. Base, the untrained model, is every run at step 0.', group: 'run', input: { kind: 'select', options: RUN_ALGORITHMS }, schema: v.picklist(RUN_ALGORITHMS) },
  preset: { label: 'Model size', help: 'tiny ~0.1M, small ~1M, base ~7M parameters.', group: 'run', input: { kind: 'select', options: PRESET_NAMES }, schema: v.picklist(PRESET_NAMES) },
  base: { label: 'Base model', help: 'The shipped pretrained file, or supervised pretraining here in the tab.', group: 'run', input: { kind: 'select', options: BASE_MODEL_SOURCES }, schema: v.picklist(BASE_MODEL_SOURCES) },
  pretrainSteps: { label: 'Pretrain steps', help: 'Supervised steps when pretraining from scratch.', group: 'run', input: { kind: 'number', step: 50, min: 1 }, schema: integer },
  seed: { label: 'Seed', help: 'Seeds all sampling: the same seed and backend give the same rollouts.', group: 'run', input: { kind: 'number', step: 1, min: 0 }, schema: integer },
  numQueries: { label: 'Queries N', help: 'Challenger queries per step.', group: 'batch', input: ruleInput('numQueries', 1), schema: integer },
  groupSize: { label: 'Answers G', help: 'Solver answers per query.', group: 'batch', input: ruleInput('groupSize', 1), schema: integer },
  qualityWeight: { label: 'Quality weight wQ', help: 'Weight of the rubric self-reward (0 for LSP-Zero).', group: 'reward', input: ruleInput('qualityWeight', 0.1), schema: number },
  challengerWeight: { label: 'Challenger weight', help: 'alphaCh: weight of the Challenger loss.', group: 'reward', input: ruleInput('challengerWeight', 0.1), schema: number },
  challengerReward: {
    label: 'Challenger reward',
    help: "What a query earns the Challenger from the Solver's success rate V on it: failure -V (the paper), learnability 1 - V when 0 < V < 1 (Absolute Zero), uncertainty 1 - 2|V - 1/2| (R-Zero).",
    group: 'reward',
    input: { kind: 'select', options: CHALLENGER_REWARDS },
    schema: v.picklist(CHALLENGER_REWARDS),
  },
  normalizeByStd: { label: 'Divide by group std', help: 'GRPO does; the LSP paper does not.', group: 'reward', input: { kind: 'toggle' }, schema: v.boolean() },
  klBeta: { label: 'KL beta', help: 'Weight of KL(pi || pi_ref), the leash to the base model.', group: 'loss', input: ruleInput('klBeta', 0.01), schema: number },
  klEstimator: { label: 'KL estimator', help: 'Per-token estimator of the KL term: k3 by default; the paper uses k1, whose expected gradient is zero.', group: 'loss', input: { kind: 'select', options: KL_ESTIMATORS }, schema: v.picklist(KL_ESTIMATORS) },
  aggregation: { label: 'Token aggregation', help: 'sum (paper), mean (GRPO) or constant (Dr. GRPO).', group: 'loss', input: { kind: 'select', options: AGGREGATIONS }, schema: v.picklist(AGGREGATIONS) },
  updatesPerBatch: { label: 'Updates per batch', help: 'Above 1 the ratio to the sampling policy is clipped.', group: 'loss', input: ruleInput('updatesPerBatch', 1), schema: integer },
  clipMode: { label: 'Clip mode', help: 'token (PPO) or sequence (GSPO).', group: 'loss', input: { kind: 'select', options: CLIP_MODES }, schema: v.picklist(CLIP_MODES) },
  clipEpsilon: { label: 'Clip epsilon', help: 'Ratio clipping range.', group: 'loss', input: ruleInput('clipEpsilon', 0.05), schema: number },
  learningRate: { label: 'Learning rate', help: 'Adam step size.', group: 'optimizer', input: ruleInput('learningRate', 0.00001), schema: number },
  maxGradNorm: { label: 'Max grad norm', help: 'Global gradient-norm clip.', group: 'optimizer', input: ruleInput('maxGradNorm', 0.1), schema: number },
  temperature: { label: 'Temperature', help: 'Sampling temperature for both roles.', group: 'sampling', input: ruleInput('temperature', 0.1), schema: number },
  topK: { label: 'Top-k', help: '0 keeps every token.', group: 'sampling', input: ruleInput('topK', 1), schema: integer },
  topP: { label: 'Top-p', help: '1 keeps every token.', group: 'sampling', input: ruleInput('topP', 0.05), schema: number },
  hubModel: { label: 'Hub model', help: "A Hugging Face model to self-play with LoRA (org/name); '' runs the built-in model of the chosen size.", group: 'model', input: { kind: 'hub' }, schema: v.string() },
  hubRevision: { label: 'Revision', help: 'The commit the hub model was loaded at: a link reopens exactly this one.', group: 'model', input: { kind: 'hub' }, schema: v.string() },
  loraRank: { label: 'LoRA rank', help: 'Rank r of the adapters on a hub model.', group: 'model', input: { kind: 'number', step: 1, min: 1, max: 256 }, schema: integer },
  loraAlpha: { label: 'LoRA alpha', help: 'The adapters are scaled by alpha / r.', group: 'model', input: { kind: 'number', step: 1, min: 1 }, schema: number },
  loraTargets: { label: 'LoRA targets', help: "The projections LoRA adapts (PEFT's names, comma-separated); empty adapts them all.", group: 'model', input: { kind: 'hub' }, schema: v.string() },
  completionTokens: { label: 'Completion tokens', help: "A hub model's longest task or answer, in tokens.", group: 'model', input: { kind: 'number', step: 8, min: 2, max: 1024 }, schema: integer },
  rubric: { label: 'Rubric', help: 'Criteria of the rubrics switched off or re-weighted, in the rubric editor.', group: 'reward', input: { kind: 'rubric' }, schema: rubricOverrides },
};

export const RUN_PROPERTY_KEYS = Object.keys(RUN_PROPERTIES) as (keyof RunConfig)[];

export const PROPERTY_GROUPS: { key: PropertyGroup; title: string }[] = [
  { key: 'run', title: 'Run' },
  { key: 'model', title: 'Hub model (LoRA)' },
  { key: 'batch', title: 'Batch' },
  { key: 'reward', title: 'Reward' },
  { key: 'loss', title: 'Loss' },
  { key: 'optimizer', title: 'Optimizer' },
  { key: 'sampling', title: 'Sampling' },
];
