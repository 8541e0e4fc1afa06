import { describe, it, expect } from 'vitest';
import { ConfigError } from '../src/core/rl/config.ts';
import { defaultRunConfig, normalizeRunConfig, RUN_CONFIG_KEYS, sameRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { RUN_PROPERTY_KEYS } from '../src/app/state/run-properties.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';
import { DEFAULT_JUDGE_TEMPLATE } from '../src/core/judge/prompt.ts';

/** The ConfigError a raw config is refused with. */
function refusal(raw: unknown): ConfigError {
  try {
    normalizeRunConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('normalizeRunConfig', () => {
  it('fills every missing field from the algorithm’s defaults', () => {
    expect(normalizeRunConfig({})).toEqual(defaultRunConfig());
    expect(normalizeRunConfig({ algorithm: 'lsp-zero', seed: 7 })).toEqual({ ...defaultRunConfig('lsp-zero'), seed: 7 });
  });

  it('returns a full config unchanged, and a copy, not the object it was given', () => {
    const full: RunConfig = { ...defaultRunConfig('grpo-data'), env: 'strings', preset: 'tiny', seed: 99, rubric: { enabled: { distinct: false } } };
    const out = normalizeRunConfig(full);
    expect(out).toEqual(full);
    expect(out).not.toBe(full);
  });

  it('migrates runs stored before the base model and rubric fields existed, and null rubric maps', () => {
    const { base: _base, rubric: _rubric, ...legacy } = defaultRunConfig();
    expect(normalizeRunConfig(legacy)).toEqual(defaultRunConfig());
    expect(normalizeRunConfig({ ...legacy, rubric: null }).rubric).toEqual({});
    expect(normalizeRunConfig({ ...legacy, rubric: { enabled: null, weights: { parses: 3 } } }).rubric).toEqual({ weights: { parses: 3 } });
  });

  it('makes the rubric canonical: entries equal to the definition are dropped', () => {
    const config = normalizeRunConfig({ rubric: { enabled: { parses: true, distinct: false }, weights: { no_leak: 1, answer_form: 2 } } });
    expect(config.rubric).toEqual({ enabled: { distinct: false }, weights: { answer_form: 2 } });
  });

  it('refuses what is not a config object', () => {
    for (const raw of [null, undefined, 'lsp', 3, [1, 2]]) expect(refusal(raw).field).toBe('config');
  });

  it('refuses an unknown field, naming it and listing the settings', () => {
    const err = refusal({ learningRat: 0.1 });
    expect(err.field).toBe('learningRat');
    expect(err.message).toMatch(/learningRat \(0\.1\) is not a run setting; the settings are .*learningRate.*rubric/);
  });

  it('refuses an unknown environment or algorithm before anything reads them', () => {
    expect(refusal({ env: 'chess' })).toMatchObject({ field: 'env', value: 'chess' });
    expect(refusal({ algorithm: 'base' })).toMatchObject({ field: 'algorithm', value: 'base' });
    expect(refusal({ env: null })).toMatchObject({ field: 'env' });
  });

  it('refuses wrong types and broken rules with the field, the value and the rule', () => {
    expect(refusal({ seed: 'one' }).message).toBe('seed ("one") must be an integer from 0 to 4294967295');
    expect(refusal({ groupSize: 1 }).message).toMatch(/groupSize \(1\) must be an integer from 2 to 64/);
    expect(refusal({ algorithm: 'lsp-zero', qualityWeight: 1 }).message).toMatch(/must be 0 for lsp-zero/);
    expect(refusal({ env: 'writing', preset: 'tiny' }).field).toBe('preset');
  });

  it('refuses a rubric of the wrong shape', () => {
    expect(refusal({ rubric: 'off' }).field).toBe('rubric');
    expect(refusal({ rubric: { enabled: ['parses'] } }).field).toBe('rubric.enabled');
    expect(refusal({ rubric: { weight: {} } }).field).toBe('rubric.weight');
  });

  it('reports the keys __proto__ and constructor like any other unknown criterion', () => {
    // JSON.parse makes '__proto__' an own key, as a link's or a stored run's JSON would.
    for (const json of ['{"rubric":{"enabled":{"__proto__":false}}}', '{"rubric":{"weights":{"constructor":2}}}', '{"rubric":{"enabled":{"parse":false}}}']) {
      const err = refusal(JSON.parse(json));
      expect(err.field).toMatch(/^rubric\.(enabled|weights)\./);
      expect(err.message).toMatch(/is not a criterion of the arithmetic environment/);
    }
    expect(refusal(JSON.parse('{"rubric":{"enabled":{"__proto__":false}}}')).field).toBe('rubric.enabled.__proto__');
    expect(refusal(JSON.parse('{"__proto__":{"seed":3}}')).field).toBe('__proto__');
  });

  it('keeps the instructions environment to chat models, saying what to do', () => {
    const err = refusal({ env: 'instructions' });
    expect(err.field).toBe('env');
    expect(err.message).toMatch(/^env \("instructions"\) is for chat models only: .* choose a hub chat model \(Bring a model on the page, --model <folder> on the command line\)/);
    const hub = { env: 'instructions', hubModel: 'HuggingFaceTB/SmolLM2-135M-Instruct', hubRevision: 'main' };
    expect(normalizeRunConfig(hub)).toMatchObject(hub);
  });

  it('gives Q to the judge only on a hub model, and checks its items and prompt', () => {
    const hub = { hubModel: 'org/chat', hubRevision: 'main' };
    expect(refusal({ qualityReward: 'judge' }).message).toMatch(/^qualityReward \("judge"\) judge needs a hub chat model/);
    expect(refusal({ ...hub, qualityReward: 'critic' }).field).toBe('qualityReward');
    expect(normalizeRunConfig({ ...hub, qualityReward: 'judge' }).judge).toEqual({});
    expect(refusal({ ...hub, judge: { items: [] } }).message).toMatch(/^judge\.items \(\[\]\) are refused: the judge needs at least one item/);
    expect(refusal({ ...hub, judge: { items: [{ key: 'a', question: 'Q?' }, { key: 'a', question: 'R?' }] } }).message).toMatch(/used twice/);
    expect(refusal({ ...hub, judge: { template: 'Rate {response}. Yes or No?' } }).message).toMatch(/^judge\.template .* must hold \{instruction\} exactly once \(it holds it 0 times\)/);
    expect(refusal({ ...hub, judge: { items: [{ key: 'a' }] } }).field).toBe('judge.items');
    expect(refusal({ ...hub, judge: { prompt: 'x' } }).field).toBe('judge.prompt');
    expect(refusal({ ...hub, judge: 'paper' }).field).toBe('judge');
  });

  it("makes the judge canonical: the paper's items and the default prompt are dropped, changed ones kept", () => {
    const hub = { hubModel: 'org/chat', hubRevision: 'main', qualityReward: 'judge' };
    expect(normalizeRunConfig({ ...hub, judge: { items: PAPER_JUDGE_ITEMS, template: DEFAULT_JUDGE_TEMPLATE } }).judge).toEqual({});
    const items = [{ key: 'kind', question: 'Is the response kind?' }];
    expect(normalizeRunConfig({ ...hub, judge: { items, template: DEFAULT_JUDGE_TEMPLATE } }).judge).toEqual({ items });
    expect(normalizeRunConfig({ ...hub, judge: null }).judge).toEqual({});
  });

  it('lists the same fields as the app’s property table', () => {
    expect([...RUN_CONFIG_KEYS].sort()).toEqual([...RUN_PROPERTY_KEYS].sort());
  });
});

describe('sameRunConfig', () => {
  const base = defaultRunConfig();

  it('is true for equal configs and for rubric overrides with the same effect', () => {
    expect(sameRunConfig(base, { ...base })).toBe(true);
    expect(sameRunConfig({ ...base, rubric: {} }, { ...base, rubric: { enabled: { parses: true }, weights: { parses: 1 } } })).toBe(true);
  });

  it('is false when any one field differs', () => {
    for (const key of RUN_CONFIG_KEYS) {
      if (key === 'rubric' || key === 'judge') continue;
      const other = normalizeRunConfig({ ...base, algorithm: 'lsp' });
      const changed: RunConfig = { ...other, [key]: typeof other[key] === 'number' ? (other[key] as number) + 1 : typeof other[key] === 'boolean' ? !other[key] : `${String(other[key])}x` };
      expect(sameRunConfig(base, changed), key).toBe(false);
    }
    expect(sameRunConfig(base, { ...base, rubric: { enabled: { distinct: false } } })).toBe(false);
    expect(sameRunConfig(base, { ...base, judge: { template: `${DEFAULT_JUDGE_TEMPLATE}\nBe fair.` } })).toBe(false);
  });

  it("compares the judge by its effect: the paper's items and the default prompt written out are no change", () => {
    expect(sameRunConfig(base, { ...base, judge: { items: [...PAPER_JUDGE_ITEMS], template: DEFAULT_JUDGE_TEMPLATE } })).toBe(true);
  });
});
