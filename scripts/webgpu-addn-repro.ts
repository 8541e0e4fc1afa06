// Minimal reproduction, TensorFlow.js only: tf.addN of more than 7 tensors on tfjs-backend-webgpu 4.22 gives a
// wrong result. Its AddN kernel binds every input as its own storage buffer; past the device's limit (8 per
// shader stage with the output, the WebGPU default, which tfjs does not raise) the pipeline fails validation,
// the output keeps whatever its pooled buffer held, and every kernel submitted with it is dropped. Only a
// console warning says so. Run: npx tsx scripts/webgpu-addn-repro.ts

import { installNodeWebGpu, withSwiftShaderEnv } from './lib/node-webgpu.ts';

withSwiftShaderEnv();
const gpu = await installNodeWebGpu();
if (!gpu.ok) {
  console.log(`skipped: ${gpu.reason}`);
  process.exit(0);
}
const tf = await import('@tensorflow/tfjs');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
console.log(`adapter: ${gpu.adapter}; maxStorageBuffersPerShaderStage of the adapter: ${gpu.maxStorageBuffersPerShaderStage}, of the device tfjs made: ${(tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage}`);

const values = async (t: import('@tensorflow/tfjs').Tensor) => Array.from(await t.data()).join(', ');
let wrong = 0;
for (const n of [2, 7, 8, 30]) {
  const ones = Array.from({ length: n }, () => tf.ones([4]));
  const sum = tf.addN(ones);
  const got = await values(sum); // read before anything else is queued
  const ok = got === Array(4).fill(n).join(', ');
  if (!ok) wrong += 1;
  console.log(`tf.addN of ${n} ones: [${got}], expected [${Array(4).fill(n).join(', ')}]${ok ? '' : '  <- wrong'}`);
  tf.dispose([...ones, sum]);
}
// Collateral: a kernel queued in the same submission as the failing AddN is lost with it. (Large enough that
// tfjs runs it on the GPU: tiny ops on uploaded data are handed to the CPU.)
const SIZE = 1024;
const ones = Array.from({ length: 8 }, () => tf.ones([SIZE]));
const three = tf.ones([SIZE]).mul(3);
const sum = tf.addN(ones);
const threes = await three.data();
console.log(`tf.ones([${SIZE}]).mul(3), queued with tf.addN of 8: ${threes.every((v) => v === 3) ? 'all 3, right' : `[${Array.from(threes.slice(0, 4)).join(', ')}, ...], expected all 3  <- lost`}`);
tf.dispose([...ones, three, sum]);
console.log(wrong ? 'tf.addN is wrong on this WebGPU backend past 7 inputs' : 'tf.addN is right here');
