// Does WebGPU compute what WASM computes? In Node, on Dawn (the `webgpu` package) with SwiftShader or the
// machine's own Vulkan driver: per-variable gradients of the self-play loss on a fixed batch, then a few real
// trainer steps (loss, grad_norm, per-role KL, per-variable weight update), each against the reference backend.
//
//   npm run webgpu-check [-- --steps 3 --reference wasm --json]
//
// Exit code 0 when everything agrees (or there is no adapter: then it says why and prints "skipped"), 1 when
// something disagrees (each disagreement named with its variable and size), 2 for bad flags.

import { parseFlags, UsageError } from './lib/cli.ts';
import { installNodeWebGpu, withSwiftShaderEnv } from './lib/node-webgpu.ts';

withSwiftShaderEnv();

const FLAGS = {
  steps: { kind: 'number', default: 3, help: 'trainer steps to compare (1-10)' },
  reference: { kind: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'the backend WebGPU is compared with' },
  json: { kind: 'boolean', default: false, help: 'print one JSON object instead of a table' },
} as const;

/** Tolerances: gradients are compared before Adam, so tightly; metrics and updates as the e2e spec does. */
const GRADIENT_TOLERANCE = 1e-4;
const METRIC_TOLERANCE = 0.02;
/** Below this size a metric is compared absolutely: float32 noise on a loss that is 0 in exact arithmetic is ~1e-7. */
const METRIC_FLOOR = 1e-5;
const UPDATE_TOLERANCE = 1e-3;
const COMPARED_METRICS = ['loss', 'grad_norm', 'solver/kl', 'challenger/kl'];

let flags: ReturnType<typeof parseFlags>;
try {
  flags = parseFlags(process.argv.slice(2), FLAGS);
  if (!Number.isInteger(flags.steps) || (flags.steps as number) < 1 || (flags.steps as number) > 10) throw new UsageError('--steps must be an integer from 1 to 10');
} catch (err) {
  console.error(`${(err as Error).message}`);
  process.exit(2);
}
const steps = flags.steps as number;
const reference = flags.reference as 'wasm' | 'cpu';
const asJson = flags.json === true;

const gpu = await installNodeWebGpu();
if (!gpu.ok) {
  console.log(asJson ? JSON.stringify({ skipped: gpu.reason }) : `skipped: ${gpu.reason}`);
  process.exit(0);
}

const tf = await import('@tensorflow/tfjs');
const { compareVariables, disagreements, relativeScalarDiff, updateDisagreements, largestUpdateDifference } = await import('./lib/agreement.ts');
const check = await import('./lib/backend-check.ts');
tf.env().set('PROD', true); // no "looks like you are running in Node" banner or debug checks
await import('@tensorflow/tfjs-backend-webgpu');

const failures: string[] = [];

// 1. Gradients, variable by variable.
const batch = check.gradientBatch();
await check.switchBackend(reference);
const expectedGrads = await check.gradientsOnBackend(batch);
await check.switchBackend('webgpu');
const webgpuGrads = await check.gradientsOnBackend(batch);
const gradients = Object.keys(check.LOSS_CASES).map((name) => {
  const variables = compareVariables(webgpuGrads[name].grads, expectedGrads[name].grads);
  const loss = { webgpu: webgpuGrads[name].loss, [reference]: expectedGrads[name].loss };
  const lossDiff = relativeScalarDiff(webgpuGrads[name].loss, expectedGrads[name].loss);
  if (!(lossDiff <= GRADIENT_TOLERANCE)) failures.push(`gradient check, ${name}: loss ${loss.webgpu} vs ${expectedGrads[name].loss}`);
  failures.push(...disagreements(variables, GRADIENT_TOLERANCE).map((line) => `gradient check, ${name}: ${line}`));
  return { name, loss, variables };
});

// 2. Real trainer steps: metrics and the weight update.
await check.switchBackend(reference);
const expectedSteps = await check.trainerStepsOnBackend(steps);
await check.switchBackend('webgpu');
const webgpuSteps = await check.trainerStepsOnBackend(steps);
const metrics = expectedSteps.metrics.flatMap((row, s) =>
  COMPARED_METRICS.map((key) => ({ step: s + 1, key, webgpu: webgpuSteps.metrics[s][key], [reference]: row[key], relative: relativeScalarDiff(webgpuSteps.metrics[s][key], row[key], METRIC_FLOOR) })),
);
for (const m of metrics) if (!(m.relative <= METRIC_TOLERANCE)) failures.push(`trainer step ${m.step} ${m.key}: ${m.webgpu} on webgpu vs ${m[reference]} on ${reference}`);
const nEmbd = batch.config.nEmbd;
failures.push(...updateDisagreements(webgpuSteps.update, expectedSteps.update, nEmbd, UPDATE_TOLERANCE).map((line) => `update after ${steps} steps: ${line}`));
const worstUpdate = largestUpdateDifference(webgpuSteps.update, expectedSteps.update, nEmbd);

const result = { adapter: gpu.adapter, reference, tolerances: { gradient: GRADIENT_TOLERANCE, metric: METRIC_TOLERANCE, update: UPDATE_TOLERANCE }, gradients, steps: { count: steps, metrics, worstUpdate }, failures };
if (asJson) {
  console.log(JSON.stringify(result));
} else {
  console.log(`WebGPU on ${gpu.adapter} against ${reference}`);
  for (const g of gradients) {
    const worst = g.variables.reduce((a, b) => (!(b.relative <= a.relative) ? b : a));
    console.log(`  gradients, ${g.name}: ${g.variables.length} variables, largest relative L2 difference ${worst.relative.toExponential(2)} (${worst.name})`);
  }
  const worstMetric = metrics.reduce((a, b) => (!(b.relative <= a.relative) ? b : a));
  console.log(`  ${steps} trainer steps: largest metric difference ${worstMetric.relative.toExponential(2)} (${worstMetric.key} at step ${worstMetric.step}); grad_norm at step 1: ${webgpuSteps.metrics[0].grad_norm} vs ${expectedSteps.metrics[0].grad_norm}`);
  console.log(`  update after ${steps} steps: largest relative L2 difference ${worstUpdate.relative.toExponential(2)} (${worstUpdate.name})`);
  console.log(failures.length ? `DISAGREES:\n  ${failures.join('\n  ')}` : 'agrees within tolerance');
}
process.exit(failures.length ? 1 : 0);
