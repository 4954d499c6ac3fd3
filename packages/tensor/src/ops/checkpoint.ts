// Activation checkpointing (torch.utils.checkpoint): a function's intermediate tensors are not kept
// for backward but recomputed there from its inputs, trading a second forward of it for memory.
import { isGradEnabled, noGrad, setGradEnabled, tidy } from '../scope.ts';
import { record, Tensor } from '../tensor.ts';
import { leafGradients } from './autograd.ts';

let recomputing = 0;

/**
 * True while a checkpoint reruns its function in backward: batch norm then normalises with the
 * batch statistics again but leaves the running statistics alone, which the forward pass updated
 * already (torchvision's memory_efficient DenseNet updates them twice).
 */
export function isRecomputing(): boolean { return recomputing > 0; }

/**
 * fn(...inputs), differentiable, without keeping fn's intermediate tensors: the forward runs
 * unrecorded and frees them; backward runs fn again, recording, and differentiates that. fn must
 * compute the same values both times (no dropout inside). `params` are the trainable tensors fn
 * reads besides its inputs (a module's weights): their gradients accumulate into `.grad` when
 * backward reruns fn, and they decide, with the inputs, whether the output is recorded at all.
 */
export function checkpoint(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], params: Tensor[]): Tensor {
  const out = noGrad(() => tidy(() => fn(...inputs)));
  return record(out, 'checkpoint', [...inputs, ...params], (g) => {
    const leaves = inputs.map((x) => x.detach().requireGrad(x.requiresGrad));
    const wasEnabled = isGradEnabled();
    setGradEnabled(true);
    recomputing++;
    let y: Tensor;
    try { y = fn(...leaves); } finally { recomputing--; setGradEnabled(wasEnabled); }
    // Taken from the pass rather than the leaves' .grad: a channel-range gradient (fn read a
    // prefix of a dense block's buffer) reaches the outer pass as such, to be added in place there.
    const grads = y.requiresGrad ? leafGradients(y, g, leaves) : leaves.map(() => null);
    return [...grads, ...params.map(() => null)];
  });
}
