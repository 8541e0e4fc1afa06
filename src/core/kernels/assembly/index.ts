// Entry of the SIMD kernel module (AssemblyScript, compiled by `npm run build:kernels`): everything exported
// here is callable from src/core/kernels/wasm-kernels.ts. The module imports its memory and owns no data.

export { attentionForward, attentionBackward } from './attention';
export { embedForward, embedBackward } from './embed';
export { sampleRows } from './sample';
export { rmsNormForward, rmsNormBackward, swigluForward, swigluBackward, rotary, logProbsForward, logProbsBackward } from './llama';
export { layerNormForward, layerNormBackward, geluForward, geluBackward, columnSum, transpose2d, copyRows } from './rows';
