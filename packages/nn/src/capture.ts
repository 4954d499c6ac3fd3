// Capturing a module's output and the gradient that flows into it (what Grad-CAM needs),
// through a forward hook that passes the output through an identity op whose backward rule
// records the incoming gradient.
import { keep, record, type Tensor } from '@drgrade/tensor';
import type { HookHandle, Module } from './module.ts';

/** The identity, except that `onGrad` sees the gradient arriving at `x` during backward. */
export function tapGradient(x: Tensor, onGrad: (grad: Tensor) => void): Tensor {
  const y = x.view(x.shape);
  return record(y, 'tapGradient', [x], (g) => {
    onGrad(g);
    return [g];
  });
}

/**
 * Holds the latest output of a module and, after `backward()`, the gradient of the loss with
 * respect to that output. Both are views kept out of `tidy` scopes, so they survive the scope
 * that ran the forward and backward passes; `clear()` or `remove()` releases them.
 */
export class OutputCapture {
  output: Tensor | null = null;
  grad: Tensor | null = null;
  private readonly handle: HookHandle;

  constructor(module: Module<unknown, Tensor>) {
    this.handle = module.registerForwardHook((_m, _input, out) => {
      this.clear();
      this.output = keep(out.view(out.shape));
      // Gradients only flow where the output is part of a recorded graph (not under noGrad).
      if (!out.requiresGrad) return undefined;
      return tapGradient(out, (g) => {
        this.grad?.dispose();
        this.grad = keep(g.view(g.shape));
      });
    });
  }

  /** Releases the captured tensors (the hook stays). */
  clear(): void {
    this.output?.dispose();
    this.grad?.dispose();
    this.output = null;
    this.grad = null;
  }

  /** Removes the hook and releases the captured tensors. */
  remove(): void {
    this.handle.remove();
    this.clear();
  }
}

/** Starts capturing `module`'s output and its gradient (see OutputCapture). */
export function captureOutput(module: Module<unknown, Tensor>): OutputCapture {
  return new OutputCapture(module);
}
