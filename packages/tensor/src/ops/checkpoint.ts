// Activation checkpointing (torch.utils.checkpoint): a function's intermediate tensors are not kept
// for backward but recomputed there from its inputs, trading a second forward of it for memory.
import { isGradEnabled, noGrad, setGradEnabled, tidy } from '../scope.ts';
import { record, Tensor } from '../tensor.ts';
import { backward } from './autograd.ts';

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
    if (y.requiresGrad) backward(y, g);
    const grads = leaves.map((leaf) => {
      // Taken off the leaf, which its rule's tidy disposes (and a tensor disposes its .grad).
      const grad = leaf.grad;
      leaf.grad = null;
      return grad;
    });
    return [...grads, ...params.map(() => null)];
  });
}
