// How a run's model is named for people in lists and legends: a built-in size, a hub model's name and commit, or
// a local folder's hash.

import { isLocalModelId } from '../../core/hub/local-model.ts';
import { isHubRun, type RunConfig } from '../../core/train/run-config.ts';

/** "small", "SmolLM2-135M-Instruct@4e6f2b1", "folder 1f2e3d4c". */
export function modelLabel(config: Pick<RunConfig, 'preset' | 'hubModel' | 'hubRevision'>): string {
  if (!isHubRun(config)) return config.preset;
  if (isLocalModelId(config.hubModel)) return `folder ${config.hubModel.slice('local:'.length, 'local:'.length + 8)}`;
  return `${config.hubModel.split('/').pop()}@${config.hubRevision.slice(0, 7)}`;
}
