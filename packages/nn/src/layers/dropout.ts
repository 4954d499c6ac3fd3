// Dropout with a seedable mask: zeroes each element with probability p in training mode and
// scales the rest by 1/(1 − p), so eval mode is the identity (PyTorch's inverted dropout).
import { defaultGenerator, rand, type Generator, type Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { autocastInput, autocastInputs } from '../precision.ts';

export interface DropoutOptions {
  /** Where the masks come from (default: the global generator, see manualSeed). */
  generator?: Generator;
}

function checkProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability ${p} must be in [0, 1]`);
}

/** Training-mode dropout of x (F.dropout with training=True); the mask is drawn on the CPU from `generator`. */
export function dropout(x: Tensor, p: number, generator: Generator = defaultGenerator): Tensor {
  checkProbability(p);
  if (p === 0) return x;
  if (p === 1) return autocastInput('mul', x).mul(0);
  const keepMask = rand([...x.shape], { generator }).ge(p);
  const [input, scale] = autocastInputs('mul', [x, keepMask.mul(1 / (1 - p))]);
  return input.mul(scale);
}

export class Dropout extends Module {
  private readonly generator: Generator;

  constructor(readonly p = 0.5, opts: DropoutOptions = {}) {
    super();
    checkProbability(p);
    this.generator = opts.generator ?? defaultGenerator;
  }

  forward(x: Tensor): Tensor {
    return this.training ? dropout(x, this.p, this.generator) : x;
  }
}
