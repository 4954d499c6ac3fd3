// Seed ensembles (`drgrade ensemble`, GradingEnsemble): the joined file grades with the mean of its
// members' probabilities, with and without flips, as each member graded alone and averaged here
// says; eval and Grad-CAM use every member; and every wrong set of members is refused in one line
// naming the file, with nothing written.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDevice, tidy, tensor } from '@drgrade/tensor';
import { captureOutput, decodeSafetensors, encodeSafetensorsHost, type Module } from '@drgrade/nn';
import type { Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preprocessOptions } from '../../packages/drgrade/src/config/runtime.ts';
import { runCli } from '../../packages/drgrade/src/cli/run.ts';
import { camFromActivation, upsampleAndNormalize } from '../../packages/drgrade/src/gradcam/gradcam.ts';
import { decodeImage } from '../../packages/drgrade/src/image/decode.ts';
import { preprocessFundus } from '../../packages/drgrade/src/image/preprocess.ts';
import { gradcamImage, imageTensor, predictPreprocessed } from '../../packages/drgrade/src/infer/predict.ts';
import { decodeModelFile, encodeModelFile } from '../../packages/drgrade/src/train/checkpoint.ts';
import { GradingEnsemble } from '../../packages/drgrade/src/train/ensemble.ts';
import { GradingModel } from '../../packages/drgrade/src/train/model.ts';
import { readDataset } from '../../packages/drgrade/src/data/read-dataset.ts';
import { buildWorkers, captureContext, repoRoot, sampleRoot } from './helpers.ts';

process.env.DRGRADE_WORKER_DIR = buildWorkers();

/** How far member c's classifier bias leans to grade 2 (logits). */
const LEAN = 1.5;
const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

let dir: string;
/** Member files: `a` the trained fixture, `b` the same recipe with another seed and its own (random) weights, `a2` a's weights under a third seed. */
const files = { a: '', b: '', a2: '' };

async function writeMember(path: string, seed: number, weightsOf: GradingModel | null, info: Record<string, number | string> = { fold: -1, epoch: 3 }): Promise<void> {
  const fixture = decodeModelFile(readFileSync(FIXTURE), FIXTURE);
  const model = new GradingModel({ ...fixture.config, seed });
  if (weightsOf) model.loadStateDict(weightsOf.stateDict());
  writeFileSync(path, await encodeModelFile(model, info));
  model.dispose();
  fixture.model.dispose();
}

