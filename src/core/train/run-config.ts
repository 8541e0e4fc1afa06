// A run's whole definition: environment, model size, base model, the self-play config and the seed.
// It is what a share link holds and what a stored run is keyed by; it says nothing about the machine
// (the backend is a property of the browser, not of the run).

import { ENV_KEYS, getEnv } from '../envs/registry.ts';
import { PRESET_NAMES, type PresetName } from '../model/config.ts';
import { presetFitRule, presetFits } from './preset-fit.ts';
import { canonicalRubricOverrides, validateRubricOverrides } from './rubric-overrides.ts';
import type { RubricOverrides } from '../envs/rubric.ts';
import { ConfigError, configForAlgorithm, validateLspConfig, type Algorithm, type LspConfig } from '../rl/config.ts';

/** The algorithms a run can train with ('base' never trains: it is the evaluation reference). */
export type RunAlgorithm = Exclude<Algorithm, 'base'>;
export const RUN_ALGORITHMS: RunAlgorithm[] = ['lsp', 'lsp-zero', 'grpo-data'];

/** Where the run's base model comes from: the shipped file, supervised pretraining in the session, or a model file
 *  the user imported (which a link cannot carry: opened from a link, such a run asks for the file again). */
export type BaseModelSource = 'shipped' | 'scratch' | 'imported';
export const BASE_MODEL_SOURCES: BaseModelSource[] = ['shipped', 'scratch', 'imported'];

export interface RunConfig extends LspConfig {
  algorithm: RunAlgorithm;
  env: string;
  preset: PresetName;
  base: BaseModelSource;
  /** Supervised steps when `base` is 'scratch' (ignored otherwise). */
  pretrainSteps: number;
  /** Seeds the trainer (sampling) and, for 'scratch', the initial weights and the pretraining data. */
  seed: number;
  /** Criteria of the env's rubrics switched off or re-weighted ({} keeps them as defined). Runs stored before
   *  this field existed lack it: normalizeRunConfig reads them with `{}`. */
  rubric: RubricOverrides;
  /** A hub model to self-play instead of a built-in preset: its id (`org/name`, or `local:<sha-256 prefix>` for a
   *  folder chosen on the device); '' runs the built-in `preset`. Runs stored before these fields lack them: ''. */
  hubModel: string;
  /** The exact revision (commit) the hub model was loaded at, which a link reproduces; '' for a built-in model. */
  hubRevision: string;
  /** LoRA rank r of a hub model's adapters. */
  loraRank: number;
  /** LoRA alpha: the adapters' output is scaled by alpha / r. */
  loraAlpha: number;
  /** The PEFT module kinds LoRA adapts, comma-separated ('q_proj,v_proj'); '' adapts every projection of the family. */
  loraTargets: string;
  /** A hub model's completion length, in tokens, for either role (built-in models count characters instead). */
  completionTokens: number;
}

/** What a built-in run holds in the hub-model fields (and what runs stored before them read as). */
export const BUILTIN_MODEL_FIELDS = { hubModel: '', hubRevision: '', loraRank: 8, loraAlpha: 16, loraTargets: '', completionTokens: 48 } as const;

/** A hub id as the hub writes it (`org/name`), or a local folder's `local:` hash. */
const HUB_ID = /^([A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}|local:[0-9a-f]{16,64})$/;
/** A revision: a commit hash, or a branch or tag name until it is resolved. */
const HUB_REVISION = /^[\w.-]{1,100}$/;

/** Whether a run self-plays a hub model (else a built-in preset). */
export const isHubRun = (c: Pick<RunConfig, 'hubModel'>) => c.hubModel !== '';

/** Small (~1M parameters) is the default without a GPU: about a second per step on WASM, and its base model has
 *  room to improve. Tiny (a step in ~0.3 s) is one click away for a quick look. */
export function defaultRunConfig(algorithm: RunAlgorithm = 'lsp'): RunConfig {
  return { ...configForAlgorithm(algorithm), algorithm, env: 'arithmetic', preset: 'small', base: 'shipped', pretrainSteps: 600, seed: 1, rubric: {}, ...BUILTIN_MODEL_FIELDS };
}

/** The self-play part of a run config, as the trainer takes it. */
export function lspConfigOf(run: RunConfig): LspConfig {
  const { env: _env, preset: _preset, base: _base, pretrainSteps: _steps, seed: _seed, rubric: _rubric, hubModel: _model, hubRevision: _revision, loraRank: _rank, loraAlpha: _alpha, loraTargets: _targets, completionTokens: _tokens, ...lsp } = run;
  return lsp;
}

