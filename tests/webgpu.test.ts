// WebGPU against WASM in Node: runs scripts/webgpu-check.ts (Dawn from the `webgpu` package, on the SwiftShader
// driver of Debian's chromium) in a child process, which needs the Vulkan loader's environment from its start,
// and checks its numbers. Skipped, saying why, where no WebGPU adapter exists.

import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ArrayAgreement } from '../scripts/lib/agreement.ts';

interface CheckResult {
  skipped?: string;
  adapter: string;
  reference: string;
  tolerances: { gradient: number; metric: number; update: number };
  gradients: { name: string; loss: Record<string, number>; variables: ArrayAgreement[] }[];
  steps: { count: number; metrics: { step: number; key: string; webgpu: number; relative: number; [reference: string]: number | string }[]; worstUpdate: ArrayAgreement };
  failures: string[];
}

const VARIABLES_OF_TINY = 30; // 2 + 12 per layer x 2 layers + 4
let result: CheckResult;

beforeAll(async () => {
  // Exit code 1 means "disagrees": the JSON still comes, and the tests below say where.
  const run = await promisify(execFile)('npx', ['tsx', 'scripts/webgpu-check.ts', '--json', '--steps', '3'], { timeout: 480_000, maxBuffer: 64 << 20 }).catch((err) => err as { stdout: string; stderr: string });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    result = JSON.parse(line);
  } catch {
    throw new Error(`scripts/webgpu-check.ts printed no result: ${run.stdout.slice(-500)} ${run.stderr.slice(-2000)}`);
  }
}, 500_000);

const skipWithoutAdapter = (ctx: { skip: (condition: boolean, note?: string) => void }) => {
  if (result.skipped) console.warn(`WebGPU check skipped: ${result.skipped}`);
  ctx.skip(Boolean(result.skipped), `no WebGPU adapter: ${result.skipped}`);
};

const describeRow = (r: ArrayAgreement) => `${r.name}: relative ${r.relative.toExponential(2)}, max |diff| ${r.maxAbsDiff.toExponential(2)} at [${r.maxAbsIndex}] of max |expected| ${r.maxAbsExpected.toExponential(2)}`;

describe('WebGPU computes what WASM computes (Node, Dawn)', () => {
  it('gives every variable the same gradient of the self-play loss, in each loss configuration', (ctx) => {
    skipWithoutAdapter(ctx);
    expect(result.gradients.map((g) => g.name)).toEqual(['single update, k3', 'ppo per token, k2', 'gspo per sequence, k1']);
    for (const g of result.gradients) {
      expect(g.variables, g.name).toHaveLength(VARIABLES_OF_TINY);
      // A batch with signal: every gradient is non-zero somewhere on the reference backend.
      expect(g.variables.filter((r) => !(r.maxAbsExpected > 0)).map((r) => r.name), `${g.name}: variables with a zero gradient`).toEqual([]);
      const bad = g.variables.filter((r) => !(r.relative <= result.tolerances.gradient)).map(describeRow);
      expect(bad, `${g.name} on ${result.adapter}`).toEqual([]);
    }
  });

  it('three trainer steps give the same loss, grad_norm and per-role KL', (ctx) => {
    skipWithoutAdapter(ctx);
    const ref = result.reference;
    const gradNorms = result.steps.metrics.filter((m) => m.key === 'grad_norm').map((m) => m[ref] as number);
    expect(gradNorms, `grad_norm on ${ref}: the batch must have signal`).toHaveLength(3);
    for (const g of gradNorms) expect(g).toBeGreaterThan(0);
    const bad = result.steps.metrics.filter((m) => !(m.relative <= result.tolerances.metric)).map((m) => `step ${m.step} ${m.key}: ${m.webgpu} vs ${m[ref]}`);
    expect(bad).toEqual([]);
  });

  it('makes the same weight update, variable by variable', (ctx) => {
    skipWithoutAdapter(ctx);
    expect(result.failures.filter((f) => f.startsWith('update')), describeRow(result.steps.worstUpdate)).toEqual([]);
    expect(result.steps.worstUpdate.relative).toBeLessThanOrEqual(result.tolerances.update);
    expect(result.failures).toEqual([]);
  });
});
