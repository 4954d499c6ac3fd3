// FPN against torchvision.ops.FeaturePyramidNetwork (same names, same init scheme): outputs and
// input and parameter gradients, for pyramids that halve (x2 upsampling) and that do not
// (15 → 8 → 8: nearest resizing to the finer size, and an identity between equal sizes).
import { getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { FPN } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

interface FPNCase extends ModelCase { inChannels: number[]; sizes: number[]; outChannels: number }

let golden: Map<string, GoldenTensor>;
let fixture: Map<string, Tensor>;
let cases: FPNCase[];

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_fpn');
  fixture = await loadFixtureTensors('data/nn_fpn');
  cases = await loadGoldenCases<FPNCase>('data/nn_fpn');
});

test('outputs and gradients match torchvision\'s FeaturePyramidNetwork', async () => {
  assert.is(cases.length, 2);
  for (const c of cases) {
    const fpn = new FPN({ inChannels: c.inChannels, outChannels: c.outChannels });
    assert.equal(fpn.namedParameters().map(([n]) => n), [...withPrefix(fixture, `${c.name}/state/`).keys()]);
    fpn.loadStateDict(withPrefix(fixture, `${c.name}/state/`));
    const xs = c.inChannels.map((_, j) => {
      const g = goldenOf(golden, `${c.name}/x${j}`);
      return tensor(g.data, g.shape, { requiresGrad: true });
    });
    const weights = c.inChannels.map((_, j) => {
      const g = goldenOf(golden, `${c.name}/r/p${j}`);
      return tensor(g.data, g.shape);
    });
    const outs = tidy(() => {
      const ps = fpn.forward(xs);
      ps.map((p, j) => p.mul(weights[j]!).sum()).reduce((a, b) => a.add(b)).backward();
      return ps;
    });
    for (let j = 0; j < outs.length; j++) {
      await assertMatches(outs[j]!, golden, c, `${c.name}/out/p${j}`);
      await assertMatches(xs[j]!.grad!, golden, c, `${c.name}/grad/x${j}`);
    }
    await assertParamGrads(fpn, golden, c, `${c.name}/`);
    [...xs, ...weights, ...outs].forEach((t) => { t.grad?.dispose(); t.dispose(); });
    fpn.dispose();
  }
});

test.after(() => { for (const t of fixture.values()) t.dispose(); });

test.run();
