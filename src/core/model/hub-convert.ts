// Between a family's hub tensors (hub-layout.ts: the names and orientations of the hub's files) and the weights
// the model runs on: every projection stored [in, out] so the big products are plain [N, in] x [in, out] (the WASM
// backend's fast path), Llama's q/k/v and gate/up projections fused into one product each, and a tied head kept as
// its own [C, V] copy of the embedding. Also where LoRA can attach, by PEFT's module names. Pure: Float32Arrays in
// and out, no tensors, so a checkpoint streams through one tensor at a time.

import type { ArchConfig, FamilyName, Gpt2Arch, LlamaArch } from './arch.ts';
import type { WeightInit } from './weight-layout.ts';
import type { AdapterPoint } from './family.ts';

/** Thrown when weights cannot be written in hub layout (a head bias that no final-norm bias can carry). */
export class HubExportError extends Error {
  override name = 'HubExportError';
}

/** Receives hub tensors one at a time; returns the internal weights each completes (a fused weight completes when
 *  its last part arrives). */
export interface HubAssembler {
  add(hubName: string, values: Float32Array): [string, WeightInit][];
  /** Internal weights still waiting for a part (empty once every hub tensor arrived). */
  pending(): string[];
}

interface FamilyLayout<A extends ArchConfig> {
  /** Internal weights and shapes, in a fixed order. */
  shapes(arch: A): [string, number[]][];
  assembler(arch: A): HubAssembler;
  /** The hub tensors of a model's internal weights (merged export), in hub-layout order. */
  toHub(arch: A, weights: Record<string, WeightInit>): [string, WeightInit][];
  adapterPoints(arch: A): AdapterPoint[];
  /** PEFT module kinds LoRA can target, in display order. */
  loraTargets: readonly string[];
}

/** [rows, cols] row-major -> [cols, rows]. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** Columns [start, start + width) of a [rows, cols] matrix, as [rows, width]. */
function columns(values: Float32Array, rows: number, cols: number, start: number, width: number): Float32Array {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols + start, r * cols + start + width), r * width);
  return out;
}

/** Matrices [rows, w_i] side by side: [rows, sum w_i]. */
function sideBySide(parts: Float32Array[], rows: number, widths: number[]): Float32Array {
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    parts.forEach((part, i) => {
      out.set(part.subarray(r * widths[i], (r + 1) * widths[i]), at);
      at += widths[i];
    });
  }
  return out;
}

const init = (shape: number[], values: Float32Array): WeightInit => ({ shape, values });

// ---------------------------------------------------------------------------------------------------------------
// GPT-2. Internal names are the built-in models' (their checkpoints and model files use them).

const GPT2_BLOCK: [string, string][] = [
  ['ln1.g', 'ln_1.weight'], ['ln1.b', 'ln_1.bias'],
  ['attn.wqkv', 'attn.c_attn.weight'], ['attn.bqkv', 'attn.c_attn.bias'],
  ['attn.wo', 'attn.c_proj.weight'], ['attn.bo', 'attn.c_proj.bias'],
  ['ln2.g', 'ln_2.weight'], ['ln2.b', 'ln_2.bias'],
  ['mlp.wfc', 'mlp.c_fc.weight'], ['mlp.bfc', 'mlp.c_fc.bias'],
  ['mlp.wproj', 'mlp.c_proj.weight'], ['mlp.bproj', 'mlp.c_proj.bias'],
];

/** Internal name -> hub name of every GPT-2 weight stored as it is (Conv1D weights are already [in, out]). */
function gpt2Names(a: Gpt2Arch): Map<string, string> {
  const names = new Map<string, string>([['wte', 'transformer.wte.weight'], ['wpe', 'transformer.wpe.weight']]);
  for (let l = 0; l < a.nLayer; l++) for (const [mine, hub] of GPT2_BLOCK) names.set(`h${l}.${mine}`, `transformer.h.${l}.${hub}`);
  names.set('lnf.g', 'transformer.ln_f.weight').set('lnf.b', 'transformer.ln_f.bias');
  return names;
}

