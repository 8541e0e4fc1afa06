// Errors across the worker boundary as the named classes they are: a thrown error (through Comlink) or a
// session's error event leaves the worker as plain data (name, message, its own fields) and is rebuilt on the
// page as an instance of its class, so the page tests `instanceof ConfigError`, never a name string.

import * as Comlink from 'comlink';
import { BackendUnavailableError } from '../src/core/backend-names.ts';
import { CadenceInputError } from '../src/core/analysis/cadence-stats.ts';
import { CorpusError } from '../src/core/envs/writing/user-corpus.ts';
import { UnknownEnvironmentError } from '../src/core/envs/registry.ts';
import { InvalidRubricWeightError } from '../src/core/envs/rubric.ts';
import { SplitSamplingError } from '../src/core/envs/split.ts';
import { ModelConfigError } from '../src/core/model/config.ts';
import { WeightsError } from '../src/core/model/safetensors.ts';
import { ConfigError } from '../src/core/rl/config.ts';
import { TokenizerError } from '../src/core/tokenizer/tokenizer.ts';
import { CheckpointFormatError } from '../src/core/train/checkpoint-pack.ts';
import { NonFiniteLossError } from '../src/core/train/errors.ts';
import { ChatModelRequiredError, ContextLengthError, JudgePromptLengthError, SessionStateError } from '../src/core/train/errors.ts';
import { JudgeScoreError, JudgeTokenError } from '../src/core/judge/score.ts';
import { CachedModelDamagedError, ModelNotCachedError } from '../src/core/hub/cached-files.ts';
import { ModelStoreFullError, ModelStoreUnavailableError } from '../src/core/hub/model-store.ts';
import { ModelFilesError } from '../src/core/hub/model-files.ts';
import { CheckpointError } from '../src/core/hub/hub-safetensors.ts';
import { GenerationConfigError } from '../src/core/hub/hub-config.ts';
import { ArchConfigError } from '../src/core/model/arch.ts';
import { DeviceFitError } from '../src/core/model/fit.ts';
import { HubExportError } from '../src/core/model/hub-convert.ts';
import type { SessionErrorInfo } from '../src/core/train/session.ts';

/** The worker's WebGPU device went away (a driver reset, or the test hook). */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/** The threaded WASM build did not start (a missing binary, a browser without nested workers): the worker's WASM
 *  module is then unusable, and the page starts a new worker on one thread. */
export class ThreadedWasmStartError extends Error {
  override name = 'ThreadedWasmStartError';
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Every error class that may leave the worker, by the name its instances carry. Only classes from modules the page
 *  may load (no tfjs, no tokenizer library): an error of another class arrives as an Error with its name and message. */
const ERROR_CLASSES: Record<string, ErrorClass> = {
  ArchConfigError,
  BackendUnavailableError,
  CachedModelDamagedError,
  CadenceInputError,
  ChatModelRequiredError,
  CheckpointError,
  CheckpointFormatError,
  ConfigError,
  ContextLengthError,
  CorpusError,
  DeviceFitError,
  DeviceLostError,
  GenerationConfigError,
  HubExportError,
  InvalidRubricWeightError,
  JudgePromptLengthError,
  JudgeScoreError,
  JudgeTokenError,
  ModelConfigError,
  ModelFilesError,
  ModelNotCachedError,
  ModelStoreFullError,
  ModelStoreUnavailableError,
  NonFiniteLossError,
  SessionStateError,
  SplitSamplingError,
  ThreadedWasmStartError,
  TokenizerError,
  UnknownEnvironmentError,
  WeightsError,
};

/** An error as structured-cloneable data: its name, message, and own fields such as ConfigError's field and rule. */
export interface WireError extends SessionErrorInfo {
  stack?: string;
  fields?: Record<string, unknown>;
}

/** Own fields worth carrying: plain data only (a field that does not clone is left behind). */
function ownFields(err: Error): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    try {
      fields[key] = structuredClone(value);
    } catch {
      // not cloneable: left out
    }
  }
  return Object.keys(fields).length ? fields : undefined;
}

export function errorToWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  return { name: err.name, message: err.message, stack: err.stack, fields: ownFields(err) };
}

/** The error `wire` describes, as an instance of its class when the class is known (a plain Error otherwise). */
export function errorFromWire(wire: WireError): Error {
  const err = new Error(wire.message);
  const known = Object.hasOwn(ERROR_CLASSES, wire.name) ? ERROR_CLASSES[wire.name] : null;
  if (known) Object.setPrototypeOf(err, known.prototype);
  Object.assign(err, wire.fields ?? {});
  err.name = wire.name; // an own field, as the classes' constructors set it
  if (wire.stack) err.stack = wire.stack;
  return err;
}

/** Comlink's handler for thrown values, replaced on both sides so a rejected call rejects with the named class. */
export function installErrorTransfer(): void {
  Comlink.transferHandlers.set('throw', {
    // Comlink marks what a call threw with its own symbol, which it does not export; its description names it.
    canHandle: (value: unknown): value is { value: unknown } =>
      typeof value === 'object' && value !== null && Object.getOwnPropertySymbols(value).some((s) => s.description === 'Comlink.thrown'),
    serialize: ({ value }: { value: unknown }) => [errorToWire(value), []],
    deserialize: (wire: WireError) => {
      throw errorFromWire(wire);
    },
  } as Comlink.TransferHandler<{ value: unknown }, WireError>);
}
