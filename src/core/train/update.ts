// The tensor side of a self-play step: the step's sequences as a padded batch in row chunks, their reference
// (and old-policy) log-probabilities, and gradient updates that sum the chunks' gradients before one optimizer
// step. The loss is a sum over rows, so the chunks' gradients add up to the whole batch's; chunks only bound
// memory. Owns every tensor it makes until dispose().

import * as tf from '@tensorflow/tfjs';
import { pickLogProbs, positionLogits, tokenLogProbs, type Readout } from '../model/readout.ts';
import type { Runnable } from '../model/family.ts';
import type { ArchConfig } from '../model/arch.ts';
import type { LossConfig, LossInputs } from '../rl/loss.ts';
import { selfPlayLoss } from '../rl/loss.ts';
import type { Adam } from './optimizer.ts';
import { NonFiniteLossError } from './errors.ts';
import { batchTensors, packSequences, sliceRows, type PackedBatch, type Sequence } from './batch.ts';
import { chunkRanges } from './chunks.ts';

/** Rows [start, end) of the batch, with their tensors. */
interface Chunk {
  start: number;
  end: number;
  inputs: tf.Tensor2D; // [rows, T]
  targets: tf.Tensor2D; // [rows, T]
  mask: tf.Tensor2D; // [rows, T]
  /** Reference log-probs under the sampling readout, for the KL term. [rows, T] */
  refLogp: tf.Tensor2D | null;
  /** Sampling-policy log-probs, for the clipped ratio of several updates. [rows, T] */
  oldLogp: tf.Tensor2D | null;
}

/** Per-row numbers the loss needs: advantage, aggregation scale and role weight of each sequence. [S] each */
export interface RowWeights {
  advantages: readonly number[];
  scales: readonly number[];
  roleWeights: readonly number[];
}

/** What one update read back: its loss, gradient norm (before clipping) and per-position log-probs and entropies. */
export interface UpdateResult {
  loss: number;
  gradNorm: number;
  /** [S, T] flattened, under the update's readout. */
  logp: Float32Array;
  entropy: Float32Array;
}

/** Gradients summed key by key; disposes both inputs. */
function addGradients(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const sum = tf.tidy(() => Object.fromEntries(Object.entries(a).map(([name, g]) => [name, g.add(b[name])])));
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  return sum;
}

export class StepBatch {
  readonly packed: PackedBatch;
  private readonly chunks: Chunk[];

  /** `budget`: the most rows x cols^2 one chunk may hold (see chunks.ts MAX_CHUNK_ROWS_X_COLS_SQUARED); `recomputing`:
   *  a model that recomputes its layers (LoRA), whose activations bound a chunk too. */
  constructor(sequences: readonly Sequence[], budget: number, recomputing: ArchConfig | null) {
    this.packed = packSequences(sequences);
    const { rows, cols } = this.packed;
    this.chunks = chunkRanges(rows, cols, budget, recomputing ?? undefined).map(([start, end]) => ({ start, end, ...batchTensors(sliceRows(this.packed, start, end)), refLogp: null, oldLogp: null }));
  }

  /**
   * Reference log-probabilities, no gradient: kept per chunk under `readout` for the KL term, and read back both
   * under `readout` and as the reference model's own (untempered) log-probs, whose negatives are the answers'
   * surprisal. With `oldPolicy`, the sampling policy's log-probs are kept too (for several updates per batch).
   */
  async referencePass(reference: Runnable, readout: Readout, oldPolicy: Runnable | null): Promise<{ refLogp: Float32Array; refModelLogp: Float32Array }> {
    const { rows, cols } = this.packed;
    const refLogp = new Float32Array(rows * cols); // [S, T]
    const refModelLogp = new Float32Array(rows * cols); // [S, T]
    for (const c of this.chunks) {
      const scored = this.scored(c);
      const [tempered, own] = tf.tidy(() => {
        const at = positionLogits(reference.model, reference.weights, c.inputs, c.targets, scored); // logits [N, V]
        return [at.toGrid(pickLogProbs(at.logits, at.targets, readout).logp), at.toGrid(pickLogProbs(at.logits, at.targets).logp)]; // [rows, T] each
      });
      c.refLogp = tempered;
      if (oldPolicy) c.oldLogp = tf.tidy(() => tokenLogProbs(oldPolicy.model, oldPolicy.weights, c.inputs, c.targets, readout, scored).logp);
      try {
        refLogp.set((await tempered.data()) as Float32Array, c.start * cols);
        refModelLogp.set((await own.data()) as Float32Array, c.start * cols);
      } finally {
        own.dispose();
      }
    }
    return { refLogp, refModelLogp };
  }

