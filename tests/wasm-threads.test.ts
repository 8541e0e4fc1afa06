import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MAX_WASM_THREADS, parseThreadRequest, planWasmThreads, type ThreadFacts } from '../src/core/wasm-threads.ts';
import { useBackend, wasmCanThread } from '../src/core/backend.ts';

const READY: ThreadFacts = { isolated: true, canThread: true, cores: 2, requested: null };

describe('planWasmThreads', () => {
  it('runs one thread per core when isolated, up to the build pool of 8', () => {
    expect(planWasmThreads(READY)).toEqual({ threads: 2, why: '2 threads, one per core: this device reports 2 cores' });
    expect(planWasmThreads({ ...READY, cores: 6 }).threads).toBe(6);
    const many = planWasmThreads({ ...READY, cores: 32 });
    expect(many.threads).toBe(MAX_WASM_THREADS);
    expect(many.why).toContain('at most 8');
  });

  it('falls back to one thread without isolation, naming the headers that fix it', () => {
    const plan = planWasmThreads({ ...READY, isolated: false, cores: 4 });
    expect(plan.threads).toBe(1);
    expect(plan.why).toContain('not cross-origin isolated');
    expect(plan.why).toContain('Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp');
    expect(plan.why).toContain('4 cores');
  });

  it('falls back to one thread where WebAssembly has no threads, or there is one core', () => {
    expect(planWasmThreads({ ...READY, canThread: false })).toMatchObject({ threads: 1, why: expect.stringContaining('no threaded WebAssembly') });
    expect(planWasmThreads({ ...READY, cores: 1 })).toEqual({ threads: 1, why: 'one thread: this device reports 1 core' });
    expect(planWasmThreads({ ...READY, cores: 0 })).toEqual({ threads: 1, why: 'one thread: this browser does not report its cores' });
  });

  it('follows ?wasm-threads=N, and says so when it ignores a bad one', () => {
    expect(planWasmThreads({ ...READY, requested: '1' })).toEqual({ threads: 1, why: 'one thread, as the link asks (?wasm-threads=1); this device reports 2 cores' });
    expect(planWasmThreads({ ...READY, requested: '4' }).threads).toBe(4);
    const bad = planWasmThreads({ ...READY, requested: 'lots' });
    expect(bad.threads).toBe(2);
    expect(bad.why).toContain('?wasm-threads=lots was ignored: it takes a whole number from 1 to 8');
    // Isolation comes first: a request cannot give threads that the page cannot have.
    expect(planWasmThreads({ ...READY, isolated: false, requested: '2' }).threads).toBe(1);
  });

  it('parses thread requests strictly', () => {
    expect(parseThreadRequest('3')).toEqual({ threads: 3 });
    for (const bad of ['0', '9', '2.5', '-1', '', ' ', '1e1', '0x2']) expect(parseThreadRequest(bad), bad).toHaveProperty('error');
  });
});

describe('WASM in Node', () => {
  it('stays single-threaded, even when more threads are asked for', async () => {
    expect(await wasmCanThread()).toBe(false);
    const started = await useBackend('wasm', { threads: 2 });
    expect(tf.getBackend()).toBe('wasm');
    expect(started.wasmThreads).toBe(1);
  });
});
