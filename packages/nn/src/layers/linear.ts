// Linear: y = x Wᵀ + b, weight [out, in], PyTorch's initialisation. A weight larger than one
// kernel may bind is held in row shards (row-shards.ts): each block of output features is its own
// product, and the blocks' outputs are concatenated.
import { concat, type Tensor } from '@drgrade/tensor';
import { generatorOf, kaimingUniform, uniform, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { autocastInput, autocastInputs } from '../precision.ts';
import { shardRows } from '../row-shards.ts';
import { moduleLabel } from './label.ts';

export interface LinearOptions extends InitOptions {
  bias?: boolean;
  /**
   * Replaces the default kaiming_uniform(a=√5) weight init (models with their own init pass theirs).
   * Called once per row shard, in order, with the shard's shape and the whole weight's (a weight
   * that fits is one shard): an init drawn row after row gives the same values either way.
   */
  initWeight?: (shape: number[], whole: readonly number[]) => Tensor;
  /** Replaces the default U(±1/√fan_in) bias init. */
  initBias?: (shape: number[]) => Tensor;
  /**
   * Largest bytes of one weight tensor (default: the device's maxTensorBytes); a larger weight is
   * held as row shards `weight:0`, `weight:1`, ... Files hold it whole under `weight` either way.
   */
  maxShardBytes?: number;
}

export class Linear extends Module {
  /** The weight's row blocks in order: one tensor [out, in] unless it is larger than one kernel may bind. */
  readonly weightShards: readonly Tensor[];
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    const g = generatorOf(opts);
    const whole = [outFeatures, inFeatures];
    const rows = shardRows(whole, opts.maxShardBytes);
    if (!rows) throw new Error(`Linear(${inFeatures}, ${outFeatures}): one row of its weight (${inFeatures} features) is larger than one kernel may bind`);
    const init = (shape: number[]) => (opts.initWeight ? opts.initWeight(shape, whole) : kaimingUniform(shape, Math.sqrt(5), g, inFeatures));
    this.weightShards = rows.length === 1
      ? [this.registerParameter('weight', init(whole))]
      : this.registerParameterShards('weight', rows.map((r) => init([r, inFeatures])));
    this.bias = (opts.bias ?? true)
      ? this.registerParameter('bias', opts.initBias ? opts.initBias([outFeatures]) : uniform([outFeatures], 1 / Math.sqrt(inFeatures), g))
      : null;
  }

  /** The weight [out, in]; a weight held in row shards has no single tensor (use weightShards). */
  get weight(): Tensor {
    if (this.weightShards.length > 1) throw new Error(`${moduleLabel(this, this.weightShards[0]!)}: the weight is held in ${this.weightShards.length} row shards (weightShards), not one tensor`);
    return this.weightShards[0]!;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`${moduleLabel(this, this.weightShards[0]!)}: input ${x.describe()} has ${x.shape[x.rank - 1]} features, expected ${this.inFeatures}`);
    }
    const lead = x.shape.slice(0, -1);
    const x2 = autocastInput('matmul', x.reshape([-1, this.inFeatures]));
    const m = x2.shape[0]!;
    let x2t: Tensor | null = null;
    const blocks = this.weightShards.map((shard) => {
      // Under autocast the float32 weight is cast per forward, so its gradient arrives float32.
      const weight = autocastInput('matmul', shard);
      const out = shard.shape[0]!;
      // Tensors are contiguous, so a transpose is a copy: transpose whichever side is smaller,
      // the weight (in·out) or the input and output (m·(in + out)).
      return m * (this.inFeatures + out) < this.inFeatures * out
        ? weight.matmul(x2t ??= x2.transpose()).transpose()
        : x2.matmul(weight.transpose());
    });
    const y2 = blocks.length === 1 ? blocks[0]! : concat(blocks, 1);
    const y = y2.reshape([...lead, this.outFeatures]);
    if (!this.bias) return y;
    // The bias at the product's precision, as PyTorch's autocast linear; the add then runs where autocast says.
    const [a, b] = autocastInputs('add', [y, autocastInput('matmul', this.bias)]);
    return a.add(b);
  }
}
