import { describe, it, expect } from 'vitest';
import LZString from 'lz-string';
import { defaultRunConfig, type RunConfig } from '../src/core/train/run-config.ts';
import { decodeShareLink, encodeShareLink, LINK_VERSION, readShareLink, ShareLinkError, type ShareLinkProblem } from '../src/app/state/share-link.ts';
import { RUN_PROPERTY_KEYS } from '../src/app/state/run-properties.ts';

/** A hash whose payload is this JSON text, compressed as the codec does. */
const hashOf = (json: string, version = LINK_VERSION) => `#v${version}.${LZString.compressToEncodedURIComponent(json)}`;

function problemOf(hash: string): { problem: ShareLinkProblem; message: string } {
  try {
    decodeShareLink(hash);
  } catch (err) {
    expect(err).toBeInstanceOf(ShareLinkError);
    return { problem: (err as ShareLinkError).problem, message: (err as Error).message };
  }
  throw new Error(`expected ${hash} to be rejected`);
}

describe('share link codec', () => {
  it('round-trips a config with every field changed', () => {
    const config: RunConfig = {
      env: 'strings', algorithm: 'grpo-data', preset: 'small', base: 'scratch', pretrainSteps: 321, seed: 4242,
      numQueries: 5, groupSize: 3, qualityWeight: 0.25, challengerWeight: 0.5, challengerReward: 'learnability', normalizeByStd: true,
      klBeta: 0.125, klEstimator: 'k2', aggregation: 'constant', updatesPerBatch: 2, clipMode: 'sequence',
      clipEpsilon: 0.3, learningRate: 3e-6, maxGradNorm: 0.7, temperature: 0.9, topK: 5, topP: 0.95,
      rubric: { enabled: { distinct: false }, weights: { answer_form: 2.5 } },
      hubModel: 'HuggingFaceTB/SmolLM2-135M-Instruct', hubRevision: '12fd25f77366fa6b3b4b768ec3050bf629380bac',
      loraRank: 4, loraAlpha: 8, loraTargets: 'q_proj,v_proj', completionTokens: 32,
      qualityReward: 'judge', judge: { items: [{ key: 'kind', question: 'Is the response kind?' }], template: 'Is it good? {instruction} {response} {question} Yes or No.' },
    };
    // The test covers every property of the table.
    expect(Object.keys(config).sort()).toEqual([...RUN_PROPERTY_KEYS].sort());
    expect(decodeShareLink(encodeShareLink(config))).toEqual(config);
  });

  it('round-trips the defaults of each algorithm, compactly', () => {
    for (const algo of ['lsp', 'lsp-zero', 'grpo-data'] as const) {
      const config = defaultRunConfig(algo);
      const hash = encodeShareLink(config);
      expect(hash).toMatch(/^#v3\./);
      expect(hash.length).toBeLessThan(60);
      expect(decodeShareLink(hash)).toEqual(config);
    }
  });

  it('writes only the fields that differ from the defaults', () => {
    const hash = encodeShareLink({ ...defaultRunConfig(), seed: 9 });
    expect(LZString.decompressFromEncodedURIComponent(hash.slice(4))).toBe('{"seed":9}');
  });

  it('reads an empty hash as the defaults', () => {
    expect(decodeShareLink('')).toEqual(defaultRunConfig());
    expect(decodeShareLink('#')).toEqual(defaultRunConfig());
  });

  it('rejects a hash that is not a Sparring link', () => {
    expect(problemOf('#hello').problem).toBe('malformed');
    expect(problemOf('#v0.abc').problem).toBe('malformed');
  });

  it('rejects a link from a future version with a message that says so', () => {
    const { problem, message } = problemOf(hashOf('{}', LINK_VERSION + 1));
    expect(problem).toBe('future-version');
    expect(message).toMatch(/newer version/);
  });

  it('rejects a truncated or garbled payload as damaged', () => {
    const full = encodeShareLink({ ...defaultRunConfig('lsp-zero'), seed: 12345, learningRate: 0.0003, numQueries: 16 });
    for (const cut of [full.length - 3, full.length - 8, 6]) {
      expect(problemOf(full.slice(0, cut)).problem).toBe('damaged');
    }
    expect(problemOf('#v1.').problem).toBe('damaged');
    expect(problemOf('#v1.%%%%').problem).toBe('damaged');
  });

  it('rejects wrong types and unknown fields, naming the field', () => {
    expect(problemOf(hashOf('{"seed":"one"}'))).toMatchObject({ problem: 'invalid', message: expect.stringContaining('"seed"') });
    expect(problemOf(hashOf('{"numQueries":2.5}'))).toMatchObject({ problem: 'invalid', message: expect.stringContaining('"numQueries"') });
    expect(problemOf(hashOf('{"env":"chess"}'))).toMatchObject({ problem: 'invalid', message: expect.stringContaining('"env"') });
    expect(problemOf(hashOf('{"learningRat":0.1}'))).toMatchObject({ problem: 'invalid', message: expect.stringContaining('learningRat') });
    expect(problemOf(hashOf('[1,2]')).problem).toBe('invalid');
    expect(problemOf(hashOf('null')).problem).toBe('invalid');
  });

  it('rejects values that break the config rules, stating the rule', () => {
    expect(problemOf(hashOf('{"groupSize":1}')).message).toMatch(/groupSize \(1\) must be an integer from 2 to 64/);
    expect(problemOf(hashOf('{"algorithm":"lsp-zero","qualityWeight":1}')).message).toMatch(/must be 0 for lsp-zero/);
    expect(problemOf(hashOf('{"algorithm":"base"}')).problem).toBe('invalid');
  });

  it('reports rubric keys __proto__ and constructor like any unknown criterion, not dropping them', () => {
    for (const json of ['{"rubric":{"enabled":{"__proto__":false}}}', '{"rubric":{"weights":{"constructor":2}}}']) {
      const { problem, message } = problemOf(hashOf(json));
      expect(problem).toBe('invalid');
      expect(message).toMatch(/is not a criterion of the arithmetic environment \('(__proto__|constructor)'\)/);
    }
  });

  it('reads a v1 link against the v1 defaults, whatever the app defaults are now', () => {
    // v1: GRPO with data kept the quality self-reward (wQ = 1); v2 and the app today give it none.
    expect(decodeShareLink(hashOf('{"algorithm":"grpo-data","env":"strings"}', 1)).qualityWeight).toBe(1);
    expect(decodeShareLink(hashOf('{"algorithm":"grpo-data","env":"strings"}', 2)).qualityWeight).toBe(0);
    const v1 = readShareLink(hashOf('{"env":"strings","seed":4}', 1));
    expect(v1.config).toMatchObject({ env: 'strings', preset: 'small', seed: 4, numQueries: 16, groupSize: 8, learningRate: 3e-5, challengerReward: 'failure' });
    expect(v1.notes).toEqual([]);
  });

  it('opens a v1 arithmetic link on the redesigned environment and says so', () => {
    const { config, notes } = readShareLink(hashOf('{"seed":7}', 1));
    expect(config.env).toBe('arithmetic');
    expect(config.seed).toBe(7);
    expect(notes.join(' ')).toMatch(/earlier arithmetic environment .* does not reproduce the old run/);
    expect(readShareLink(encodeShareLink(config)).notes).toEqual([]);
  });

  it('opens a v2 arithmetic link with its settings on the rebuilt base model and says it does not reproduce the run', () => {
    const v2 = readShareLink(hashOf('{"seed":2,"algorithm":"lsp-zero"}', 2));
    expect(v2.config).toMatchObject({ env: 'arithmetic', seed: 2, algorithm: 'lsp-zero', learningRate: 1e-4, qualityWeight: 0 });
    expect(v2.notes.join(' ')).toMatch(/sign last \('3-' for -3\).*begin with their sign.*does not reproduce the old run/);
    // The same settings as a link of today: no note. A v2 link of another environment: none either.
    expect(readShareLink(encodeShareLink(v2.config)).notes).toEqual([]);
    expect(readShareLink(hashOf('{"env":"strings"}', 2)).notes).toEqual([]);
    // v2 and v3 share their defaults: the empty v2 link is today's default run.
    expect(readShareLink(hashOf('{}', 2)).config).toEqual(defaultRunConfig());
  });

  it('carries the backends a run trained on beside its settings, not in them', () => {
    const config = { ...defaultRunConfig(), seed: 5 };
    const hash = encodeShareLink(config, { trainedOn: ['wasm', 'webgpu'] });
    expect(readShareLink(hash)).toEqual({ config, provenance: { trainedOn: ['wasm', 'webgpu'] }, notes: [] });
    expect(decodeShareLink(hash)).toEqual(config);
    expect(readShareLink(encodeShareLink(config)).provenance).toBeNull();
    expect(encodeShareLink(config, { trainedOn: [] })).toBe(encodeShareLink(config));
    expect(problemOf(hashOf('{"trainedOn":["tpu"]}')).problem).toBe('invalid');
  });
});