  /**
   * One update: the loss and gradient of every chunk under `policy` with respect to its `trainable` variables,
   * summed, then one Adam step. Throws
   * NonFiniteLossError (weights untouched) when the loss is not finite; `step` numbers the message. Call
   * referencePass first.
   */
  async update(policy: Runnable, trainable: Record<string, tf.Variable>, readout: Readout, rows: RowWeights, loss: LossConfig, adam: Adam, optimizer: { learningRate: number; maxGradNorm: number }, step: number): Promise<UpdateResult> {
    const { rows: S, cols } = this.packed;
    const logpAll = new Float32Array(S * cols);
    const entropyAll = new Float32Array(S * cols);
    const varList = Object.values(trainable);
    let lossSum = 0;
    let grads: Record<string, tf.Tensor> | null = null; // summed over the chunks so far
    try {
      for (const c of this.chunks) {
        const perRow = (values: readonly number[]) => tf.tensor1d(values.slice(c.start, c.end)); // [rows]
        const inputs: LossInputs = { mask: c.mask, advantages: perRow(rows.advantages), scales: perRow(rows.scales), roleWeights: perRow(rows.roleWeights), refLogp: c.refLogp!, oldLogp: c.oldLogp };
        const seen: tf.Tensor[] = [];
        try {
          const { value, grads: chunkGrads } = tf.variableGrads(() => {
            const { logp, entropy } = tokenLogProbs(policy.model, policy.weights, c.inputs, c.targets, readout, this.scored(c)); // [rows, T] each
            seen.push(tf.keep(logp.clone()), tf.keep(entropy.clone()));
            return selfPlayLoss(logp, inputs, loss).loss;
          }, varList);
          seen.push(value);
          grads = grads === null ? chunkGrads : addGradients(grads, chunkGrads);
          const [lossValue, logp, entropy] = (await Promise.all([value, ...seen.slice(0, 2)].map((t) => t.data()))) as Float32Array[];
          lossSum += lossValue[0];
          logpAll.set(logp, c.start * cols);
          entropyAll.set(entropy, c.start * cols);
        } finally {
          tf.dispose([...seen, inputs.advantages, inputs.scales, inputs.roleWeights]);
        }
      }
      if (!Number.isFinite(lossSum)) {
        throw new NonFiniteLossError(`the loss became ${lossSum} at step ${step}; the weights were not updated. Lower the learning rate or the KL weight.`);
      }
      const norm = adam.apply(grads!, optimizer.learningRate, optimizer.maxGradNorm);
      const gradNorm = (await norm.data())[0];
      norm.dispose();
      return { loss: lossSum, gradNorm, logp: logpAll, entropy: entropyAll };
    } finally {
      if (grads !== null) tf.dispose(Object.values(grads as Record<string, tf.Tensor>));
    }
  }

  /** The chunk's completion positions: the only ones the loss and the surprisal read. */
  private scored(c: Chunk): Float32Array {
    return this.packed.mask.subarray(c.start * this.packed.cols, c.end * this.packed.cols);
  }

  dispose(): void {
    tf.dispose(this.chunks.flatMap((c) => [c.inputs, c.targets, c.mask, ...(c.refLogp ? [c.refLogp] : []), ...(c.oldLogp ? [c.oldLogp] : [])]));
  }
}
