// Share links: the URL hash holds a whole run config as `#v3.<payload>`, where the payload is the
// lz-string-compressed JSON of the fields that differ from the link format's defaults (and, in a copied link,
// the backends the run trained on). Each format version keeps its own frozen table of defaults, so changing the
// app's defaults never changes what an existing link means. Reading a link checks its version, its encoding,
// every field's type (valibot, from the property table) and then normalises the whole config as a stored run is
// (normalizeRunConfig).

import * as v from 'valibot';
import LZString from 'lz-string';
import { ConfigError } from '../../core/rl/config.ts';
import { ENV_KEYS, getEnv } from '../../core/envs/registry.ts';
import { BACKEND_NAMES, type BackendName } from '../../core/backend-names.ts';
import { BUILTIN_MODEL_FIELDS, RUBRIC_QUALITY_FIELDS, defaultRunConfig, normalizeRunConfig, RUN_ALGORITHMS, type RunAlgorithm, type RunConfig } from '../../core/train/run-config.ts';
import { canonicalRubricOverrides } from '../../core/train/rubric-overrides.ts';
import { canonicalJudgeOverrides } from '../../core/judge/settings.ts';
import { RUN_PROPERTIES, RUN_PROPERTY_KEYS } from './run-properties.ts';

export const LINK_VERSION = 3;

/** Fields every format version's defaults share. */
const SHARED_DEFAULTS = {
  base: 'shipped', pretrainSteps: 600, seed: 1, rubric: {}, klEstimator: 'k3', aggregation: 'sum', normalizeByStd: false,
  updatesPerBatch: 1, clipMode: 'token', clipEpsilon: 0.2, maxGradNorm: 1, topK: 0, topP: 1,
  // Links made before hub models ran a built-in model: an absent hub field means the built-in one's value.
  ...BUILTIN_MODEL_FIELDS,
  // Links made before the judge: the rubric gave Q.
  ...RUBRIC_QUALITY_FIELDS,
} as const;

/**
 * What an absent field of a link meant when the link was made, per format version: frozen copies of the app's
 * defaults at the time, which a link's fields are laid over. Never edit a published table; add a version.
 * - v1 (until 2026-12-01): two-digit arithmetic on the small model, GRPO with data kept wQ = 1, and no
 *   Challenger reward choice (the paper's failure reward).
 * - v2 (until 2026-12-04): GRPO with data without the quality self-reward (wQ = 0), as the paper's baseline;
 *   learning rate 1e-4.
 * - v3: the same defaults; arithmetic answers begin with their sign and give three digits, on rebuilt base models.
 */
const LINK_DEFAULTS: Record<number, (algorithm: RunAlgorithm) => RunConfig> = {
  1: (algorithm) => ({
    ...SHARED_DEFAULTS, rubric: {}, algorithm, env: 'arithmetic', preset: 'small', numQueries: 16, groupSize: 8,
    qualityWeight: algorithm === 'lsp-zero' ? 0 : 1, challengerWeight: 0.1, challengerReward: 'failure', klBeta: 0.1, learningRate: 3e-5, temperature: 1,
  }),
  2: (algorithm) => ({
    ...SHARED_DEFAULTS, rubric: {}, algorithm, env: 'arithmetic', preset: 'small', numQueries: 16, groupSize: 8,
    qualityWeight: algorithm === 'lsp' ? 1 : 0, challengerWeight: 0.1, challengerReward: 'failure', klBeta: 0.1, learningRate: 1e-4, temperature: 1,
  }),
  3: (algorithm) => ({
    ...SHARED_DEFAULTS, rubric: {}, algorithm, env: 'arithmetic', preset: 'small', numQueries: 16, groupSize: 8,
    qualityWeight: algorithm === 'lsp' ? 1 : 0, challengerWeight: 0.1, challengerReward: 'failure', klBeta: 0.1, learningRate: 1e-4, temperature: 1,
  }),
};

/** What a link of an older format now opens, where that differs from the run it was made for. */
function olderLinkNotes(version: number, config: RunConfig): string[] {
  if (config.env !== 'arithmetic') return [];
  if (version === 1) {
    return [
      'This link was made for the earlier arithmetic environment (numbers 0 to 99, products too, answers written the usual way). ' +
        'Arithmetic is now three-digit sums and differences answered sign first and backwards, so the link opens that with the same settings: it does not reproduce the old run.',
    ];
  }
  if (version === 2) {
    return [
      "This link was made when arithmetic answers put a negative result's sign last ('3-' for -3), and its base models could hardly subtract. " +
        "Answers now begin with their sign and give three digits ('-300'), on rebuilt base models, so the link opens the same settings on those: it does not reproduce the old run.",
    ];
  }
  return [];
}

export type ShareLinkProblem = 'malformed' | 'damaged' | 'future-version' | 'invalid';

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
  constructor(
    readonly problem: ShareLinkProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The key of the link's provenance (not a run setting: two runs of one config on two backends are one config). */
const PROVENANCE_KEY = 'trainedOn';

/** Every property optional (absent means default); unknown keys are rejected, so a typo is reported. */
const PayloadSchema = v.strictObject({
  ...(Object.fromEntries(RUN_PROPERTY_KEYS.map((key) => [key, v.optional(RUN_PROPERTIES[key].schema)])) as {
    [K in keyof RunConfig]: v.OptionalSchema<v.GenericSchema<unknown, RunConfig[K]>, undefined>;
  }),
  [PROVENANCE_KEY]: v.optional(v.array(v.picklist(BACKEND_NAMES))),
});

/** The JSON of one lz-string-compressed part of a link; ShareLinkError 'damaged' when it does not decompress to JSON. */
function readLinkJson(part: string, damaged: string): unknown {
  try {
    const json = LZString.decompressFromEncodedURIComponent(part);
    if (!json) throw new Error('empty');
    return JSON.parse(json);
  } catch {
    throw new ShareLinkError('damaged', damaged);
  }
}

/** `raw` checked by `schema`; ShareLinkError 'invalid' (with the first issue's field, if any) when it is refused. */
function checkLinkPart<T>(raw: unknown, schema: v.GenericSchema<unknown, T>, invalid: (field: string | null, detail: string) => string): T {
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ShareLinkError('invalid', invalid(v.getDotPath(issue), issue.message));
  }
  return parsed.output;
}