const GPT2: FamilyLayout<Gpt2Arch> = {
  shapes(a) {
    const C = a.hiddenSize;
    const I = a.intermediateSize;
    const out: [string, number[]][] = [['wte', [a.vocabSize, C]], ['wpe', [a.maxPositions, C]]];
    for (let l = 0; l < a.nLayer; l++) {
      out.push(
        [`h${l}.ln1.g`, [C]], [`h${l}.ln1.b`, [C]],
        [`h${l}.attn.wqkv`, [C, 3 * C]], [`h${l}.attn.bqkv`, [3 * C]],
        [`h${l}.attn.wo`, [C, C]], [`h${l}.attn.bo`, [C]],
        [`h${l}.ln2.g`, [C]], [`h${l}.ln2.b`, [C]],
        [`h${l}.mlp.wfc`, [C, I]], [`h${l}.mlp.bfc`, [I]],
        [`h${l}.mlp.wproj`, [I, C]], [`h${l}.mlp.bproj`, [C]],
      );
    }
    out.push(['lnf.g', [C]], ['lnf.b', [C]], ['head.w', [C, a.vocabSize]]);
    if (a.headBias) out.push(['head.b', [a.vocabSize]]);
    return out;
  },
  assembler(a) {
    const byHub = new Map([...gpt2Names(a)].map(([mine, hub]) => [hub, mine]));
    const shapes = new Map(GPT2.shapes(a));
    const waiting = new Set(shapes.keys());
    if (a.headBias) waiting.delete('head.b'); // the hub layout has no head bias: a loaded model's is zero
    const done = (name: string, values: Float32Array): [string, WeightInit] => {
      waiting.delete(name);
      return [name, init(shapes.get(name)!, values)];
    };
    return {
      add(hubName, values) {
        const [V, C] = [a.vocabSize, a.hiddenSize];
        if (hubName === 'lm_head.weight') return [done('head.w', transpose(values, V, C))];
        const mine = byHub.get(hubName);
        if (mine === undefined) throw new RangeError(`no GPT-2 weight is called ${hubName}`);
        const out = [done(mine, values)];
        if (mine === 'wte' && a.tieEmbeddings) out.push(done('head.w', transpose(values, V, C)));
        if (mine === 'wte' && a.headBias) out.push(done('head.b', new Float32Array(V)));
        return out;
      },
      pending: () => [...waiting],
    };
  },
  toHub(a, w) {
    const names = gpt2Names(a);
    const out: [string, WeightInit][] = [];
    const lnfBias = a.headBias ? foldHeadBias(w['head.w'], w['head.b'], w['lnf.b']) : w['lnf.b'];
    for (const [mine, hub] of names) out.push([hub, mine === 'lnf.b' ? lnfBias : w[mine]]);
    if (!a.tieEmbeddings) out.push(['lm_head.weight', init([a.vocabSize, a.hiddenSize], transpose(w['head.w'].values, a.hiddenSize, a.vocabSize))]);
    return out;
  },
  adapterPoints(a) {
    const C = a.hiddenSize;
    const I = a.intermediateSize;
    const out: AdapterPoint[] = [];
    for (let l = 0; l < a.nLayer; l++) {
      const p = `transformer.h.${l}`;
      out.push(
        { target: 'c_attn', module: `${p}.attn.c_attn`, weight: `h${l}.attn.wqkv`, inFeatures: C, outStart: 0, outSize: 3 * C },
        { target: 'c_proj', module: `${p}.attn.c_proj`, weight: `h${l}.attn.wo`, inFeatures: C, outStart: 0, outSize: C },
        { target: 'c_fc', module: `${p}.mlp.c_fc`, weight: `h${l}.mlp.wfc`, inFeatures: C, outStart: 0, outSize: I },
        { target: 'c_proj', module: `${p}.mlp.c_proj`, weight: `h${l}.mlp.wproj`, inFeatures: I, outStart: 0, outSize: C },
      );
    }
    return out;
  },
  loraTargets: ['c_attn', 'c_proj', 'c_fc'],
};

