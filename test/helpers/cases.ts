// Checks an op against a golden case written by test/fixtures/gen_cnn_goldens.py: the case's
// inputs in0, in1, ..., its output y, a weighting r and the gradients grad0, grad1, ... of
// sum(y ⊙ r), so backward is checked by running it with the upstream gradient r.
import { tensor, type Tensor } from '@drgrade/tensor';
import * as assert from 'uvu/assert';
import { assertClose, maxRelError } from './check.ts';
import type { GoldenTensor } from './golden.ts';

export interface GoldenCaseOptions {
  /** Relative tolerance, element-wise and against the largest expected magnitude (default 1e-4). */
  rtol?: number;
  /** Inputs whose gradient is not checked (and not requested), e.g. integer-valued ones. */
  noGrad?: number[];
}

export function goldenTensor(golden: Map<string, GoldenTensor>, key: string): GoldenTensor {
  const t = golden.get(key);
  if (!t) throw new Error(`golden fixture has no tensor ${key}`);
  return t;
}

/** Same values within rtol element-wise (plus rtol/10 of the largest magnitude, for entries near 0). */
export function assertGolden(actual: ArrayLike<number>, expected: GoldenTensor, label: string, rtol = 1e-4): void {
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  assertClose(actual, expected.data, { rtol, atol: (rtol / 10) * scale, label });
  assert.ok(maxRelError(actual, expected.data) <= rtol, `${label}: max relative error ${maxRelError(actual, expected.data).toExponential(2)}`);
}

/** Runs `f` on the case's inputs and compares y and every input gradient with the case's. */
export async function checkGoldenCase(golden: Map<string, GoldenTensor>, name: string, f: (...xs: Tensor[]) => Tensor,
  opts: GoldenCaseOptions = {}): Promise<void> {
  const inputs: Tensor[] = [];
  for (let i = 0; golden.has(`${name}/in${i}`); i++) {
    const g = goldenTensor(golden, `${name}/in${i}`);
    inputs.push(tensor(g.data, g.shape, { requiresGrad: !(opts.noGrad ?? []).includes(i) }));
  }
  const y = f(...inputs);
  const expected = goldenTensor(golden, `${name}/y`);
  assert.equal([...y.shape], expected.shape, `${name}: output shape`);
  assertGolden(await y.toArray(), expected, `${name} forward`, opts.rtol);
  const r = goldenTensor(golden, `${name}/r`);
  const upstream = tensor(r.data, r.shape);
  y.backward(upstream);
  for (let i = 0; i < inputs.length; i++) {
    if ((opts.noGrad ?? []).includes(i)) continue;
    const grad = inputs[i]!.grad;
    assert.ok(grad, `${name}: input ${i} got no gradient`);
    assertGolden(await grad.toArray(), goldenTensor(golden, `${name}/grad${i}`), `${name} gradient of input ${i}`, opts.rtol);
  }
  for (const t of [...inputs, y, upstream]) t.dispose();
}
