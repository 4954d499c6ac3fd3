// A small MLP from the seeded generator gives the same forward and backward numbers in Node and
// in the browser: the Node run (first) writes its numbers to build/test/parity/, the browser run
// computes its own and compares (≤ 1e-6 relative).
import { getDevice, deviceInfo, randn, tidy } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isBrowser, readRepoFile } from '../helpers/index.ts';

interface Numbers { adapter: string; logits: number[]; gradW1: number[]; gradW2: number[]; gradX: number[] }

async function compute(): Promise<Numbers> {
  await getDevice();
  const x = randn([6, 12], { seed: 11, requiresGrad: true });
  const W1 = randn([12, 20], { seed: 12, std: 0.3, requiresGrad: true });
  const W2 = randn([20, 5], { seed: 13, std: 0.3, requiresGrad: true });
  const logits = tidy(() => {
    const out = x.matmul(W1).tanh().matmul(W2);
    out.logSoftmax(1).mul(-1).mean().backward();
    return out;
  });
  return {
    adapter: (await deviceInfo()).name,
    logits: Array.from(await logits.toArray()),
    gradW1: Array.from(await W1.grad!.toArray()),
    gradW2: Array.from(await W2.grad!.toArray()),
    gradX: Array.from(await x.grad!.toArray()),
  };
}

const PATH = 'build/test/parity/mlp.json';

test('MLP forward and backward: Node and browser agree to 1e-6 relative', async () => {
  const mine = await compute();
  if (!isBrowser) {
    const fs = await import('node:fs');
    fs.mkdirSync('build/test/parity', { recursive: true });
    fs.writeFileSync(PATH, JSON.stringify(mine));
    assert.ok(mine.logits.every(Number.isFinite));
    return;
  }
  let node: Numbers;
  try {
    node = JSON.parse(new TextDecoder().decode(await readRepoFile(PATH))) as Numbers;
  } catch {
    assert.unreachable(`${PATH} is missing: run the Node tests first (npm test does)`);
    return;
  }
  for (const key of ['logits', 'gradW1', 'gradW2', 'gradX'] as const) {
    const a = mine[key], b = node[key];
    assert.is(a.length, b.length);
    const scale = Math.max(...b.map(Math.abs));
    const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    assert.ok(worst <= 1e-6 * scale, `${key}: browser (${mine.adapter}) vs Node (${node.adapter}) differ by ${worst} (scale ${scale})`);
  }
});

test.run();