test.before(async () => {
  await getDevice();
  dir = mkdtempSync(join(tmpdir(), 'drgrade-ensemble-'));
  const fixture = decodeModelFile(readFileSync(FIXTURE), FIXTURE);
  files.a = join(dir, 'a.safetensors');
  files.b = join(dir, 'b.safetensors');
  files.a2 = join(dir, 'a2.safetensors');
  await writeMember(files.a, 11, fixture.model as GradingModel);
  await writeMember(files.b, 12, null);
  await writeMember(files.a2, 13, fixture.model as GradingModel);
  fixture.model.dispose();
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = captureContext();
  const code = await runCli(args, ctx);
  return { code, out: ctx.stdout.text, err: ctx.stderr.text };
}

const load = (path: string) => decodeModelFile(readFileSync(path), path);
const photos = () => readDataset(sampleRoot()).items.slice(0, 3);

test('drgrade ensemble writes one model file whose probabilities are the mean of its members\', with and without flips', async () => {
  const out = join(dir, 'ab.safetensors');
  const r = await cli(['ensemble', files.a, files.b, '--out', out]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /2 members, seeds 11, 12/);
  const [ens, a, b] = [load(out), load(files.a), load(files.b)];
  try {
    assert.ok(ens.model instanceof GradingEnsemble);
    assert.equal([...ens.model.stateDict().keys()].filter((k) => !k.startsWith('members.0.') && !k.startsWith('members.1.')), []);
    let membersDiffer = 0;
    for (const item of photos()) {
      const image = preprocessFundus(decodeImage(readFileSync(item.path)), preprocessOptions(ens.config));
      for (const tta of [false, true]) {
        const [pa, pb] = [await predictPreprocessed(a.model, image, { tta }), await predictPreprocessed(b.model, image, { tta })];
        const expected = pa.probabilities.map((p, c) => (p + pb.probabilities[c]!) / 2);
        const got = await predictPreprocessed(ens.model, image, { tta });
        assert.ok(maxDiff(got.probabilities, expected) < 1e-6, `${item.id} (flips ${tta}): ${got.probabilities} vs ${expected}`);
        assert.is(got.grade, expected.indexOf(Math.max(...expected)));
        membersDiffer = Math.max(membersDiffer, maxDiff(pa.probabilities, pb.probabilities));
      }
    }
    assert.ok(membersDiffer > 1e-3, `the members grade differently (by ${membersDiffer}), so the mean is not either member's`);
  } finally {
    for (const m of [ens, a, b]) m.model.dispose();
  }
});

test('an ensemble grows by a seed: its members and a new model join into one file averaging all three', async () => {
  const ab = join(dir, 'grow-ab.safetensors'), abc = join(dir, 'grow-abc.safetensors');
  assert.is((await cli(['ensemble', files.a, files.b, '--out', ab])).code, 0);
  const r = await cli(['ensemble', ab, files.a2, '--out', abc]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /3 members, seeds 11, 12, 13/);
  const meta = decodeSafetensors(readFileSync(abc)).metadata;
  assert.equal((JSON.parse(meta.ensemble!) as { members: unknown[] }).members, [{ fold: -1, epoch: 3 }, { fold: -1, epoch: 3 }, { fold: -1, epoch: 3 }]);
  const [ens, a, b, a2] = [load(abc), load(files.a), load(files.b), load(files.a2)];
  try {
    const image = preprocessFundus(decodeImage(readFileSync(photos()[0]!.path)), preprocessOptions(ens.config));
    const each = await Promise.all([a, b, a2].map((m) => predictPreprocessed(m.model, image, { tta: false })));
    const expected = each[0]!.probabilities.map((_, c) => each.reduce((s, p) => s + p.probabilities[c]!, 0) / 3);
    const got = await predictPreprocessed(ens.model, image, { tta: false });
    assert.ok(maxDiff(got.probabilities, expected) < 1e-6, `${got.probabilities} vs ${expected}`);
  } finally {
    for (const m of [ens, a, b, a2]) m.model.dispose();
  }
});

test('eval of an ensemble file says how many members it averaged; its grades are the members\' mean probabilities\' argmax', async () => {
  // Member c: a's weights with the classifier leaning to grade 2, so that on these photographs the
  // mean's argmax is neither member's alone and the confusion matrix tells them apart.
  const c = join(dir, 'c.safetensors');
  const fixture = decodeModelFile(readFileSync(FIXTURE), FIXTURE);
  const lean = new GradingModel({ ...fixture.config, seed: 16 });
  lean.loadStateDict(new Map([...fixture.model.stateDict()].map(([k, t]) => [k, k === 'net.hbp.fc_concat.bias' ? t.add(tensor([0, 0, LEAN, 0, 0], [5])) : t])));
  writeFileSync(c, await encodeModelFile(lean, { fold: -1 }));
  lean.dispose();
  fixture.model.dispose();
  const out = join(dir, 'ac-eval.safetensors');
  assert.is((await cli(['ensemble', files.a, c, '--out', out])).code, 0);
  const r = await cli(['eval', '--checkpoint', out, '--data', sampleRoot(), '--json', '--workers', '0']);
  assert.is(r.code, 0, r.err);
  const json = JSON.parse(r.out) as { members: number; images: number; confusion: number[][] };
  assert.is(json.members, 2);
  const [ma, mc] = [load(files.a), load(c)];
  const confusion = () => [0, 1, 2, 3, 4].map(() => [0, 0, 0, 0, 0]);
  const [expected, onlyA, onlyC] = [confusion(), confusion(), confusion()];
  const argmax = (p: number[]) => p.indexOf(Math.max(...p));
  for (const item of readDataset(sampleRoot()).items) {
    const image = preprocessFundus(decodeImage(readFileSync(item.path)), preprocessOptions(ma.config));
    const [pa, pc] = [(await predictPreprocessed(ma.model, image)).probabilities, (await predictPreprocessed(mc.model, image)).probabilities];
    const g = item.grade as number;
    expected[g]![argmax(pa.map((p, k) => p + pc[k]!))]!++;
    onlyA[g]![argmax(pa)]!++;
    onlyC[g]![argmax(pc)]!++;
  }
  ma.model.dispose();
  mc.model.dispose();
  assert.not.equal(expected, onlyA, 'the mean grades some photograph otherwise than member a');
  assert.not.equal(expected, onlyC, 'the mean grades some photograph otherwise than member c');
  assert.equal(json.confusion, expected);
  const text = await cli(['eval', '--checkpoint', out, '--data', sampleRoot(), '--workers', '0']);
  assert.match(text.out, /11 images of 6 patients \(probabilities averaged over 2 models\)/);
});

/** One member's Grad-CAM map before normalisation, computed here from its own forward and backward pass. */
async function rawCam(model: GradingModel, x: () => Tensor, layer: string, target: number): Promise<{ map: Float32Array; height: number; width: number }> {
  const capture = captureOutput(model.getSubmodule(layer) as Module<unknown, Tensor>);
  try {
    tidy(() => {
      const logits = model.forward(x()).logits;
      const onehot = new Float32Array(logits.shape[1]!);
      onehot[target] = 1;
      logits.backward(tensor(onehot, [1, onehot.length]));
    });
    return await camFromActivation(capture.output!, capture.grad!);
  } finally {
    capture.remove();
    model.zeroGrad();
  }
}

test('Grad-CAM of an ensemble is the mean of its members\' maps; of two copies of one model, that model\'s map', async () => {
  const [ab, aa] = [join(dir, 'ab-cam.safetensors'), join(dir, 'aa-cam.safetensors')];
  assert.is((await cli(['ensemble', files.a, files.b, '--out', ab])).code, 0);
  assert.is((await cli(['ensemble', files.a, files.a2, '--out', aa])).code, 0);
  const [ensAB, ensAA, a, b] = [load(ab), load(aa), load(files.a), load(files.b)];
  try {
    const photo = decodeImage(readFileSync(photos()[0]!.path));
    const camAB = await gradcamImage(ensAB.model, photo);
    const camA = await gradcamImage(a.model, photo, { target: camAB.target });
    const camAA = await gradcamImage(ensAA.model, photo, { target: camAB.target });
    assert.ok(maxDiff(camAA.heat, camA.heat) < 1e-5, `two copies of a: ${maxDiff(camAA.heat, camA.heat)}`);
    const image = camAB.preprocessed;
    const x = () => imageTensor(image, a.config);
    const layer = (a.model as GradingModel).defaultCamLayer();
    assert.is(camAB.layer, layer);
    const [ra, rb] = [await rawCam(a.model as GradingModel, x, layer, camAB.target), await rawCam(b.model as GradingModel, x, layer, camAB.target)];
    const expected = upsampleAndNormalize(ra.map.map((v, i) => (v + rb.map[i]!) / 2), ra.height, ra.width, image.height, image.width);
    assert.ok(maxDiff(camAB.heat, expected) < 1e-4, `ensemble map vs the mean of the members' maps: ${maxDiff(camAB.heat, expected)}`);
    assert.ok(maxDiff(camAB.heat, camA.heat) > 1e-2, 'the ensemble\'s map is not member a\'s alone');
  } finally {
    for (const m of [ensAB, ensAA, a, b]) m.model.dispose();
  }
});

test('wrong members are refused in one line naming the file, and nothing is written', async () => {
  const fixture = decodeModelFile(readFileSync(FIXTURE), FIXTURE);
  const other = join(dir, 'other-size.safetensors');
  const otherModel = new GradingModel({ ...fixture.config, seed: 14, data: { ...fixture.config.data, imageSize: fixture.config.data.imageSize * 2 } });
  writeFileSync(other, await encodeModelFile(otherModel, { fold: -1 }));
  otherModel.dispose();
  const fold0 = join(dir, 'fold0.safetensors');
  await writeMember(fold0, 15, fixture.model as GradingModel, { fold: 0 });
  const twin = join(dir, 'twin.safetensors');
  await writeMember(twin, 11, null);
  fixture.model.dispose();
  const joined = join(dir, 'joined.safetensors');
  assert.is((await cli(['ensemble', files.a, files.b, '--out', joined])).code, 0);
  const checkpoint = join(dir, 'checkpoint.safetensors');
  const parsed = decodeSafetensors(readFileSync(files.a));
  writeFileSync(checkpoint, encodeSafetensorsHost(new Map([...parsed.tensors].map(([k, t]) => [`model.${k}`, t])), { ...parsed.metadata, kind: 'checkpoint' }));
  const out = join(dir, 'refused.safetensors');
  const cases: [string[], RegExp][] = [
    [[files.a], /an ensemble joins two or more models; 1 given/],
    [[files.a, other], /other-size\.safetensors: its configuration differs from .*a\.safetensors's in data\.imageSize; an ensemble's members share one recipe/],
    [[files.a, fold0], /fold0\.safetensors: trained on fold 0's training images, .*a\.safetensors on every image/],
    [[files.a, twin], /twin\.safetensors: seed 11, as .*a\.safetensors; train the members with different seeds/],
    [[files.a, joined], /joined\.safetensors \(member 0, seed 11\): seed 11, as .*a\.safetensors; train the members with different seeds/],
    [[files.a, checkpoint], /checkpoint\.safetensors: not a model file \(kind 'checkpoint'\)/],
    [[files.a, join(dir, 'missing.safetensors')], /missing\.safetensors: no such file/],
  ];
  for (const [members, message] of cases) {
    const r = await cli(['ensemble', ...members, '--out', out]);
    assert.is(r.code, 1, `${members.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.is(r.err.trim().split('\n').length, 1, r.err);
    assert.not.ok(existsSync(out), 'nothing written');
  }
});

test('an existing --out is left as it is unless --overwrite; a damaged ensemble header is one line', async () => {
  const out = join(dir, 'existing.safetensors');
  writeFileSync(out, 'keep me');
  const refused = await cli(['ensemble', files.a, files.b, '--out', out]);
  assert.is(refused.code, 1);
  assert.match(refused.err, /already exists; nothing was written: choose another name, or pass --overwrite/);
  assert.is(readFileSync(out, 'utf8'), 'keep me');
  const replaced = await cli(['ensemble', files.a, files.b, '--out', out, '--overwrite']);
  assert.is(replaced.code, 0, replaced.err);
  assert.ok(statSync(out).size > 1000);
  const parsed = decodeSafetensors(readFileSync(out));
  const damaged = join(dir, 'damaged.safetensors');
  writeFileSync(damaged, encodeSafetensorsHost(parsed.tensors, { ...parsed.metadata, ensemble: JSON.stringify({ seeds: [11] }) }));
  const r = await cli(['predict', '--checkpoint', damaged, join(sampleRoot(), 'B. Disease Grading', '1. Original Images', 'a. Training Set')]);
  assert.is(r.code, 1);
  assert.match(r.err, /damaged\.safetensors: the embedded ensemble metadata has no list of two or more integer seeds/);
  assert.is(r.err.trim().split('\n').length, 1, r.err);
});

test.run();