/**
 * The hub's GPT-2 has no bias on its head; the built-in models do. Logits are h W + b with h = g * n + beta the
 * final norm's output, so a bias delta on beta with delta W = b carries b exactly: the minimum-norm solution
 * delta = W (W^T W)^-1 b, which exists when W's V columns are independent (V <= C, as every built-in vocabulary
 * is). Solved in float64.
 */
export function foldHeadBias(head: WeightInit, bias: WeightInit, lnfBias: WeightInit): WeightInit {
  const [C, V] = head.shape;
  if (V > C) throw new HubExportError(`a head bias over ${V} tokens cannot be carried by a final norm of width ${C}`);
  const W = (c: number, v: number) => head.values[c * V + v];
  const gram = Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += W(c, i) * W(c, j);
    return s;
  }));
  const y = solveSymmetric(gram, Array.from(bias.values)); // (W^T W) y = b
  const values = Float32Array.from(lnfBias.values, (beta, c) => {
    let delta = 0;
    for (let v = 0; v < V; v++) delta += W(c, v) * y[v];
    return beta + delta;
  });
  return { shape: [C], values };
}

/** Gaussian elimination with partial pivoting on a small dense system (float64). */
function solveSymmetric(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]]);
  const scale = Math.max(...a.map((row, i) => Math.abs(row[i])), 1e-300);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    if (Math.abs(a[pivot][col]) < 1e-12 * scale) throw new HubExportError('the head bias cannot be folded into the final norm: the head\'s token columns are not independent');
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let k = col; k <= n; k++) a[r][k] -= f * a[col][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

// ---------------------------------------------------------------------------------------------------------------
// Llama and Qwen2.

const LLAMA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

function llamaDims(a: LlamaArch) {
  return { C: a.hiddenSize, I: a.intermediateSize, Q: a.nHead * a.headDim, KV: a.nKvHead * a.headDim, V: a.vocabSize };
}

/** The parts each fused internal weight is made of: hub tensor suffix and its width in the fused output. */
function fusedParts(a: LlamaArch) {
  const { I, Q, KV } = llamaDims(a);
  return {
    'attn.wqkv': [['self_attn.q_proj.weight', Q], ['self_attn.k_proj.weight', KV], ['self_attn.v_proj.weight', KV]],
    'attn.bqkv': [['self_attn.q_proj.bias', Q], ['self_attn.k_proj.bias', KV], ['self_attn.v_proj.bias', KV]],
    'mlp.wgu': [['mlp.gate_proj.weight', I], ['mlp.up_proj.weight', I]],
    'mlp.bgu': [['mlp.gate_proj.bias', I], ['mlp.up_proj.bias', I]],
  } as const satisfies Record<string, readonly (readonly [string, number])[]>;
}

/** Internal name -> hub name (and whether it is an nn.Linear weight, stored [out, in]) of every unfused weight. */
function llamaSingles(a: LlamaArch): Map<string, { hub: string; linear: boolean }> {
  const out = new Map<string, { hub: string; linear: boolean }>([['embed', { hub: 'model.embed_tokens.weight', linear: false }]]);
  for (let l = 0; l < a.nLayer; l++) {
    const p = `model.layers.${l}`;
    out.set(`h${l}.norm1.g`, { hub: `${p}.input_layernorm.weight`, linear: false });
    out.set(`h${l}.attn.wo`, { hub: `${p}.self_attn.o_proj.weight`, linear: true });
    if (a.outputBias) out.set(`h${l}.attn.bo`, { hub: `${p}.self_attn.o_proj.bias`, linear: false });
    out.set(`h${l}.norm2.g`, { hub: `${p}.post_attention_layernorm.weight`, linear: false });
    out.set(`h${l}.mlp.wdown`, { hub: `${p}.mlp.down_proj.weight`, linear: true });
    if (a.mlpBias) out.set(`h${l}.mlp.bdown`, { hub: `${p}.mlp.down_proj.bias`, linear: false });
  }
  out.set('norm.g', { hub: 'model.norm.weight', linear: false });
  return out;
}

const LLAMA: FamilyLayout<LlamaArch> = {
  shapes(a) {
    const { C, I, Q, KV, V } = llamaDims(a);
    const out: [string, number[]][] = [['embed', [V, C]]];
    for (let l = 0; l < a.nLayer; l++) {
      out.push([`h${l}.norm1.g`, [C]], [`h${l}.attn.wqkv`, [C, Q + 2 * KV]]);
      if (a.qkvBias) out.push([`h${l}.attn.bqkv`, [Q + 2 * KV]]);
      out.push([`h${l}.attn.wo`, [Q, C]]);
      if (a.outputBias) out.push([`h${l}.attn.bo`, [C]]);
      out.push([`h${l}.norm2.g`, [C]], [`h${l}.mlp.wgu`, [C, 2 * I]]);
      if (a.mlpBias) out.push([`h${l}.mlp.bgu`, [2 * I]]);
      out.push([`h${l}.mlp.wdown`, [I, C]]);
      if (a.mlpBias) out.push([`h${l}.mlp.bdown`, [C]]);
    }
    out.push(['norm.g', [C]], ['head.w', [C, V]]);
    return out;
  },
  assembler(a) {
    const { C, V } = llamaDims(a);
    const shapes = new Map(LLAMA.shapes(a));
    const waiting = new Set(shapes.keys());
    const singles = new Map([...llamaSingles(a)].map(([mine, s]) => [s.hub, { mine, linear: s.linear }]));
    // hub name -> (fused internal name, part index)
    const partOf = new Map<string, { fused: string; index: number }>();
    const parts = fusedParts(a);
    for (let l = 0; l < a.nLayer; l++) {
      for (const [fused, list] of Object.entries(parts)) {
        if (!shapes.has(`h${l}.${fused}`)) continue;
        list.forEach(([suffix], index) => partOf.set(`model.layers.${l}.${suffix}`, { fused: `h${l}.${fused}`, index }));
      }
    }
    const buffered = new Map<string, Float32Array[]>();
    const done = (name: string, values: Float32Array): [string, WeightInit] => {
      waiting.delete(name);
      return [name, init(shapes.get(name)!, values)];
    };
    return {
      add(hubName, values) {
        if (hubName === 'lm_head.weight') return [done('head.w', transpose(values, V, C))];
        const single = singles.get(hubName);
        if (single) {
          const shape = shapes.get(single.mine)!;
          const out = [done(single.mine, single.linear ? transpose(values, shape[1], shape[0]) : values)];
          if (single.mine === 'embed' && a.tieEmbeddings) out.push(done('head.w', transpose(values, V, C)));
          return out;
        }
        const part = partOf.get(hubName);
        if (!part) throw new RangeError(`no ${a.family} weight is called ${hubName}`);
        const list = parts[part.fused.replace(/^h\d+\./, '') as keyof typeof parts];
        const got = buffered.get(part.fused) ?? new Array<Float32Array>(list.length);
        const isWeight = part.fused.includes('.w');
        got[part.index] = isWeight ? transpose(values, list[part.index][1], C) : values; // [in, part] for weights
        buffered.set(part.fused, got);
        if (list.some((_, i) => got[i] === undefined)) return [];
        buffered.delete(part.fused);
        const widths = list.map(([, w]) => w);
        return [done(part.fused, isWeight ? sideBySide(got, C, widths) : sideBySide(got, 1, widths))];
      },
      pending: () => [...waiting],
    };
  },
  toHub(a, w) {
    const { C, V } = llamaDims(a);
    const hubOf = new Map<string, WeightInit>();
    for (const [mine, s] of llamaSingles(a)) {
      const wi = w[mine];
      hubOf.set(s.hub, s.linear ? init([wi.shape[1], wi.shape[0]], transpose(wi.values, wi.shape[0], wi.shape[1])) : wi);
    }
    const parts = fusedParts(a);
    for (let l = 0; l < a.nLayer; l++) {
      for (const [fused, list] of Object.entries(parts)) {
        const wi = w[`h${l}.${fused}`];
        if (!wi) continue;
        const isWeight = fused.includes('.w');
        const rows = isWeight ? C : 1;
        const total = list.reduce((s, [, width]) => s + width, 0);
        let start = 0;
        for (const [suffix, width] of list) {
          const part = columns(wi.values, rows, total, start, width); // [in, width]
          hubOf.set(`model.layers.${l}.${suffix}`, isWeight ? init([width, C], transpose(part, C, width)) : init([width], part));
          start += width;
        }
      }
    }
    if (!a.tieEmbeddings) hubOf.set('lm_head.weight', init([V, C], transpose(w['head.w'].values, C, V)));
    return [...hubOf.entries()];
  },
  adapterPoints(a) {
    const { C, I, Q, KV } = llamaDims(a);
    const out: AdapterPoint[] = [];
    for (let l = 0; l < a.nLayer; l++) {
      const p = `model.layers.${l}`;
      out.push(
        { target: 'q_proj', module: `${p}.self_attn.q_proj`, weight: `h${l}.attn.wqkv`, inFeatures: C, outStart: 0, outSize: Q },
        { target: 'k_proj', module: `${p}.self_attn.k_proj`, weight: `h${l}.attn.wqkv`, inFeatures: C, outStart: Q, outSize: KV },
        { target: 'v_proj', module: `${p}.self_attn.v_proj`, weight: `h${l}.attn.wqkv`, inFeatures: C, outStart: Q + KV, outSize: KV },
        { target: 'o_proj', module: `${p}.self_attn.o_proj`, weight: `h${l}.attn.wo`, inFeatures: Q, outStart: 0, outSize: C },
        { target: 'gate_proj', module: `${p}.mlp.gate_proj`, weight: `h${l}.mlp.wgu`, inFeatures: C, outStart: 0, outSize: I },
        { target: 'up_proj', module: `${p}.mlp.up_proj`, weight: `h${l}.mlp.wgu`, inFeatures: C, outStart: I, outSize: I },
        { target: 'down_proj', module: `${p}.mlp.down_proj`, weight: `h${l}.mlp.wdown`, inFeatures: I, outStart: 0, outSize: C },
      );
    }
    return out;
  },
  loraTargets: LLAMA_TARGETS,
};

const LAYOUTS: { [F in FamilyName]: FamilyLayout<Extract<ArchConfig, { family: F }>> } = { gpt2: GPT2, llama: LLAMA, qwen2: LLAMA };

function layoutOf(arch: ArchConfig): FamilyLayout<ArchConfig> {
  return LAYOUTS[arch.family] as FamilyLayout<ArchConfig>;
}

/** Every internal weight of `arch` and its shape, in a fixed order. */
export const internalShapes = (arch: ArchConfig) => layoutOf(arch).shapes(arch);
/** An assembler of internal weights from hub tensors. */
export const hubAssembler = (arch: ArchConfig) => layoutOf(arch).assembler(arch);
/** Internal weights as hub tensors (hub names and orientations). */
export const toHubTensors = (arch: ArchConfig, weights: Record<string, WeightInit>) => layoutOf(arch).toHub(arch, weights);
/** Where LoRA can attach. */
export const adapterPointsOf = (arch: ArchConfig) => layoutOf(arch).adapterPoints(arch);
/** PEFT module kinds LoRA can target. */
export const loraTargetsOf = (arch: ArchConfig) => layoutOf(arch).loraTargets;
