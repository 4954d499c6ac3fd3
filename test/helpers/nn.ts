// Shared steps of the @drgrade/nn golden tests: a fixture's tensors read with the library's own
// safetensors reader (so torchvision's names and int64 counters go through the real path), the
// sub-dict under a prefix, and comparisons of gradients by parameter name.
import type { Tensor } from '@drgrade/tensor';
import { loadSafetensors, type Module } from '@drgrade/nn';
import * as assert from 'uvu/assert';
import { readRepoFile } from './env.ts';
import { assertClose, maxRelError } from './check.ts';
import type { GoldenTensor } from './golden.ts';

export async function loadFixtureTensors(name: string): Promise<Map<string, Tensor>> {
  return loadSafetensors(await readRepoFile(`test/fixtures/${name}.safetensors`));
}

/** The entries under `prefix`, with the prefix removed. */
export function withPrefix(all: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of all) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

/** A model case's metadata: PyTorch's own float32 relative error per stored value (see gen_nn_goldens.py). */
export interface ModelCase {
  name: string;
  float32Error: Record<string, number>;
}

/**
 * Slack relative to a golden value's largest magnitude: 1e-5 (as assertGolden), or three times
 * PyTorch's own float32 error on it (max |float32 − float64| / max |float64|) where that is
 * larger: gradients that nearly cancel, like a batch norm weight whose output feeds another batch
 * norm in training mode, are that far off in float32 whoever computes them.
 */
export function scaleSlack(c: ModelCase, key: string): number {
  return Math.max(1e-5, 3 * (c.float32Error[key] ?? 0));
}

export function goldenOf(golden: Map<string, GoldenTensor>, key: string): GoldenTensor {
  const t = golden.get(key);
  if (!t) throw new Error(`golden fixture has no tensor ${key}`);
  return t;
}

/**
 * Element-wise |actual − expected| ≤ 1e-4·|expected| + slack·max|expected| (see scaleSlack), and
 * max-norm relative error ≤ max(1e-4, slack).
 */
export async function assertMatches(actual: Tensor, golden: Map<string, GoldenTensor>, c: ModelCase, key: string, label = key): Promise<void> {
  const expected = goldenOf(golden, key);
  assert.equal([...actual.shape], expected.shape, `${label}: shape`);
  const data = await actual.toArray();
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  const slack = scaleSlack(c, key);
  assertClose(data, expected.data, { rtol: 1e-4, atol: slack * scale, label });
  const err = maxRelError(data, expected.data);
  assert.ok(err <= Math.max(1e-4, slack), `${label}: max relative error ${err.toExponential(2)}`);
}

/** Every parameter's gradient against golden `${prefix}grad/<name>`. */
export async function assertParamGrads(model: Module<unknown, unknown>, golden: Map<string, GoldenTensor>, c: ModelCase, prefix = ''): Promise<void> {
  const params = model.namedParameters();
  assert.ok(params.length > 0);
  for (const [name, p] of params) {
    assert.ok(p.grad, `${name} got no gradient`);
    await assertMatches(p.grad, golden, c, `${prefix}grad/${name}`, `gradient of ${name}`);
  }
}
