// Do the model families compute on WebGPU what they should? In Node, on Dawn (the `webgpu` package) with SwiftShader
// or the machine's own Vulkan driver: each test checkpoint in the hub layout (GPT-2, Llama with grouped-query
// attention, Qwen2; every dtype) loads as a LoRA policy on WebGPU, and its log-probabilities are held against the
// float64 reference on the stored weights; then LoRA self-play steps run and must leave no tensor behind.
//
//   npx tsx scripts/webgpu-families.ts [--json]
//
// Exit 0 when everything agrees (or there is no adapter: then "skipped" and why), 1 when something disagrees.

import { installNodeWebGpu, withSwiftShaderEnv } from './lib/node-webgpu.ts';

withSwiftShaderEnv();

const TOLERANCE = 1e-3;
const asJson = process.argv.includes('--json');
const gpu = await installNodeWebGpu();
if (!gpu.ok) {
  console.log(asJson ? JSON.stringify({ skipped: gpu.reason }) : `skipped: ${gpu.reason}`);
  process.exit(0);
}
const tf = await import('@tensorflow/tfjs');
tf.env().set('PROD', true);
await import('@tensorflow/tfjs-backend-webgpu');
const { MemoryFiles } = await import('../src/core/hub/model-files.ts');
const { parseHubConfig } = await import('../src/core/hub/hub-config.ts');
const { readHubCheckpoint } = await import('../src/core/hub/hub-safetensors.ts');
const { loadHubPolicy } = await import('../src/core/model/hub-policy.ts');
const { tokenLogProbs } = await import('../src/core/model/readout.ts');
const { getEnv } = await import('../src/core/envs/registry.ts');
const { SelfPlayTrainer } = await import('../src/core/train/selfplay.ts');
const { configForAlgorithm } = await import('../src/core/rl/config.ts');
const { fixtureFolder } = await import('./lib/hub-fixtures.ts');
const { referenceLogProbs } = await import('../tests/reference/forward.ts');
await tf.setBackend('webgpu');
await tf.ready();

const failures: string[] = [];
const families: { fixture: string; family: string; maxAbsLogProbDiff: number }[] = [];
const env = getEnv('arithmetic');
for (const name of ['tiny-gpt2', 'tiny-llama-chat', 'tiny-llama-sp', 'tiny-qwen2-chat'] as const) {
  const folder = fixtureFolder(name);
  const arch = parseHubConfig(JSON.parse(new TextDecoder().decode(folder.get('config.json')!)));
  const stored = new Map<string, Float32Array>();
  await readHubCheckpoint(new MemoryFiles(folder), arch, (n, _s, v) => void stored.set(n, v));
  const policy = await loadHubPolicy(new MemoryFiles(folder, name), { origin: { kind: 'hub', id: `fixtures/${name}`, revision: 'check' }, lora: null, seed: 1, completionTokens: 4 });
  const rows = [policy.codec.solverPrompt(env, '123+456').slice(0, 24)];
  const T = rows[0].length;
  const inputs = tf.tensor2d([rows[0].slice(0, T - 1)], [1, T - 1], 'int32');
  const targets = tf.tensor2d([rows[0].slice(1)], [1, T - 1], 'int32');
  const logp = tf.tidy(() => tokenLogProbs(policy.model, policy.weights, inputs, targets).logp);
  const got = await logp.data();
  tf.dispose([inputs, targets, logp]);
  const want = referenceLogProbs(arch, stored, rows).nextTokenLogProbs[0];
  const maxAbsLogProbDiff = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i])));
  families.push({ fixture: name, family: arch.family, maxAbsLogProbDiff });
  if (!(maxAbsLogProbDiff <= TOLERANCE)) failures.push(`${name}: log-probabilities differ from the float64 reference by ${maxAbsLogProbDiff.toExponential(2)} (tolerance ${TOLERANCE})`);
  // A LoRA self-play step: it runs, and leaves the tensor count where it found it.
  const trainer = new SelfPlayTrainer(policy, env, configForAlgorithm('lsp', { numQueries: 2, groupSize: 2 }), 1);
  const before = tf.memory().numTensors;
  const report = await trainer.runStep();
  if (tf.memory().numTensors !== before) failures.push(`${name}: a LoRA step left ${tf.memory().numTensors - before} tensors behind`);
  if (!Number.isFinite(report.metrics.loss)) failures.push(`${name}: a LoRA step's loss is ${report.metrics.loss}`);
  trainer.dispose();
  policy.dispose();
}
const result = { adapter: gpu.adapter, tolerance: TOLERANCE, families, failures };
console.log(asJson ? JSON.stringify(result) : JSON.stringify(result, null, 2));
process.exit(failures.length ? 1 : 0);
