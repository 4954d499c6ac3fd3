// The three packages as npm publishes them: `npm pack` of each workspace (its prepack builds the
// bundle and the declarations), the tarballs installed into an empty project in a temporary
// folder outside the repository, then used there the way a user would: imported from Node, type-
// checked by a TypeScript consumer with `nodenext` and with `bundler` resolution, and the
// `drgrade` executable grading a photograph with the model the package ships.
//
// Offline: the tarballs' third-party dependencies (webgpu, @webgpu/types, pngjs, jpeg-js) are
// linked from the repository's node_modules instead of downloaded; the tarballs themselves are
// installed as published.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = process.cwd();
const LICENSE = readFileSync(join(root, 'LICENSE'), 'utf8');
const TARBALLS = { '@drgrade/tensor': 'drgrade-tensor-0.1.0.tgz', '@drgrade/nn': 'drgrade-nn-0.1.0.tgz', drgrade: 'drgrade-0.1.0.tgz' };
const THIRD_PARTY = ['webgpu', '@webgpu/types', 'pngjs', 'jpeg-js'];
const PHOTO = join(root, 'test', 'fixtures', 'fundus-sample', 'B. Disease Grading', '1. Original Images', 'a. Training Set', 'Patient146_L.jpg');

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) < 1e-4, `${what}: ${got} against ${want}`);
}

let scratch: string;
let consumer: string;

function tarList(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', join(scratch, tarball)], { encoding: 'utf8' }).trim().split('\n');
}

function tarFile(tarball: string, path: string): string {
  return execFileSync('tar', ['-xzOf', join(scratch, tarball), path], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'drgrade-pack-'));
  execFileSync('npm', ['pack', '--workspaces', '--pack-destination', scratch, '--silent'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  const dependencies = Object.fromEntries([
    ...Object.entries(TARBALLS).map(([name, file]) => [name, `file:${join(scratch, file)}`]),
    ...THIRD_PARTY.map((name) => [name, `file:${join(root, 'node_modules', name)}`]),
  ]);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--silent'], { cwd: consumer, stdio: ['ignore', 'ignore', 'inherit'] });
});

test.after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('each tarball holds its bundle, its declarations and the licence, not the sources', () => {
  for (const [name, file] of Object.entries(TARBALLS)) {
    const files = tarList(file);
    for (const want of ['package/package.json', 'package/LICENSE', 'package/dist/index.js', 'package/dist/types/index.d.ts']) {
      assert.ok(files.includes(want), `${name}: ${want} is packed`);
    }
    assert.is(files.filter((f) => f.startsWith('package/src/')).length, 0, `${name}: no sources (their shader imports point outside the package)`);
    assert.is(tarFile(file, 'package/LICENSE'), LICENSE, `${name}: the repository's licence`);
    const manifest = JSON.parse(tarFile(file, 'package/package.json')) as { license?: string; exports?: Record<string, { types?: string }> };
    assert.is(manifest.license, 'Apache-2.0');
    assert.is(manifest.exports?.['.']?.types, './dist/types/index.d.ts');
  }
  const app = tarList(TARBALLS.drgrade);
  for (const want of ['package/bin/drgrade.js', 'package/dist/cli.js', 'package/dist/workers/preprocess.js', 'package/dist/web/index.html', 'package/models/drgrade-real.safetensors']) {
    assert.ok(app.includes(want), `drgrade: ${want} is packed`);
  }
});

