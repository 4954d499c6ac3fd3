// The shipped default model (models/drgrade-real.safetensors): where predict, gradcam and serve find
// it when no model is named, what they say when it is missing, and the Grad-CAM picture gradcam
// writes for a real photograph with it. Whatever file is at models/ is used: these tests check
// resolution and outputs, not grades.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage, foregroundBox, runCli, UserError, type RgbImage } from 'drgrade';
import { chooseModel, defaultModelCandidates } from '../../packages/drgrade/src/cli/default-model.ts';
import { pageModel } from '../../packages/drgrade/src/cli/serve.ts';
import { decodeModelFile } from '../../packages/drgrade/src/train/checkpoint.ts';
import { cardSummary } from '../../packages/drgrade/src/train/model-card.ts';
import { SAMPLE_IMAGES, captureContext, repoRoot, sampleRoot, tempDir } from './helpers.ts';

const ROOT = repoRoot();
const DEFAULT = join(ROOT, 'models', 'drgrade-real.safetensors');
const PHOTO = join(sampleRoot(), SAMPLE_IMAGES, 'Patient146_L.jpg');
let scratch: string;

test.before(() => {
  scratch = tempDir('drgrade-default-model-');
  assert.ok(existsSync(DEFAULT), `${DEFAULT} is missing: the repository ships its default model there (see models/README.md)`);
});
test.after(() => { rmSync(scratch, { recursive: true, force: true }); });

/** A drgrade package folder without a model, inside a folder that is not the repository. */
function barePackage(): string {
  const dir = join(scratch, 'elsewhere', 'node_modules', 'drgrade');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'drgrade' }));
  return dir;
}

test('the default is the package\'s models/ (npm install), then the repository\'s models/ (checkout)', () => {
  const pkg = join(ROOT, 'packages', 'drgrade');
  assert.equal(defaultModelCandidates(pkg), [join(pkg, 'models', 'drgrade-real.safetensors'), DEFAULT]);
  assert.equal(defaultModelCandidates(barePackage()), [join(barePackage(), 'models', 'drgrade-real.safetensors')], 'outside the repository: only the package');
  assert.equal(chooseModel(undefined, 'checkpoint', scratch), { path: DEFAULT, isDefault: true }, 'found from any working folder');
  assert.equal(chooseModel('m.safetensors', 'checkpoint', scratch), { path: join(scratch, 'm.safetensors'), isDefault: false }, 'a named model wins');
});

test('a missing default says which file is missing and how to name a model', () => {
  const pkg = barePackage();
  try {
    chooseModel(undefined, 'checkpoint', scratch, pkg);
    assert.unreachable('no error');
  } catch (error) {
    assert.instance(error, UserError);
    const message = (error as Error).message;
    assert.ok(message.includes(join(pkg, 'models', 'drgrade-real.safetensors')), message);
    assert.match(message, /name one with --checkpoint <model\.safetensors>/);
  }
  const warnings: string[] = [];
  assert.equal(pageModel(undefined, scratch, (line) => warnings.push(line), pkg), {}, 'serve goes on without a model');
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /default model is missing .*--model <model\.safetensors>.*the page will ask for a model file/);
});

test('serve ships the default model to the page under its own name', () => {
  const shipped = pageModel(undefined, scratch, (line) => assert.unreachable(line));
  assert.is(shipped.modelName, 'drgrade-real.safetensors');
  assert.equal(shipped.model, new Uint8Array(readFileSync(DEFAULT)));
  assert.equal(shipped.choice, { path: DEFAULT, isDefault: true });
});

