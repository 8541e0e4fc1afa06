// The self-play algorithm's configuration: a typed record, the defaults, the four algorithms, and a validator
// whose errors name the field, the value and the rule.

export type Algorithm = 'lsp' | 'lsp-zero' | 'grpo-data' | 'base';
export const ALGORITHMS: Algorithm[] = ['lsp', 'lsp-zero', 'grpo-data', 'base'];

export type KlEstimator = 'k1' | 'k2' | 'k3';
export const KL_ESTIMATORS: KlEstimator[] = ['k1', 'k2', 'k3'];
/** How token terms become a sequence's loss: summed (the paper), averaged (GRPO), or over a constant (Dr. GRPO). */
export type Aggregation = 'sum' | 'mean' | 'constant';
export const AGGREGATIONS: Aggregation[] = ['sum', 'mean', 'constant'];
/** With more than one update per batch: clip the ratio per token (PPO) or per sequence (GSPO). */
export type ClipMode = 'token' | 'sequence';
export const CLIP_MODES: ClipMode[] = ['token', 'sequence'];
/** What the Challenger earns for a query from the Solver's success rate on it (see math.ts challengerTaskScore):
 *  the paper's failure (-V), or a learnability reward that pays for queries solved sometimes but not always. */
export type ChallengerReward = 'failure' | 'learnability' | 'uncertainty';
export const CHALLENGER_REWARDS: ChallengerReward[] = ['failure', 'learnability', 'uncertainty'];

export interface LspConfig {
  algorithm: Algorithm;
  /** N: Challenger queries per step. */
  numQueries: number;
  /** G: Solver answers per query. */
  groupSize: number;
  /** wQ: weight of the quality self-reward (0 for LSP-Zero). */
  qualityWeight: number;
  /** alphaCh: weight of the Challenger's loss. */
  challengerWeight: number;
  /** What the Challenger earns from the Solver's success rate on its query (the paper: 'failure', -V). */
  challengerReward: ChallengerReward;
  /** beta: weight of KL(pi || pi_ref). */
  klBeta: number;
  klEstimator: KlEstimator;
  aggregation: Aggregation;
  /** Divide the Solver's group advantages by the group's standard deviation (GRPO does; the paper does not). */
  normalizeByStd: boolean;
  /** Gradient updates per sampled batch; above 1 the ratio to the sampling policy is clipped. */
  updatesPerBatch: number;
  clipMode: ClipMode;
  clipEpsilon: number;
  learningRate: number;
  /** Global gradient-norm clip. */
  maxGradNorm: number;
  temperature: number;
  topK: number;
  topP: number;
}

export const DEFAULT_LSP_CONFIG: LspConfig = {
  algorithm: 'lsp',
  numQueries: 16, // the paper's N is 8; 16 halves the gradient noise that otherwise undoes a 1M model's gains
  groupSize: 8,
  qualityWeight: 1,
  // The Challenger learns "write harder queries" far faster than the Solver learns to answer them; at 1 the
  // query difficulty saturates within ~25 steps and most groups stop carrying signal (measured on arithmetic).
  challengerWeight: 0.1,
  challengerReward: 'failure',
  klBeta: 0.1, // the paper's beta is 0.05; 0.1 keeps the Challenger nearer the base model's query mix
  // The paper regularises with the log-ratio summed over tokens (k1). Its expected gradient is zero (the score
  // function has mean zero under the sampling policy), so as a loss term it leashes only through noise; k3 =
  // exp(r) - r - 1 is unbiased for the KL's value, never negative, and its gradient pulls towards pi_ref. A
  // departure from the paper, kept on purpose; k1 and k2 remain selectable.
  klEstimator: 'k3',
  aggregation: 'sum',
  normalizeByStd: false,
  updatesPerBatch: 1,
  clipMode: 'token',
  clipEpsilon: 0.2,
  // The paper's 3e-6 is for a 3B model. On three-digit arithmetic the small model gains +13 points in 300 steps at
  // 1e-4 and +2 at 3e-5 (README results); strings and tiny models fall at 1e-4 and above.
  learningRate: 1e-4,
  maxGradNorm: 1,
  temperature: 1,
  topK: 0,
  topP: 1,
};

/** The defaults adjusted to an algorithm: LSP-Zero drops the quality self-reward, and so does GRPO with data (the
 *  paper's data-backed baseline has none); Base never trains. */
export function configForAlgorithm(algorithm: Algorithm, overrides: Partial<LspConfig> = {}): LspConfig {
  return { ...DEFAULT_LSP_CONFIG, qualityWeight: ALGORITHM_QUALITY_WEIGHTS[algorithm], ...overrides, algorithm };
}