/** Throws ConfigError (field, value, rule) for the first rule broken; returns the config unchanged otherwise. */
export function validateRunConfig(c: RunConfig): RunConfig {
  const need = (ok: boolean, field: keyof RunConfig, rule: string) => {
    if (!ok) throw new ConfigError(field, c[field], rule);
  };
  need(ENV_KEYS.includes(c.env), 'env', `must be one of ${ENV_KEYS.join(', ')}`);
  need(RUN_ALGORITHMS.includes(c.algorithm), 'algorithm', `must be one of ${RUN_ALGORITHMS.join(', ')} (base does not train)`);
  need(PRESET_NAMES.includes(c.preset), 'preset', `must be one of ${PRESET_NAMES.join(', ')}`);
  need(c.hubModel !== '' || presetFits(getEnv(c.env), c.preset), 'preset', presetFitRule(getEnv(c.env)));
  need(BASE_MODEL_SOURCES.includes(c.base), 'base', `must be one of ${BASE_MODEL_SOURCES.join(', ')}`);
  need(Number.isInteger(c.pretrainSteps) && c.pretrainSteps >= 1 && c.pretrainSteps <= 100_000, 'pretrainSteps', 'must be an integer from 1 to 100000');
  need(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff, 'seed', 'must be an integer from 0 to 4294967295');
  need(c.hubModel === '' || HUB_ID.test(c.hubModel), 'hubModel', "must be '' (a built-in model), a hub id such as org/name, or local:<hash>");
  need(c.hubModel === '' ? c.hubRevision === '' : HUB_REVISION.test(c.hubRevision), 'hubRevision', "must be a commit or branch name for a hub model, '' for a built-in one");
  need(Number.isInteger(c.loraRank) && c.loraRank >= 1 && c.loraRank <= 256, 'loraRank', 'must be an integer from 1 to 256');
  need(Number.isFinite(c.loraAlpha) && c.loraAlpha > 0, 'loraAlpha', 'must be a number above 0');
  need(/^([a-z_]+(,[a-z_]+)*)?$/.test(c.loraTargets), 'loraTargets', "must be PEFT module names separated by commas (q_proj,v_proj), or '' for every projection");
  need(Number.isInteger(c.completionTokens) && c.completionTokens >= 2 && c.completionTokens <= 1024, 'completionTokens', 'must be an integer from 2 to 1024');
  validateRubricOverrides(getEnv(c.env), c.rubric ?? {});
  validateLspConfig(lspConfigOf(c));
  return c;
}

/** Every field of a run config, in the order the defaults list them. */
export const RUN_CONFIG_KEYS = Object.keys(defaultRunConfig()) as (keyof RunConfig)[];

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && [Object.prototype, null].includes(Object.getPrototypeOf(x));

/**
 * Older shapes of a config, read as today's. Runs stored before the base model and rubric fields existed
 * lack them (the defaults fill them in); some wrote `rubric: null`, or an override map as null.
 */
function migrateLegacyFields(raw: Record<string, unknown>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (value !== undefined) Object.defineProperty(given, key, { value, enumerable: true, writable: true, configurable: true });
  if (given.rubric === null) delete given.rubric;
  if (isPlainObject(given.rubric)) {
    const rubric = { ...given.rubric };
    for (const part of ['enabled', 'weights']) if (rubric[part] === null || rubric[part] === undefined) delete rubric[part];
    given.rubric = rubric;
  }
  return given;
}

/** The rubric overrides' shape: `{ enabled?: {key: boolean}, weights?: {key: number} }`, nothing else. */
function checkRubricShape(rubric: unknown): asserts rubric is RubricOverrides {
  if (!isPlainObject(rubric)) throw new ConfigError('rubric', rubric, 'must be an object with "enabled" and "weights" maps');
  for (const [part, value] of Object.entries(rubric)) {
    if (part !== 'enabled' && part !== 'weights') throw new ConfigError(`rubric.${part}`, value, 'is not part of the rubric overrides (they hold "enabled" and "weights")');
    if (!isPlainObject(value)) throw new ConfigError(`rubric.${part}`, value, 'must be an object from criterion keys to values');
  }
}

/**
 * The one way a config from outside (a link's settings, a stored run, a file) becomes a RunConfig: missing
 * fields take the algorithm's defaults, legacy shapes are migrated, every key must be a run setting, the
 * rubric overrides are checked key by key (own keys only, so '__proto__' is reported like any unknown key)
 * and made canonical, and the whole is validated. Throws ConfigError stating the field, the value and the rule.
 */
export function normalizeRunConfig(raw: unknown): RunConfig {
  if (!isPlainObject(raw)) throw new ConfigError('config', raw, 'must be an object of run settings');
  const given = migrateLegacyFields(raw);
  const unknown = Object.keys(given).find((key) => !(RUN_CONFIG_KEYS as string[]).includes(key));
  if (unknown !== undefined) throw new ConfigError(unknown, given[unknown], `is not a run setting; the settings are ${RUN_CONFIG_KEYS.join(', ')}`);
  const algorithm = given.algorithm ?? defaultRunConfig().algorithm;
  if (!RUN_ALGORITHMS.includes(algorithm as RunAlgorithm)) throw new ConfigError('algorithm', algorithm, `must be one of ${RUN_ALGORITHMS.join(', ')} (base does not train)`);
  const config = { ...defaultRunConfig(algorithm as RunAlgorithm), ...given } as RunConfig;
  if (!ENV_KEYS.includes(config.env)) throw new ConfigError('env', config.env, `must be one of ${ENV_KEYS.join(', ')}`);
  checkRubricShape(config.rubric);
  // Before the canonical form, which rebuilds the maps: every key given is checked as it was given.
  validateRubricOverrides(getEnv(config.env), config.rubric);
  return validateRunConfig({ ...config, rubric: canonicalRubricOverrides(getEnv(config.env), config.rubric) });
}

/** Whether two configs describe the same run: every field equal, the rubric overrides by their effect. */
export function sameRunConfig(a: RunConfig, b: RunConfig): boolean {
  return RUN_CONFIG_KEYS.every((key) => (key === 'rubric' ? sameRubric(a, b) : Object.is(a[key], b[key])));
}

function sameRubric(a: RunConfig, b: RunConfig): boolean {
  const canonical = (c: RunConfig) => (ENV_KEYS.includes(c.env) ? canonicalRubricOverrides(getEnv(c.env), c.rubric ?? {}) : (c.rubric ?? {}));
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
