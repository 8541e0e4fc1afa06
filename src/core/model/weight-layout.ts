// The model's weights as plain data: every weight's name and shape in a fixed order (the order of checkpoints and
// of model files), and their seeded initial values. No tensors, so model files can be read and checked without
// loading tfjs; gpt.ts turns these into the policy.

import type { ModelConfig } from './config.ts';
import type { Rng } from '../random.ts';

/** A weight's shape and initial values, before it becomes a tensor. */
export interface WeightInit {
  shape: number[];
  values: Float32Array;
}

/** Names and shapes of every weight, in a fixed order (the order of checkpoints and of safetensors files). */
export function weightShapes(c: ModelConfig): [string, number[]][] {
  const C = c.nEmbd;
  const shapes: [string, number[]][] = [
    ['wte', [c.vocabSize, C]],
    ['wpe', [c.blockSize, C]],
  ];
  for (let l = 0; l < c.nLayer; l++) {
    shapes.push(
      [`h${l}.ln1.g`, [C]], [`h${l}.ln1.b`, [C]],
      [`h${l}.attn.wqkv`, [C, 3 * C]], [`h${l}.attn.bqkv`, [3 * C]],
      [`h${l}.attn.wo`, [C, C]], [`h${l}.attn.bo`, [C]],
      [`h${l}.ln2.g`, [C]], [`h${l}.ln2.b`, [C]],
      [`h${l}.mlp.wfc`, [C, 4 * C]], [`h${l}.mlp.bfc`, [4 * C]],
      [`h${l}.mlp.wproj`, [4 * C, C]], [`h${l}.mlp.bproj`, [C]],
    );
  }
  shapes.push(['lnf.g', [C]], ['lnf.b', [C]], ['head.w', [C, c.vocabSize]], ['head.b', [c.vocabSize]]);
  return shapes;
}

/** GPT-2 style initialisation from a seeded generator: N(0, 0.02), residual projections scaled by 1/sqrt(2L),
 *  norms at gain 1 and bias 0. Computed on the CPU so every backend starts from identical weights. */
export function initWeights(c: ModelConfig, rng: Rng): Record<string, WeightInit> {
  const out: Record<string, WeightInit> = {};
  const residualStd = 0.02 / Math.sqrt(2 * c.nLayer);
  for (const [name, shape] of weightShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('.g')) values.fill(1);
    else if (shape.length === 2) {
      const std = name.endsWith('attn.wo') || name.endsWith('mlp.wproj') ? residualStd : 0.02;
      for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
    }
    out[name] = { shape, values };
  }
  return out;
}
