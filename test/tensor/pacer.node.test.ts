// The engine's pacer (pacer.ts), which sleeps Node's main thread through most of a wait it has
// seen before on CPU adapters (in Node only, hence .node.test): a wait is only recognised with the
// same kernels, and a sleep that outlasts the work shortens the next one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pacer } from '../../packages/tensor/src/pacer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Submits one dispatch of `kernel`, waits as the engine does, lets `workMs` pass, completes; returns how long idle() slept. */
async function wait(p: Pacer, kernel: string, workMs: number): Promise<number> {
  p.add(1000, kernel);
  p.submitted();
  const t0 = performance.now();
  await p.idle();
  const slept = performance.now() - t0;
  // Work shorter than the sleep is done when the sleep ends: complete at once, as the engine's wait would.
  if (workMs > slept) await sleep(workMs - slept);
  p.completed();
  return slept;
}

test('a wait is slept on only when the same kernels ran it before', async () => {
  const p = new Pacer(true);
  assert.ok(await wait(p, 'conv2d:fwd:7x7', 60) < 5, 'a wait never seen is not slept on');
  // Same dispatch count and cost, another kernel: not the same wait.
  assert.ok(await wait(p, 'conv2d:fwd:3x3', 10) < 5, 'another kernel of the same cost was slept on');
  const again = await wait(p, 'conv2d:fwd:7x7', 60);
  assert.ok(again > 25, `the known wait was not slept on (${again.toFixed(1)} ms)`);
});

test('oversleeping shortens the estimate until the sleep ends before the work', async () => {
  const p = new Pacer(true);
  await wait(p, 'k', 200);
  // The work becomes 20x faster: each sleep outlasts it, and the sleeps must shrink below the
  // fraction's floor (0.3 of the old 200 ms).
  const slept: number[] = [];
  for (let i = 0; i < 10; i++) slept.push(await wait(p, 'k', 10));
  assert.ok(slept[slept.length - 1]! < 30, `sleeps did not shrink: ${slept.map((s) => s.toFixed(0)).join(', ')} ms`);
});

test.run();
