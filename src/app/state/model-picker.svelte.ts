// The model picker's state: a hub model chosen by id (and revision) or from the short list, checked before any
// download (its file list, config.json and shard index: the commit it pins, the files, the architecture), and the
// verdict on whether LoRA self-play of it fits this device at the run's batch on the run's backend. A check that
// fails keeps the hub's reason (gated, gone, not a model this project runs) as a sentence.

import { HubError } from '../../core/hub/hub-api.ts';
import { planHubModel, type ModelPlan } from '../../core/hub/model-plan.ts';
import type { LocalProgress } from '../../core/hub/local-model.ts';
import { KNOWN_MODELS, knownDownloadBytes } from '../../core/hub/known-models.ts';
import { estimatePromptTokens, fitDevice, judgeFit, type FitVerdict } from '../../core/model/fit.ts';
import type { ArchConfig } from '../../core/model/arch.ts';
import { hubParameterCount } from '../../core/model/hub-layout.ts';
import { getEnv } from '../../core/envs/registry.ts';
import type { RunConfig } from '../../core/train/run-config.ts';
import type { BackendInfo } from '../../../workers/protocol.ts';
import type { HubAccess } from './hub-access.svelte.ts';

/** A model the picker can show a fit for: a known one (before any fetch) or a checked plan. */
export interface FitSubject {
  arch: ArchConfig;
  downloadBytes: number;
}

/** The verdict on `subject` for `config`'s batch on `backend`, with `freeBytes` of storage left (null: unknown). */
export function fitVerdict(subject: FitSubject, config: RunConfig, backend: BackendInfo | null, freeBytes: number | null, storedBytes = 0): FitVerdict {
  const run = { ...config, promptTokens: estimatePromptTokens(getEnv(config.env), config.completionTokens) };
  const device = fitDevice(backend?.name ?? 'wasm', backend?.bufferLimits ?? null);
  return judgeFit(subject.arch, run, device, { downloadBytes: subject.downloadBytes - storedBytes, freeBytes });
}

/** The short list, each with what it is before anything is fetched. */
export const KNOWN_CHOICES = KNOWN_MODELS.map((m) => ({ ...m, parameters: hubParameterCount(m.arch), downloadBytes: knownDownloadBytes(m) }));

/** What the picker's select shows: a built-in size, a known model's id, another hub model by id, or a local folder. */
export type ModelChoice = { kind: 'builtin'; preset: string } | { kind: 'known'; id: string } | { kind: 'hub' } | { kind: 'local' };

/** The choice a run's config stands for. */
export function choiceOf(config: Pick<RunConfig, 'preset' | 'hubModel'>): ModelChoice {
  if (config.hubModel === '') return { kind: 'builtin', preset: config.preset };
  if (config.hubModel.startsWith('local:')) return { kind: 'local' };
  return KNOWN_MODELS.some((m) => m.id === config.hubModel) ? { kind: 'known', id: config.hubModel } : { kind: 'hub' };
}

export class ModelPicker {
  /** What the select shows: the open run's model until the user picks another to look at. */
  choice = $state.raw<ModelChoice>({ kind: 'builtin', preset: 'small' });
  /** The id and revision last checked (or being checked). */
  id = $state('');
  revision = $state('main');
  checking = $state(false);
  plan = $state.raw<ModelPlan | null>(null);
  error = $state<string | null>(null);
  /** Whether the last failure asks for an access token (a gated or private model). */
  needsToken = $state(false);
  /** A local folder being hashed and stored, and why the last one could not be used. */
  localProgress = $state.raw<LocalProgress | null>(null);
  localError = $state<string | null>(null);

  constructor(private readonly access: HubAccess) {}

  /** Reads `id` at `revision` from the hub: its commit, files and architecture. Resolves with the plan, or null
   *  (the reason is in `error`). */
  async check(id: string, revision: string): Promise<ModelPlan | null> {
    this.id = id.trim();
    this.revision = revision.trim() || 'main';
    this.checking = true;
    this.plan = null;
    this.error = null;
    this.needsToken = false;
    try {
      const plan = await planHubModel(this.access.client(), this.id, this.revision);
      if (this.id === id.trim()) this.plan = plan;
      return plan;
    } catch (err) {
      const e = err as Error;
      this.error = e.message;
      this.needsToken = e instanceof HubError && (e.kind === 'gated' || (e.kind === 'repo-not-found' && !this.access.hasToken));
      return null;
    } finally {
      this.checking = false;
    }
  }

  clear(): void {
    this.plan = null;
    this.error = null;
    this.needsToken = false;
  }
}