/**
 * One lz-string-compressed JSON part of a link, checked by `schema`. Throws ShareLinkError: 'damaged' when the
 * part does not decompress to JSON, 'invalid' (with the first issue's field, if any) when the schema refuses it.
 */
export function readLinkPart<T>(
  part: string,
  schema: v.GenericSchema<unknown, T>,
  messages: { damaged: string; invalid: (field: string | null, detail: string) => string },
): T {
  return checkLinkPart(readLinkJson(part, messages.damaged), schema, messages.invalid);
}

/**
 * What a link says about where its run came from, beside the settings: the backends its steps were computed on
 * (float results differ between backends, so only the same backend reproduces a run bit for bit).
 */
export interface LinkProvenance {
  trainedOn: BackendName[];
}

/** The hash for a config, with the leading '#'; with `provenance`, the backends the run trained on ride along. */
export function encodeShareLink(config: RunConfig, provenance?: LinkProvenance): string {
  // Defaults depend on the algorithm (LSP-Zero has no quality weight), so it is compared with the global default.
  const defaults = { ...LINK_DEFAULTS[LINK_VERSION](config.algorithm), algorithm: defaultRunConfig().algorithm };
  // Rubric overrides go in their short form (only what differs from the criteria's definitions), so a link
  // names only what was changed and two links with the same effect are the same link.
  const rubric = config.rubric ?? {};
  const compact: RunConfig = {
    ...config,
    rubric: ENV_KEYS.includes(config.env) ? canonicalRubricOverrides(getEnv(config.env), rubric) : rubric,
    judge: canonicalJudgeOverrides(config.judge ?? {}),
  };
  const changed: Partial<Record<keyof RunConfig | typeof PROVENANCE_KEY, unknown>> = {};
  for (const key of RUN_PROPERTY_KEYS) if (!sameValue(compact[key], defaults[key])) changed[key] = compact[key];
  if (provenance?.trainedOn.length) changed[PROVENANCE_KEY] = provenance.trainedOn;
  return `#v${LINK_VERSION}.${LZString.compressToEncodedURIComponent(JSON.stringify(changed))}`;
}

/** Plain values by ===, objects (the rubric and judge overrides) by content. */
function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'object' && a !== null ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/** The config a hash describes; the defaults for an empty hash. Throws ShareLinkError with a readable message. */
export function decodeShareLink(hash: string): RunConfig {
  return readShareLink(hash).config;
}

/** What a link holds: the run's config, what it says of the run's backends (null: it does not say), and notes on
 *  what a link of an older format now opens. */
export interface LinkContents {
  config: RunConfig;
  provenance: LinkProvenance | null;
  notes: string[];
}

/** The config a hash describes and what it says of its run. Throws ShareLinkError with a readable message. */
export function readShareLink(hash: string): LinkContents {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text === '') return { config: defaultRunConfig(), provenance: null, notes: [] };
  const match = /^v(\d+)\.(.*)$/s.exec(text);
  if (!match) throw new ShareLinkError('malformed', `This link does not hold Sparring settings (it should start with #v${LINK_VERSION}.).`);
  const version = Number(match[1]);
  if (version > LINK_VERSION) {
    throw new ShareLinkError('future-version', `This link was made by a newer version of Sparring (link format v${version}; this page reads up to v${LINK_VERSION}). Reload to get the newest version.`);
  }
  const defaultsOf = LINK_DEFAULTS[version];
  if (!defaultsOf) throw new ShareLinkError('malformed', `Unknown link format v${version}.`);

  // A workshop link appends '.<view options>' (view-options.ts reads that part); lz-string never writes a '.'.
  const raw = readLinkJson(match[2].split('.')[0], 'This link is incomplete or damaged: was it cut off when it was copied?');
  checkLinkPart(raw, PayloadSchema, (field, detail) => (field ? `This link's setting "${field}" is not valid: ${detail}.` : `This link's settings are not valid: ${detail}.`));
  // The raw JSON, not the schema's output: the normaliser sees every key as given (valibot drops '__proto__').
  const { [PROVENANCE_KEY]: trainedOn, ...settings } = raw as Record<string, unknown>;
  try {
    // The link's fields over its own version's defaults: the app's defaults of today play no part.
    const algorithm = (settings.algorithm ?? defaultRunConfig().algorithm) as RunAlgorithm;
    const full = RUN_ALGORITHMS.includes(algorithm) ? { ...defaultsOf(algorithm), ...settings } : settings;
    const config = normalizeRunConfig(full);
    return { config, provenance: trainedOn === undefined ? null : { trainedOn: trainedOn as BackendName[] }, notes: olderLinkNotes(version, config) };
  } catch (err) {
    if (err instanceof ConfigError) throw new ShareLinkError('invalid', `This link's settings break a rule: ${err.message}.`);
    throw err;
  }
}