/** Each algorithm's default wQ, in a table the compiler checks covers every algorithm. */
const ALGORITHM_QUALITY_WEIGHTS: Record<Algorithm, number> = {
  lsp: DEFAULT_LSP_CONFIG.qualityWeight,
  'lsp-zero': 0,
  'grpo-data': 0,
  base: DEFAULT_LSP_CONFIG.qualityWeight,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${field} (${JSON.stringify(value)}) ${rule}`);
  }
}

/** A numeric field's rule: an integer or any finite number, within bounds (open or closed), with a reason to say. */
export interface NumericRule {
  integer: boolean;
  min: number;
  /** Whether `min` itself is allowed. */
  minClosed: boolean;
  /** Infinity for none. */
  max: number;
  maxClosed: boolean;
  /** Why, when the bound is not obvious; said after the rule. */
  why?: string;
}

const int = (min: number, max: number, why?: string): NumericRule => ({ integer: true, min, minClosed: true, max, maxClosed: true, why });
const atLeast = (min: number, why?: string): NumericRule => ({ integer: false, min, minClosed: true, max: Infinity, maxClosed: false, why });
const range = (min: number, minClosed: boolean, max: number, maxClosed: boolean, why?: string): NumericRule => ({ integer: false, min, minClosed, max, maxClosed, why });

/** The numeric rules of the config, once: the validator, the settings form's inputs and the CLI (through the
 *  validator) all read them. */
export const NUMERIC_RULES: { [K in keyof LspConfig as LspConfig[K] extends number ? K : never]: NumericRule } = {
  numQueries: int(2, 256, 'the Challenger advantage compares queries'),
  groupSize: int(2, 64, 'a group of one has no advantage'),
  qualityWeight: atLeast(0),
  challengerWeight: atLeast(0),
  klBeta: atLeast(0),
  updatesPerBatch: int(1, 16),
  clipEpsilon: range(0, false, 1, false),
  learningRate: range(0, false, 1, true),
  maxGradNorm: range(0, false, Infinity, false),
  temperature: range(0, false, 5, true, '0 is greedy, for evaluation only'),
  topK: int(0, Infinity, '0 keeps every token'),
  topP: range(0, false, 1, true),
};

/** The rule in words: 'must be an integer from 2 to 64', 'must be a number in (0, 1]', 'must be a number >= 0'. */
export function describeRule(rule: NumericRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  let text: string;
  if (rule.max === Infinity) text = `must be ${kind} ${rule.minClosed ? '>=' : '>'} ${rule.min}`;
  else if (rule.integer && rule.minClosed && rule.maxClosed) text = `must be ${kind} from ${rule.min} to ${rule.max}`;
  else text = `must be ${kind} in ${rule.minClosed ? '[' : '('}${rule.min}, ${rule.max}${rule.maxClosed ? ']' : ')'}`;
  return rule.why ? `${text} (${rule.why})` : text;
}

export function followsRule(rule: NumericRule, value: unknown): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) return false;
  const aboveMin = rule.minClosed ? value >= rule.min : value > rule.min;
  const belowMax = rule.maxClosed ? value <= rule.max : value < rule.max;
  return aboveMin && belowMax;
}

/** Throws ConfigError for the first rule broken; returns the config unchanged otherwise. */
export function validateLspConfig(c: LspConfig): LspConfig {
  const need = (ok: boolean, field: keyof LspConfig, rule: string) => {
    if (!ok) throw new ConfigError(field, c[field], rule);
  };
  const numeric = (field: keyof typeof NUMERIC_RULES) => need(followsRule(NUMERIC_RULES[field], c[field]), field, describeRule(NUMERIC_RULES[field]));
  need(ALGORITHMS.includes(c.algorithm), 'algorithm', `must be one of ${ALGORITHMS.join(', ')}`);
  numeric('numQueries');
  numeric('groupSize');
  numeric('qualityWeight');
  if (c.algorithm === 'lsp-zero') need(c.qualityWeight === 0, 'qualityWeight', 'must be 0 for lsp-zero (LSP-Zero has no quality self-reward)');
  if (c.algorithm === 'lsp') need(c.qualityWeight > 0, 'qualityWeight', 'must be > 0 for lsp (use lsp-zero for none)');
  numeric('challengerWeight');
  numeric('klBeta');
  need(CHALLENGER_REWARDS.includes(c.challengerReward), 'challengerReward', `must be one of ${CHALLENGER_REWARDS.join(', ')}`);
  need(KL_ESTIMATORS.includes(c.klEstimator), 'klEstimator', `must be one of ${KL_ESTIMATORS.join(', ')}`);
  need(AGGREGATIONS.includes(c.aggregation), 'aggregation', `must be one of ${AGGREGATIONS.join(', ')}`);
  need(typeof c.normalizeByStd === 'boolean', 'normalizeByStd', 'must be true or false');
  numeric('updatesPerBatch');
  need(CLIP_MODES.includes(c.clipMode), 'clipMode', 'must be token (PPO) or sequence (GSPO)');
  numeric('clipEpsilon');
  numeric('learningRate');
  numeric('maxGradNorm');
  numeric('temperature');
  numeric('topK');
  numeric('topP');
  return c;
}
