import { describe, it, expect } from 'vitest';
import { presetHash, REWARD_HACKING_PRESETS, WRITING_HACKING_PRESETS } from '../src/app/state/presets.ts';
import { decodeShareLink } from '../src/app/state/share-link.ts';

describe.each([
  ['arithmetic', REWARD_HACKING_PRESETS],
  ['writing', WRITING_HACKING_PRESETS],
])('the reward-hacking presets on %s', (envKey, presets) => {
  it('are valid runs of their environment that their links reproduce', () => {
    for (const preset of presets) {
      expect(preset.config.env).toBe(envKey);
      expect(decodeShareLink(presetHash(preset))).toEqual(preset.config);
    }
  });

  it('differ only in what LSP adds: the quality self-reward and the KL leash', () => {
    const [zero, lsp] = presets;
    expect([zero.config.algorithm, lsp.config.algorithm]).toEqual(['lsp-zero', 'lsp']);
    const differing = Object.keys(zero.config).filter((k) => JSON.stringify(zero.config[k as keyof typeof zero.config]) !== JSON.stringify(lsp.config[k as keyof typeof lsp.config]));
    expect(differing.sort()).toEqual(['algorithm', 'klBeta', 'qualityWeight']);
    expect(zero.config.qualityWeight).toBe(0);
    expect(zero.config.klBeta).toBe(0);
    expect(lsp.config.qualityWeight).toBeGreaterThan(0);
    expect(lsp.config.klBeta).toBeGreaterThan(0);
  });
});
