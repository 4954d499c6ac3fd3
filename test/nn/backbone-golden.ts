// Shared steps of the backbone tests (resnet, alexnet, googlenet) against a narrowed torchvision
// model (test/fixtures/gen_backbone_goldens.py): eval logits, then in train mode the outputs,
// the input gradient and every parameter gradient of sum(out · r), and the buffers after the pass.
import { tensor, tidy, type Tensor } from '@drgrade/tensor';
import type { Module } from '@drgrade/nn';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

export interface BackboneCase extends ModelCase {
  numClasses: number;
  widthDivisor: number;
  /** The full-size torchvision model's state dict: [name, shape] in order. */
  fullSizeKeys: [string, number[]][];
}

export interface BackboneFixture {
  golden: Map<string, GoldenTensor>;
  tensors: Map<string, Tensor>;
  cases: Map<string, BackboneCase>;
}

export async function loadBackboneFixture(name: string): Promise<BackboneFixture> {
  const path = `data/${name}`;
  return {
    golden: await loadGolden(path),
    tensors: await loadFixtureTensors(path),
    cases: new Map((await loadGoldenCases<BackboneCase>(path)).map((c) => [c.name, c])),
  };
}

/** A model's state dict as [name, shape] pairs, in order. */
export function describeState(net: Module<unknown, unknown>): [string, number[]][] {
  return [...net.stateDict()].map(([k, t]) => [k, [...t.shape]]);
}

/** The state-dict shapes of the full-size model narrowed as gen_backbone_goldens.py's narrow(): channels divided, 3 inputs and the classes kept. */
export function narrowedKeys(c: BackboneCase, full: [string, number[]][]): [string, number[]][] {
  const d = c.widthDivisor;
  return full.map(([k, shape]) => {
    if (shape.length === 0) return [k, shape];
    const isFinal = /(^|\.)(fc|fc2|classifier\.6)\.(weight|bias)$/.test(k);
    const scaled = shape.map((n, i) => {
      if (i === 0) return isFinal ? c.numClasses : n / d;
      if (i === 1) return n === 3 ? n : n / d;
      return n;
    });
    return [k, scaled];
  });
}

type Outputs = Record<string, Tensor>;

/**
 * Loads the case's state dict into `net`, checks eval logits, then runs `trainOutputs` in train
 * mode and checks every output, the input gradient, every parameter gradient and the buffers.
 */
export async function checkAgainstTorchvision(f: BackboneFixture, name: string, net: Module<Tensor, Tensor>,
  trainOutputs: (x: Tensor) => Outputs): Promise<void> {
  const c = f.cases.get(name)!;
  const fromGolden = (key: string, requiresGrad = false) => tensor(goldenOf(f.golden, key).data, goldenOf(f.golden, key).shape, { requiresGrad });
  assert.equal(describeState(net), narrowedKeys(c, c.fullSizeKeys), 'state dict names and shapes');
  net.loadStateDict(withPrefix(f.tensors, `${name}/state/`));

  net.eval();
  const x = fromGolden(`${name}/x`, true);
  const logits = tidy(() => net.forward(x));
  await assertMatches(logits, f.golden, c, `${name}/eval/logits`);
  logits.dispose();

  net.train();
  const outputs = tidy(() => {
    const out = trainOutputs(x);
    let loss: Tensor | null = null;
    for (const [k, y] of Object.entries(out)) {
      const term = y.mul(fromGolden(`${name}/r/${k}`)).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss!.backward();
    return out;
  });
  for (const [k, y] of Object.entries(outputs)) await assertMatches(y, f.golden, c, `${name}/train/${k}`);
  await assertMatches(x.grad!, f.golden, c, `${name}/grad/x`);
  await assertParamGrads(net, f.golden, c, `${name}/`);
  for (const [k, buf] of net.namedBuffers()) await assertMatches(buf, f.golden, c, `${name}/after/${k}`);
  for (const t of [x, ...Object.values(outputs)]) { t.grad?.dispose(); t.dispose(); }
}
