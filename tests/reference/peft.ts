// LoRA adapters in PEFT's layout, as the reference forward (forward.ts) reads them: the key names, the shapes and
// the scale. Test support only; not a reader of adapter files (a caller decodes adapter_model.safetensors).
//
// What PEFT does (peft/tuners/lora/layer.py and its saved state dict, checked with the search tool):
// - A targeted module gets two bias-free nn.Linear layers, lora_A = Linear(in_features, r) and
//   lora_B = Linear(r, out_features), so their weights are stored [r, in] and [out, r]: nn.Linear's [out, in].
// - The forward adds scaling * lora_B(lora_A(x)) to the base module's output, scaling = lora_alpha / r
//   (use_rslora's lora_alpha / sqrt(r) is not read here). Dropout is training-only and absent at evaluation.
// - GPT-2's Conv1D modules (c_attn, attn.c_proj, c_fc, mlp.c_proj) store their weight [in, out]; PEFT takes
//   in_features, out_features = weight.shape for them, so lora_A and lora_B keep the [r, in] and [out, r] shapes
//   above. `fan_in_fan_out: true` (adapter_config.json) only transposes the merged delta:
//   W += transpose(B @ A) * scaling, so [in, out] for Conv1D, and B @ A itself ([out, in]) for nn.Linear.
// - Saved keys drop the adapter's name ("default"): `base_model.model.<module path>.lora_A.weight`, where the
//   module path is the base model's own (`model.layers.3.self_attn.q_proj`, `transformer.h.0.attn.c_attn`),
//   so a Llama key reads `base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`.

/** Adapters as PEFT saves them: adapter_config.json's `r` and `lora_alpha`, and adapter_model.safetensors' tensors. */
export interface PeftAdapters {
  /** PEFT's `r`: the rank of every adapter here. */
  rank: number;
  /** PEFT's `lora_alpha`: the output is scaled by alpha / rank. */
  alpha: number;
  /** Tensors by their saved key (`peftKey`); a module is adapted when both of its matrices are here. */
  tensors: Map<string, Float32Array>;
}

export type LoraMatrix = 'A' | 'B';

/** The saved key of a module's LoRA matrix: A is [rank, in], B is [out, rank]. */
export function peftKey(modulePath: string, matrix: LoraMatrix): string {
  return `base_model.model.${modulePath}.lora_${matrix}.weight`;
}

/** A saved key split into its module path and matrix, or null where it is not a LoRA weight key. */
export function parsePeftKey(key: string): { modulePath: string; matrix: LoraMatrix } | null {
  const match = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(key);
  return match ? { modulePath: match[1], matrix: match[2] as LoraMatrix } : null;
}

/** The factor on B(A x): alpha / rank. */
export function loraScale(adapters: Pick<PeftAdapters, 'rank' | 'alpha'>): number {
  return adapters.alpha / adapters.rank;
}
