// The names of the session's methods as data, for the transports that forward them (the page's worker wrapper):
// tensor-free, so the page can import it without loading the engine.

import type { SessionApi } from './session.ts';

/**
 * Every method of SessionApi, for the transports that forward them (the worker's): the compiler checks the list
 * against the interface both ways, so a method added there is forwarded, never dropped.
 */
export const SESSION_METHODS = [
  'init', 'pretrainFromScratch', 'stop', 'step', 'setRubric', 'evaluate', 'getCheckpoint', 'exportModel', 'exportHubModel',
  'exportAdapters', 'restore', 'reset', 'dispose',
] as const satisfies readonly (keyof SessionApi)[];
type UnlistedMethod = Exclude<keyof SessionApi, (typeof SESSION_METHODS)[number]>;
const EVERY_METHOD_LISTED: UnlistedMethod extends never ? true : UnlistedMethod = true;
void EVERY_METHOD_LISTED;

