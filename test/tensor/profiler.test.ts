// profile(): kernel times from the device's timestamps. Checked: the calls it counts against the
// dispatches the engine made, that a kernel with 512x the work takes longer than a tiny one, that
// device time fits in the wall time, and the errors. Where the adapter has no timestamp-query, the
// one-line error is what is checked.
import { deviceInfo, engineStats, getDevice, matmul, profile, randn, tidy } from '@drgrade/tensor';
import { opName } from '../../packages/tensor/src/profiler.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

let timestamps = false;
test.before(async () => { await getDevice(); timestamps = (await deviceInfo()).timestamps; });

test('op names are the label words before the first operand', () => {
  assert.is(opName('conv2d tensor [2, 3, 8, 8] * tensor [4, 3, 3, 3] (pack weights)'), 'conv2d');
  assert.is(opName('conv2d backward input tensor [2, 4, 8, 8] * tensor [4, 3, 3, 3]'), 'conv2d backward input');
  assert.is(opName("SGD step of tensor 'w' [4]"), 'SGD step of');
  assert.is(opName('add [2, 3] [3]'), 'add');
  assert.is(opName('relu'), 'relu');
  // A label that starts with an operand keeps itself whole rather than becoming empty.
  assert.is(opName('[3] copy'), '[3] copy');
});

test('without timestamp-query profile() is refused with one clear line', async () => {
  if (timestamps) return;
  try {
    await profile(() => undefined);
    assert.unreachable('profile() ran without timestamp-query');
  } catch (e) {
    assert.match((e as Error).message, /has no 'timestamp-query' feature/);
    assert.not.match((e as Error).message, /\n/);
  }
});

test('profile() counts every dispatch, by kernel and by op, and its times follow the work', async () => {
  if (!timestamps) return;
  const small = [randn([16, 16], { seed: 1 }), randn([16, 16], { seed: 2 })] as const;
  const large = [randn([512, 512], { seed: 3 }), randn([512, 512], { seed: 4 })] as const;
  // Compile and tune outside the profiled work.
  tidy(() => { matmul(...small); matmul(...large); small[0].add(small[1]); });
  const before = engineStats().dispatches;
  const wall0 = performance.now();
  const p = await profile(async () => {
    const out = tidy(() => [matmul(...small), matmul(...small), matmul(...small), matmul(...large), small[0].add(small[1])]);
    await out[4]!.toArray();
    out.forEach((t) => t.dispose());
  });
  const wall = performance.now() - wall0;
  const dispatched = engineStats().dispatches - before;
  assert.is(p.dispatches, dispatched, 'every dispatch timed once');
  assert.is(p.ops.reduce((s, o) => s + o.calls, 0), dispatched);
  assert.is(p.kernels.reduce((s, k) => s + k.calls, 0), dispatched);
  const mm = p.ops.find((o) => o.op === 'matmul');
  const add = p.ops.find((o) => o.op === 'add');
  assert.ok(mm && mm.calls >= 4, `matmul calls: ${JSON.stringify(p.ops)}`);
  assert.ok(add && add.calls === 1, `add calls: ${JSON.stringify(p.ops)}`);
  assert.ok(p.deviceMs > 0 && p.deviceMs <= wall + 1, `device ${p.deviceMs} ms within wall ${wall} ms`);
  // Longest first, and the 512³ product (8·2^20 times the multiply-adds of 16³ over the same kernels) leads the matmuls.
  for (let i = 1; i < p.kernels.length; i++) assert.ok(p.kernels[i - 1]!.ms >= p.kernels[i]!.ms);
  // The least of three profiles each: a host stall once stretched one 16³ product's timestamps
  // from ~0.1 ms to 9.6 ms in a CI run, and a stall only ever adds time.
  const least = async (pair: typeof small) => {
    const ms: number[] = [];
    for (let i = 0; i < 3; i++) ms.push((await profile(() => tidy(() => matmul(...pair)).dispose())).deviceMs);
    return Math.min(...ms);
  };
  const timed = await least(large);
  const tiny = await least(small);
  assert.ok(timed > 4 * tiny, `512³ ${timed} ms vs 16³ ${tiny} ms (least of three each)`);
  [...small, ...large].forEach((t) => t.dispose());
});

test('profile() rethrows what its work throws and can run again; it does not nest', async () => {
  if (!timestamps) return;
  try {
    await profile(() => { throw new Error('work failed'); });
    assert.unreachable('no error');
  } catch (e) {
    assert.is((e as Error).message, 'work failed');
  }
  const inner = profile(async () => {
    try {
      await profile(() => undefined);
      assert.unreachable('nested profile() ran');
    } catch (e) {
      assert.match((e as Error).message, /do not nest/);
    }
  });
  const again = await inner;
  assert.is(again.dispatches, 0);
});

test.run();
