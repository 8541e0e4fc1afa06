// One edit of a run's settings and what follows from it: an algorithm brings its own quality weight, an
// environment its own rubric and (when its sequences do not fit) a model size that fits. Pure.

import { fitPresetToEnv } from '../../core/train/preset-fit.ts';
import { defaultRunConfig, validateRunConfig, type RunConfig } from '../../core/train/run-config.ts';

export interface ConfigEdit {
  config: RunConfig;
  /** What changed besides the property itself, for people (null when nothing did). */
  note: string | null;
}

/** `config` with `key` set to `value` and the cascade it implies; throws ConfigError when the result breaks a rule. */
export function editRunConfig<K extends keyof RunConfig>(config: RunConfig, key: K, value: RunConfig[K]): ConfigEdit {
  const next: RunConfig = { ...config, [key]: value };
  // Each algorithm has its own quality weight default (LSP-Zero has none).
  if (key === 'algorithm') next.qualityWeight = defaultRunConfig(next.algorithm).qualityWeight;
  let note: string | null = null;
  if (key === 'env') {
    // Rubric overrides name one environment's criteria: another environment starts from its own rubric.
    next.rubric = {};
    // A new environment whose sequences do not fit the model size moves to the smallest size that fits
    // (writing on tiny -> small) rather than leaving the form stuck on an error; an explicit size choice
    // that does not fit is still reported as one.
    const sized = fitPresetToEnv(next);
    if (sized.moved) note = `Model size changed from ${next.preset} to ${sized.config.preset}: the ${next.env} environment's sequences do not fit ${next.preset}.`;
    next.preset = sized.config.preset;
  }
  return { config: validateRunConfig(next), note };
}
