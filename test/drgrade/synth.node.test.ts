import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SYNTH_GRADE_WEIGHTS, foregroundBox, planSyntheticDataset, randomCamera, readDataset, renderFundus, runCli, Rng, macularEdemaRisk,
  type Grade, type RenderedFundus,
} from 'drgrade';
import { captureContext, tempDir } from './helpers.ts';

const camera = randomCamera(new Rng(1));
const render = (grade: Grade, seed: number, size = 128): RenderedFundus => renderFundus({ size, grade, eye: seed % 2 ? 'L' : 'R', camera, seed });

test('deterministic in the seed', () => {
  assert.equal(render(3, 5).image, render(3, 5).image);
  assert.not.equal(render(3, 5).image.data, render(3, 6).image.data);
  assert.equal(planSyntheticDataset(40, 64, 9), planSyntheticDataset(40, 64, 9));
});

test('lesions follow the international scale', () => {
  for (let seed = 0; seed < 6; seed++) {
    const l0 = render(0, seed).lesions;
    assert.equal([l0.microaneurysms, l0.haemorrhages, l0.exudates, l0.neovascular, l0.preretinal], [0, 0, 0, 0, false]);
    const l1 = render(1, seed).lesions;
    assert.ok(l1.microaneurysms >= 4, 'mild: microaneurysms');
    assert.equal([l1.haemorrhages, l1.exudates, l1.cottonWool, l1.beadedVeins], [0, 0, 0, 0], 'mild: nothing else');
    const l2 = render(2, seed).lesions;
    assert.ok(l2.microaneurysms > 0 && l2.haemorrhages > 0 && l2.exudates > 0, 'moderate: MAs, haemorrhages, exudates');
    assert.equal([l2.beadedVeins, l2.neovascular, l2.preretinal], [0, 0, false]);
    const l3 = render(3, seed).lesions;
    assert.is(l3.haemorrhageQuadrants, 4, 'severe: haemorrhages in all four quadrants');
    assert.ok(l3.haemorrhages >= 24 && l3.beadedVeins >= 1, 'severe: >= 6 per quadrant and venous beading');
    assert.equal([l3.neovascular, l3.preretinal], [0, false]);
    const l4 = render(4, seed).lesions;
    assert.ok(l4.neovascular > 0 || l4.preretinal, 'PDR: new vessels or pre-retinal haemorrhage');
  }
});

test('no shortcut: the same seed at another grade changes only lesion pixels', () => {
  for (const grade of [1, 2, 3, 4] as Grade[]) {
    for (const seed of [11, 12]) {
      const healthy = render(0, seed, 192).image;
      const sick = render(grade, seed, 192).image;
      assert.equal(foregroundBox(sick), foregroundBox(healthy), 'same framing');
      let changed = 0;
      for (let i = 0; i < healthy.data.length; i += 3) {
        if (Math.abs((healthy.data[i] as number) - (sick.data[i] as number)) + Math.abs((healthy.data[i + 1] as number) - (sick.data[i + 1] as number)) > 6) changed++;
      }
      const fraction = changed / (healthy.width * healthy.height);
      const limit = grade === 1 ? 0.02 : 0.2;
      assert.ok(fraction > 0.0005 && fraction < limit, `grade ${grade}: ${(100 * fraction).toFixed(2)} % of pixels changed`);
    }
  }
});

test('lesions stay visible at 128 px: a microaneurysm darkens its pixel clearly', () => {
  const healthy = render(0, 21, 128).image;
  const mild = render(1, 21, 128).image;
  let strongest = 0;
  for (let i = 0; i < healthy.data.length; i += 3) strongest = Math.max(strongest, (healthy.data[i + 1] as number) - (mild.data[i + 1] as number));
  assert.ok(strongest >= 20, `darkest microaneurysm pixel only ${strongest} levels below the healthy twin`);
});

test('grade mix of a large plan matches the intended imbalance; both eyes share a camera', () => {
  const plan = planSyntheticDataset(4000, 64, 1);
  const counts = [0, 1, 2, 3, 4].map((g) => plan.filter((p) => p.spec.grade === g).length / plan.length);
  counts.forEach((c, g) => assert.ok(Math.abs(c - (SYNTH_GRADE_WEIGHTS[g] as number)) < 0.025, `grade ${g}: ${c}`));
  const [left, right] = plan;
  assert.is(left?.patient, right?.patient);
  assert.equal([left?.spec.eye, right?.spec.eye], ['L', 'R']);
  assert.ok(Math.abs((left?.spec.camera.fieldScale ?? 0) - (right?.spec.camera.fieldScale ?? 1)) < 1e-12);
  assert.is(planSyntheticDataset(5, 64, 1).length, 5, 'odd n: the last patient has one eye');
});

test('drgrade synth writes an IDRiD-layout set that the IDRiD reader reads back with patients', async () => {
  const out = tempDir();
  const ctx = captureContext();
  assert.is(await runCli(['synth', '--out', out, '--n', '12', '--size', '96', '--seed', '4', '--workers', '0'], ctx), 0, ctx.stderr.text);
  const dataset = readDataset(out);
  assert.is(dataset.format, 'idrid');
  assert.equal(dataset.problems, []);
  assert.is(dataset.items.length, 12);
  assert.is(new Set(dataset.items.map((i) => i.group)).size, 6);
  const plan = planSyntheticDataset(12, 96, 4);
  for (const p of plan) assert.is(dataset.items.find((i) => i.id === p.name)?.grade, p.spec.grade);
  assert.is(macularEdemaRisk(0, 0), 0);
  assert.is(macularEdemaRisk(3, 0.5), 2);
  assert.is(macularEdemaRisk(3, 2), 1);
});

test.run();