test('predict without --checkpoint grades with the default model and says so, with its card\'s cross-validated kappa and limits', async () => {
  const streams = captureContext(scratch);
  assert.is(await runCli(['predict', PHOTO], streams), 0, streams.stderr.text);
  const lines = streams.stdout.text.trim().split('\n');
  assert.is(lines[0], `model: ${DEFAULT} (the default model); probabilities averaged over 2 models and over flips`, 'the shipped model is an ensemble of two graded with test-time flips, and says so');
  assert.match(lines[1]!, /^Cross-validated on 348 photographs \(5 folds\): quadratic weighted kappa 0\.57 ± 0\.09 as this file grades\. Research software, not a medical device\./, 'the card\'s figure and limits');
  assert.match(lines[2]!, /Patient146_L\.jpg: grade [0-4] \(.+\); probabilities( \d\.\d{4}){5}; referable DR \(grade ≥ 2\) \d\.\d{4}$/);
  const json = captureContext(scratch);
  assert.is(await runCli(['predict', PHOTO, '--json'], json), 0, json.stderr.text);
  const [row] = JSON.parse(json.stdout.text) as { model: string; probabilities: number[] }[];
  assert.is(row!.model, DEFAULT);
  assert.ok(Math.abs(row!.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'probabilities sum to 1');
});

function readPicture(path: string): RgbImage {
  return decodeImage(readFileSync(path));
}

test('gradcam without --checkpoint: the photograph at its size, heat only inside the crop box, a colour bar below', async () => {
  const photo = decodeImage(readFileSync(PHOTO));
  const out = join(scratch, 'cam.png');
  const streams = captureContext(scratch);
  assert.is(await runCli(['gradcam', PHOTO, '--out', out], streams), 0, streams.stderr.text);
  assert.match(streams.stdout.text, new RegExp(`^model: ${DEFAULT.replace(/[.]/g, '\\.')} \\(the default model\\); an ensemble of 2 models, each map the mean of the members' maps\\n`));
  assert.match(streams.stdout.text, /over the photograph \(768 x 514\), colour bar below/);
  const picture = readPicture(out);
  assert.is(picture.width, photo.width, 'the photograph\'s width');
  assert.ok(picture.height > photo.height, `the colour bar adds rows (${picture.height} vs ${photo.height})`);
  const box = foregroundBox(photo)!;
  assert.ok(box.x > 0 || box.y > 0, 'the sample photograph has a black border to crop');
  let changedInside = 0;
  for (let y = 0; y < photo.height; y++) {
    for (let x = 0; x < photo.width; x++) {
      const i = (y * photo.width + x) * 3;
      const same = picture.data[i] === photo.data[i] && picture.data[i + 1] === photo.data[i + 1] && picture.data[i + 2] === photo.data[i + 2];
      const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
      if (!inside) assert.ok(same, `pixel ${x},${y} outside the crop box is the photograph's`);
      else if (!same) changedInside++;
    }
  }
  assert.ok(changedInside > 0.5 * box.width * box.height, `the heat map colours the fundus (${changedInside} pixels)`);
});

test('the shipped file\'s card summary: the two-seed ensemble\'s cross-validated kappa of models/README.md, its data and limits; none without a card', () => {
  const { card } = decodeModelFile(readFileSync(DEFAULT), DEFAULT);
  assert.ok(card !== null);
  assert.equal([card!.kappa.mean.toFixed(3), card!.kappa.std.toFixed(3), card!.kappa.folds, card!.images], ['0.572', '0.092', 5, 348]);
  assert.match(card!.limits ?? '', /^Research software, not a medical device\./);
  const tiny = join(ROOT, 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
  assert.is(decodeModelFile(readFileSync(tiny), tiny).card, null);
  assert.is(cardSummary({ card: '{"crossValidation": {"kappaMean": "high"}}' }), null);
  assert.is(cardSummary({ card: 'not json' }), null);
  assert.equal(cardSummary({ card: '{"crossValidation": {"folds": 3, "kappaMean": 0.5, "kappaStd": 0.1}}' }), { kappa: { mean: 0.5, std: 0.1, folds: 3 }, images: null, limits: null });
});

test('gradcam --on input draws over the network input; a JPEG by its extension; a bad --out is one line', async () => {
  const { config } = decodeModelFile(readFileSync(DEFAULT), DEFAULT);
  const out = join(scratch, 'cam-input.jpg');
  const streams = captureContext(scratch);
  assert.is(await runCli(['gradcam', PHOTO, '--on', 'input', '--out', out], streams), 0, streams.stderr.text);
  const picture = readPicture(out);
  assert.is(picture.width, Math.max(config.data.imageSize, 128), 'the input\'s width (a colour bar needs 128 px)');
  assert.ok(picture.height > config.data.imageSize, 'the colour bar below');
  const bad = captureContext(scratch);
  assert.is(await runCli(['gradcam', PHOTO, '--out', join(scratch, 'cam.gif')], bad), 1);
  assert.match(bad.stderr.text, /^drgrade gradcam: --out .*cam\.gif: name a \.png, \.jpg or \.jpeg file\n$/);
});

test.run();
