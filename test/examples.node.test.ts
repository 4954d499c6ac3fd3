// The scripts in examples/ run as a user runs them (`node examples/<name>.mjs` from the repository
// root, importing the built packages by name) within a time limit, and print what they promise:
// a falling loss, PyTorch's logits, a photograph's grade equal to `drgrade predict`'s.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage, runCli } from 'drgrade';
import { SAMPLE_IMAGES, captureContext, repoRoot, sampleRoot, tempDir } from './drgrade/helpers.ts';

const ROOT = repoRoot();
const TINY = join(ROOT, 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
const PHOTO = join(sampleRoot(), SAMPLE_IMAGES, 'Patient146_L.jpg');

function example(name: string, ...args: string[]): { status: number | null; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join('examples', name), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  ${name}: ${seconds.toFixed(1)} s`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds };
}

test('train-cnn: the loss falls epoch by epoch and the held-out accuracy is far above chance', () => {
  const r = example('train-cnn.mjs');
  assert.is(r.status, 0, r.stderr);
  const losses = [...r.stdout.matchAll(/^epoch (\d+): loss (\d+\.\d+), training accuracy/gm)].map((m) => Number(m[2]));
  assert.is(losses.length, 8, r.stdout);
  assert.ok(losses[7]! < 0.5 * losses[0]!, `loss ${losses[0]} → ${losses[7]}`);
  assert.ok(losses.slice(1).every((l, i) => l < losses[i]!), `falls every epoch: ${losses.join(', ')}`);
  const held = /held-out accuracy (\d+\.\d) %/.exec(r.stdout);
  assert.ok(held && Number(held[1]) > 60, r.stdout);
});

test('densenet-torchvision: torchvision-named weights load and give PyTorch\'s logits', () => {
  const r = example('densenet-torchvision.mjs');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /127 tensors, e\.g\. features\.conv0\.weight/);
  const rows = [...r.stdout.matchAll(/(drgrade|PyTorch)((?:\s+-?\d+\.\d{4}){5})/g)].map((m) => [m[1], m[2]!.trim().split(/\s+/).map(Number)] as const);
  assert.is(rows.length, 4, r.stdout);
  for (let i = 0; i < 4; i += 2) {
    const [ours, torch] = [rows[i]![1], rows[i + 1]![1]];
    ours.forEach((v, j) => assert.ok(Math.abs(v - torch[j]!) <= 1e-4, `image ${i / 2} logit ${j}: ${v} vs ${torch[j]}`));
  }
  const worst = /largest difference from PyTorch: (\S+)/.exec(r.stdout);
  assert.ok(worst && Number(worst[1]) < 1e-4, r.stdout);
});

test('grade-photo: the grade and probabilities of drgrade predict, and a Grad-CAM picture of the photograph', async () => {
  const out = join(tempDir('drgrade-example-'), 'cam.png');
  const r = example('grade-photo.mjs', PHOTO, '--model', TINY, '--out', out);
  assert.is(r.status, 0, r.stderr);
  const cli = captureContext();
  assert.is(await runCli(['predict', PHOTO, '--checkpoint', TINY, '--json'], cli), 0, cli.stderr.text);
  const [expected] = JSON.parse(cli.stdout.text) as { grade: number; gradeName: string; probabilities: number[] }[];
  assert.ok(r.stdout.includes(`${PHOTO}: grade ${expected!.grade} (${expected!.gradeName})`), r.stdout);
  const printed = [...r.stdout.matchAll(/p\((\d) [^)]+\) = (\d\.\d{4})/g)].map((m) => Number(m[2]));
  assert.equal(printed, expected!.probabilities.map((p) => Number(p.toFixed(4))));
  const picture = decodeImage(readFileSync(out));
  const photo = decodeImage(readFileSync(PHOTO));
  assert.is(picture.width, photo.width);
  assert.ok(picture.height > photo.height, 'a colour bar below the photograph');
});

test('grade-photo without --model uses the shipped model, or says how to name one', () => {
  const shipped = join(ROOT, 'models', 'drgrade-real.safetensors');
  const r = example('grade-photo.mjs', PHOTO, '--out', join(tempDir('drgrade-example-'), 'cam.png'));
  if (existsSync(shipped)) {
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`model: ${shipped} (`), r.stdout);
    assert.match(r.stdout, /: grade [0-4] \(/);
  } else {
    assert.is(r.status, 1);
    assert.match(r.stderr, /shipped model .* is not installed: name a model file with --model <model\.safetensors>/);
  }
});

test.run();