test('the installed packages run in Node: kernels, models, losses and metrics', () => {
  writeFileSync(join(consumer, 'run.mjs'), `
    import { getDevice, tensor, zeros } from '@drgrade/tensor';
    import { Linear } from '@drgrade/nn';
    import { sordLabels, crossEntropy, focalLoss, softTripleLoss, quadraticWeightedKappa } from 'drgrade';
    await getDevice();
    const logits = zeros([2, 5]);
    const scalar = async (t) => (await t.toArray())[0];
    console.log(JSON.stringify({
      matmul: Array.from(await tensor([[1, 2], [3, 4]]).matmul(tensor([[5], [6]])).toArray()),
      linear: new Linear(3, 2).forward(tensor([[1, 2, 3]])).shape,
      sord: Array.from(await sordLabels([0, 2]).toArray()),
      crossEntropy: await scalar(crossEntropy(logits, [0, 2])),
      focal: await scalar(focalLoss(logits, [0, 2])),
      softTriple: await scalar(softTripleLoss(tensor([[1, 0]]), tensor([[1, 0], [0, 1]]), [1], { la: 1, K: 1 })),
      kappa: quadraticWeightedKappa([0, 1, 2, 3, 4], [0, 1, 2, 4, 3]),
    }));
    process.exit(0);
  `);
  const r = spawnSync(process.execPath, ['run.mjs'], { cwd: consumer, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | number[]>;
  assert.equal(out.matmul, [17, 39]);
  assert.equal(out.linear, [1, 2]);
  // SORD rows for grades 0 and 2, to the 4 decimals of docs/reference.md.
  const sord = out.sord as number[];
  [0.7213, 0.2654, 0.0132, 0.0001, 0.0000, 0.0103, 0.2076, 0.5642, 0.2076, 0.0103].forEach((want, i) => close(sord[i]!, want, `sord[${i}]`));
  // Uniform logits over 5 classes: cross-entropy ln 5; focal (1 − 1/5)² · ln 5.
  close(out.crossEntropy as number, Math.log(5), 'crossEntropy');
  close(out.focal as number, 0.64 * Math.log(5), 'focalLoss');
  // One centre per class, similarities [1, 0], label 1, λ = 1, δ = 0.01: logits [1, −0.01], loss ln(e + e^−0.01) + 0.01.
  close(out.softTriple as number, Math.log(Math.E + Math.exp(-0.01)) + 0.01, 'softTripleLoss');
  // Grades 3 and 4 swapped once: O and E by hand give κ = 1 − 2/20 = 0.9.
  close(out.kappa as number, 0.9, 'kappa');
});

test('the installed drgrade executable grades a photograph with the model the package ships', () => {
  const r = spawnSync(join(consumer, 'node_modules', '.bin', 'drgrade'), ['predict', PHOTO, '--json'], { cwd: consumer, encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const [result] = JSON.parse(r.stdout) as { model: string; grade: number; probabilities: number[] }[];
  assert.ok(result!.model.startsWith(join(consumer, 'node_modules', 'drgrade', 'models')), result!.model);
  assert.ok(Number.isInteger(result!.grade) && result!.grade >= 0 && result!.grade <= 4);
  close(result!.probabilities.reduce((s, p) => s + p, 0), 1, 'the sum of the probabilities');
});

test('a TypeScript consumer type-checks with nodenext and with bundler resolution', () => {
  writeFileSync(join(consumer, 'consumer.ts'), `
    import { getDevice, tensor, type Tensor } from '@drgrade/tensor';
    import { Linear, type StateDict } from '@drgrade/nn';
    import { sordLabels, crossEntropy, focalLoss, softTripleLoss, quadraticWeightedKappa, type RgbImage } from 'drgrade';
    await getDevice();
    const soft: Tensor = sordLabels([0, 2]);
    const logits: Tensor = new Linear(3, 5).forward(tensor([[1, 2, 3]]));
    const losses: Tensor[] = [crossEntropy(logits, soft), focalLoss(logits, [0, 2]), softTripleLoss(logits, logits, [0, 2])];
    const kappa: number = quadraticWeightedKappa([0, 1], [0, 1]);
    const state: StateDict | null = null;
    const image: RgbImage | null = null;
    // @ts-expect-error: the declarations are real types, not \`any\`
    crossEntropy('not a tensor', [0]);
    export { losses, kappa, state, image };
  `);
  // lib "dom": @webgpu/types, which the tensor package's declarations name, is written against it.
  const base = { target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, skipLibCheck: false };
  for (const [name, resolution] of [['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }], ['bundler', { module: 'esnext', moduleResolution: 'bundler' }]] as const) {
    const config = join(consumer, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { ...base, ...resolution }, files: ['consumer.ts'] }));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: consumer, encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
  }
});

test.run();
