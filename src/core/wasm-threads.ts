// How many threads the WASM backend's kernels get, and why, from facts about the runtime. Pure: no tfjs, no DOM.

/** tfjs-backend-wasm's threaded build starts a pool of 8 pthread workers and caps its thread count there. */
export const MAX_WASM_THREADS = 8;

/** The query parameter that sets the thread count (the benchmark compares 1 and 2 with it). */
export const THREADS_PARAM = 'wasm-threads';

export interface ThreadFacts {
  /** `crossOriginIsolated` where the backend runs; false (or absent) withholds SharedArrayBuffer. */
  isolated: boolean;
  /** The runtime can run tfjs's threaded build (WebAssembly threads and SIMD, and not Node). */
  canThread: boolean;
  /** `navigator.hardwareConcurrency`; 0 when unknown. */
  cores: number;
  /** The value of `?wasm-threads=` on the page, when there is one (unparsed). */
  requested: string | null;
}

export interface ThreadPlan {
  threads: number;
  /** Why this many, in one sentence for people; when one, also what would give more. */
  why: string;
}

/** The response headers that make a page cross-origin isolated; every server of the app sends them. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const ISOLATION_HEADERS_TEXT = Object.entries(ISOLATION_HEADERS).map(([k, v]) => `${k}: ${v}`).join(' and ');

/** Reads `?wasm-threads=N`: a whole number from 1 to MAX_WASM_THREADS, or the rule it breaks. */
export function parseThreadRequest(text: string): { threads: number } | { error: string } {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_WASM_THREADS) {
    return { error: `?${THREADS_PARAM}=${text} was ignored: it takes a whole number from 1 to ${MAX_WASM_THREADS}` };
  }
  return { threads: n };
}

function coresText(cores: number): string {
  return cores > 0 ? `this device reports ${cores} core${cores === 1 ? '' : 's'}` : 'this browser does not report its cores';
}

export function planWasmThreads(facts: ThreadFacts): ThreadPlan {
  if (!facts.isolated) {
    return {
      threads: 1,
      why: `one thread: the page is not cross-origin isolated, so the browser withholds the shared memory that threads need; serve it with the headers ${ISOLATION_HEADERS_TEXT} to use every core (${coresText(facts.cores)})`,
    };
  }
  if (!facts.canThread) {
    return { threads: 1, why: 'one thread: this browser runs no threaded WebAssembly (threads and SIMD); a current Chromium, Firefox or Safari does' };
  }
  const request = facts.requested === null ? null : parseThreadRequest(facts.requested);
  if (request && 'threads' in request) {
    return { threads: request.threads, why: `${request.threads === 1 ? 'one thread' : `${request.threads} threads`}, as the link asks (?${THREADS_PARAM}=${request.threads}); ${coresText(facts.cores)}` };
  }
  const ignored = request && 'error' in request ? `; ${request.error}` : '';
  const auto = Math.max(1, Math.min(facts.cores, MAX_WASM_THREADS));
  if (auto === 1) return { threads: 1, why: `one thread: ${coresText(facts.cores)}${ignored}` };
  const capped = facts.cores > MAX_WASM_THREADS ? ` (at most ${MAX_WASM_THREADS})` : '';
  return { threads: auto, why: `${auto} threads, one per core${capped}: ${coresText(facts.cores)}${ignored}` };
}
