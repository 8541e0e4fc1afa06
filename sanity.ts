import { useBackend } from './src/core/backend.ts';
import { getEnv } from './src/core/envs/registry.ts';
import { Policy } from './src/core/model/policy.ts';
import { SelfPlayTrainer } from './src/core/train/selfplay.ts';
import { configForAlgorithm } from './src/core/rl/config.ts';
import { evaluateSolver, heldOutSet } from './src/core/train/evaluate.ts';
import { readFileSync } from 'node:fs';
await useBackend('wasm');
const base = getEnv('arithmetic');
const env = { ...base, sample: (rng: any, split: any) => { for (;;) { const e = base.sample(rng, split); if (e.difficulty === 1) return e; } } };
const policy = Policy.fromSafetensors(new Uint8Array(readFileSync('public/models/arithmetic-small.safetensors')), base);
const lv1 = heldOutSet(base, 300).filter(e => e.difficulty === 1);
console.log('eval lv1', (await evaluateSolver(policy, base, lv1)).accuracy);
const tr = new SelfPlayTrainer(policy, env as any, configForAlgorithm('grpo-data', { learningRate: Number(process.env.LR ?? 1e-4), klBeta: 0.05 }), 1);
let acc = 0;
for (let s = 1; s <= 120; s++) {
  const r = await tr.runStep(); acc += r.metrics['solver/reward'];
  if (s % 20 === 0) { console.log(s, (acc / 20).toFixed(3), 'eval lv1', (await evaluateSolver(policy, base, lv1)).accuracy.toFixed(3), r.metrics['grad_norm'].toFixed(2)); acc = 0; }
}
