// Finite-difference gradient checks: directional derivatives of a scalar function of several
// inputs, compared with autograd. Float32 central differences are only accurate to ~1e-3
// relative, so the check uses a few random directions and a relative tolerance.
import { noGrad, tensor, tidy, type Tensor } from '@drgrade/tensor';
import * as assert from 'uvu/assert';
import { randomArray } from './check.ts';

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  directions?: number;
  seed?: number;
  label?: string;
}

/**
 * `f` maps input tensors to a tensor; the checked scalar is Σ f(x) ⊙ w for a fixed random w.
 * Inputs are given as arrays with shapes.
 */
export async function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: { data: Float32Array; shape: number[] }[], opts: GradcheckOptions = {}): Promise<void> {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const seed = opts.seed ?? 7;
  const xs = inputs.map((i) => tensor(i.data, i.shape, { requiresGrad: true }));
  const probe = noGrad(() => f(...xs));
  const w = tensor(randomArray(probe.size, seed + 1), [...probe.shape]);
  probe.dispose();
  const scalar = (ts: Tensor[]) => f(...ts).mul(w).sum();
  tidy(() => scalar(xs).backward());
  const grads = await Promise.all(xs.map(async (x) => (x.grad ? await x.grad.toArray() : new Float32Array(x.size))));
  for (let d = 0; d < (opts.directions ?? 3); d++) {
    const dirs = inputs.map((inp, k) => randomArray(inp.data.length, seed * 31 + d * 7 + k));
    const shifted = async (sign: number) => {
      const y = noGrad(() => tidy(() => scalar(inputs.map((inp, k) => tensor(inp.data.map((v, i) => v + sign * eps * dirs[k]![i]!), inp.shape)))));
      const v = await y.item();
      y.dispose();
      return v;
    };
    const numeric = ((await shifted(1)) - (await shifted(-1))) / (2 * eps);
    let analytic = 0;
    grads.forEach((g, k) => { for (let i = 0; i < g.length; i++) analytic += g[i]! * dirs[k]![i]!; });
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic), 1e-3);
    assert.ok(Math.abs(numeric - analytic) <= rtol * scale,
      `${opts.label ?? 'gradcheck'}: direction ${d}: finite difference ${numeric.toPrecision(6)} vs autograd ${analytic.toPrecision(6)}`);
  }
  xs.forEach((x) => x.dispose());
  w.dispose();
}
