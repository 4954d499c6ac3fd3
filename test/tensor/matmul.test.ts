// matmul: every kernel variant against a float64 reference, broadcasting and gradients.
import { getDevice, matmulInto, tensor, Tensor, tileCandidates, tileShapes, type MatmulVariant } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

function refMatmul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number, sA: number, sB: number): Float64Array {
  const c = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[z * sA + i * K + k]! * b[z * sB + k * N + j]!;
    c[(z * M + i) * N + j] = s;
  }
  return c;
}

const shapes: [number, number, number, number][] = [
  [1, 1, 1, 1], [1, 5, 7, 3], [2, 33, 17, 65], [1, 64, 64, 64], [3, 8, 12, 16], [1, 130, 4, 1], [1, 1, 256, 129], [2, 67, 128, 36],
  [2, 9, 7, 20], [1, 20, 16, 1032],
];

// Every tile shape, and split-K with 2, 4 and 32 parts (including splits left with no slab).
for (const variant of ['vec4', 'scalar', 'sg', 'sgv', ...tileShapes(), 't64x64k2', 't32x32k4', 't128x128k32'] as MatmulVariant[]) {
  test(`matmul kernel '${variant}' matches float64 reference on odd and aligned shapes`, async () => {
    // The subgroup kernel needs an adapter with a fixed subgroup size.
    if ((variant === 'sg' || variant === 'sgv') && (await getDevice()).info.subgroupSize === null) return;
    for (const [batch, M, K, N] of shapes) {
      const a = randomArray(batch * M * K, M * 3 + K), b = randomArray(batch * K * N, N * 5 + K);
      const ta = tensor(a, [batch, M, K]), tb = tensor(b, [batch, K, N]);
      const tc = Tensor.empty([batch, M, N]);
      matmulInto('test', ta, tb, tc, batch, M, K, N, M * K, K * N, variant);
      assertClose(await tc.toArray(), refMatmul(a, b, batch, M, K, N, M * K, K * N), { rtol: 1e-4, atol: 1e-5, label: `${variant} ${batch}x${M}x${K}x${N}` });
    }
  });
}

test('tiled candidates: split-K only where the tiles alone are too few, tiles that are mostly padding left out', () => {
  // 8 x 5 outputs, K = 8192 (the HBP classifier): one tile, so the reduction is split.
  const small = tileCandidates(8, 5, 8192, 1);
  assert.ok(small.includes('t32x32k32') && small.includes('t64x64k32'), small.join(', '));
  assert.not.ok(small.includes('t128x128'), `128-row tiles for 8 rows: ${small.join(', ')}`);
  // 4096³: thousands of tiles, no split; K = 16 is too short to split.
  assert.ok(tileCandidates(4096, 4096, 4096, 1).every((v) => !v.includes('k')));
  assert.ok(tileCandidates(8, 8, 16, 1).every((v) => !v.includes('k')));
  assert.throws(() => matmulInto('test', tensor([1], [1, 1, 1]), tensor([1], [1, 1, 1]), Tensor.empty([1, 1, 1]), 1, 1, 1, 1, 1, 1, 't64x64k3' as MatmulVariant), /unknown tiled kernel 't64x64k3'/);
});

test('batched broadcasting: [2,1,M,K] @ [3,K,N] and [B,M,K] @ [K,N]', async () => {
  const a = randomArray(2 * 5 * 4, 1), b = randomArray(3 * 4 * 6, 2);
  const y = tensor(a, [2, 1, 5, 4]).matmul(tensor(b, [3, 4, 6]));
  assert.equal([...y.shape], [2, 3, 5, 6]);
  const out = await y.toArray();
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
    const ref = refMatmul(a.slice(i * 20, i * 20 + 20), b.slice(j * 24, j * 24 + 24), 1, 5, 4, 6, 0, 0);
    assertClose(out.slice((i * 3 + j) * 30, (i * 3 + j + 1) * 30), ref, { label: `batch ${i},${j}` });
  }
  const y2 = tensor(a, [2, 5, 4]).matmul(tensor(b.slice(0, 24), [4, 6]));
  assertClose(await y2.toArray(), refMatmul(a, b, 2, 5, 4, 6, 20, 0));
});

test('1-D operands are promoted and squeezed as in NumPy', async () => {
  const v = tensor([1, 2, 3], [3]);
  const m = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
  const y = v.matmul(m);
  assert.equal([...y.shape], [2]);
  assert.equal(Array.from(await y.toArray()), [4, 5]);
  assert.throws(() => m.matmul(m), /inner dimensions 2 and 3 differ/);
});

test('matmul gradients (with batch broadcasting) match finite differences', async () => {
  await gradcheck((a, b) => a.matmul(b), [{ data: randomArray(2 * 3 * 5, 3), shape: [2, 3, 5] }, { data: randomArray(5 * 4, 4), shape: [5, 4] }], { eps: 1e-2 });
});

test('large matmul 512x512x512 stays accurate', async () => {
  const n = 512;
  const a = randomArray(n * n, 21), b = randomArray(n * n, 22);
  const y = await tensor(a, [n, n]).matmul(tensor(b, [n, n])).toArray();
  // Spot-check 64 entries against float64.
  for (let t = 0; t < 64; t++) {
    const i = (t * 37) % n, j = (t * 101) % n;
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
    assert.ok(Math.abs(y[i * n + j]! - s) < 1e-4 * Math.sqrt(n), `C[${i},${j}] = ${y[i * n + j]} vs ${s}`);
  }
});

test.run();
