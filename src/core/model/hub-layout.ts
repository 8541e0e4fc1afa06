// The tensors of a hub checkpoint of each family, by the names and shapes the hub's files use (what
// `save_pretrained` writes). Pure data: the loader checks a file against it before reading any weight, the
// exporters write it, and the test fixtures are made from it. Projections are stored as the hub stores them:
// GPT-2's Conv1D as [in, out], Llama's and Qwen2's nn.Linear as [out, in].

import type { ArchConfig, Gpt2Arch, LlamaArch } from './arch.ts';

/** Every tensor a checkpoint of `arch` holds, in the order `save_pretrained` lists them. */
export function hubTensorShapes(arch: ArchConfig): [string, number[]][] {
  return arch.family === 'gpt2' ? gpt2Tensors(arch) : llamaTensors(arch);
}

function gpt2Tensors(a: Gpt2Arch): [string, number[]][] {
  const C = a.hiddenSize;
  const I = a.intermediateSize;
  const out: [string, number[]][] = [
    ['transformer.wte.weight', [a.vocabSize, C]],
    ['transformer.wpe.weight', [a.maxPositions, C]],
  ];
  for (let l = 0; l < a.nLayer; l++) {
    const p = `transformer.h.${l}`;
    out.push(
      [`${p}.ln_1.weight`, [C]], [`${p}.ln_1.bias`, [C]],
      [`${p}.attn.c_attn.weight`, [C, 3 * C]], [`${p}.attn.c_attn.bias`, [3 * C]],
      [`${p}.attn.c_proj.weight`, [C, C]], [`${p}.attn.c_proj.bias`, [C]],
      [`${p}.ln_2.weight`, [C]], [`${p}.ln_2.bias`, [C]],
      [`${p}.mlp.c_fc.weight`, [C, I]], [`${p}.mlp.c_fc.bias`, [I]],
      [`${p}.mlp.c_proj.weight`, [I, C]], [`${p}.mlp.c_proj.bias`, [C]],
    );
  }
  out.push(['transformer.ln_f.weight', [C]], ['transformer.ln_f.bias', [C]]);
  if (!a.tieEmbeddings) out.push(['lm_head.weight', [a.vocabSize, C]]);
  return out;
}

function llamaTensors(a: LlamaArch): [string, number[]][] {
  const C = a.hiddenSize;
  const I = a.intermediateSize;
  const q = a.nHead * a.headDim;
  const kv = a.nKvHead * a.headDim;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [a.vocabSize, C]]];
  for (let l = 0; l < a.nLayer; l++) {
    const p = `model.layers.${l}`;
    out.push([`${p}.input_layernorm.weight`, [C]]);
    for (const [name, rows] of [['q_proj', q], ['k_proj', kv], ['v_proj', kv]] as const) {
      out.push([`${p}.self_attn.${name}.weight`, [rows, C]]);
      if (a.qkvBias) out.push([`${p}.self_attn.${name}.bias`, [rows]]);
    }
    out.push([`${p}.self_attn.o_proj.weight`, [C, q]]);
    if (a.outputBias) out.push([`${p}.self_attn.o_proj.bias`, [C]]);
    out.push([`${p}.post_attention_layernorm.weight`, [C]]);
    out.push([`${p}.mlp.gate_proj.weight`, [I, C]], [`${p}.mlp.up_proj.weight`, [I, C]]);
    if (a.mlpBias) out.push([`${p}.mlp.gate_proj.bias`, [I]], [`${p}.mlp.up_proj.bias`, [I]]);
    out.push([`${p}.mlp.down_proj.weight`, [C, I]]);
    if (a.mlpBias) out.push([`${p}.mlp.down_proj.bias`, [C]]);
  }
  out.push(['model.norm.weight', [C]]);
  if (!a.tieEmbeddings) out.push(['lm_head.weight', [a.vocabSize, C]]);
  return out;
}

/**
 * Tensors some checkpoints carry that are not weights (GPT-2's causal-mask buffers, Llama's precomputed rotary
 * frequencies): skipped on load rather than refused as extra.
 */
export const NON_WEIGHT_TENSORS: readonly RegExp[] = [/\.attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/**
 * The canonical name of a tensor as a checkpoint of `arch` spells it. GPT-2 files converted from the original
 * release name their tensors without the `transformer.` prefix (`h.0.attn.c_attn.weight`); both spellings
 * are read as the canonical one.
 */
export function canonicalHubName(arch: ArchConfig, name: string): string {
  if (arch.family === 'gpt2' && !name.startsWith('transformer.') && name !== 'lm_head.weight') return `transformer.${name}`;
  return name;
}

/** Parameters of `arch` (every weight tensor, the tied head counted once). */
export function hubParameterCount(arch: ArchConfig): number {
  return hubTensorShapes(arch).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
}
