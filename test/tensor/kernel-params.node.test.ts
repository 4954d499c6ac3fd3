// Pure pieces of the kernel plumbing, no device needed (hence .node.test): a declared uniform
// block's WGSL struct and bytes, and the kernel-variant grammar (names <-> parsed variants).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConvVariant, formatConvVariant } from '../../packages/tensor/src/ops/conv2d/variant.ts';
import { parseMatmul } from '../../packages/tensor/src/ops/matmul/variant.ts';
import { uniformBlock } from '../../packages/tensor/src/uniforms.ts';

test('a declared uniform block gives the struct in declaration order and packs each field in its type', () => {
  const block = uniformBlock({ rows: 'u32', relu: 'u32', offset: 'i32', scale: 'f32', extra: 'u32' });
  assert.is(block.wgsl, 'struct Params {\n  rows: u32,\n  relu: u32,\n  offset: i32,\n  scale: f32,\n  extra: u32,\n}');
  const bytes = [...new Uint8Array(block.pack({ rows: 3, relu: true, offset: -2, scale: 1.5, extra: 0x01020304 }))];
  // Little-endian words: 3, 1, -2 as two's complement, 1.5 = 0x3fc00000, 0x01020304; then zeros to 32 bytes (uniform bindings come in 16).
  assert.equal(bytes, [3, 0, 0, 0, 1, 0, 0, 0, 254, 255, 255, 255, 0, 0, 192, 63, 4, 3, 2, 1, ...new Array(12).fill(0)]);
});

test('conv2d variant names parse to what they select and format back to themselves', () => {
  assert.equal(parseConvVariant('sg4x6'), { kind: 'block', sharing: 'sg', rv: 4, pl: 6 });
  assert.equal(parseConvVariant('mm:sgv'), { kind: 'matmul', matmul: { kind: 'sg', bv: 4 } });
  const t = parseConvVariant('t32x128k8');
  assert.ok(t?.kind === 'tile' && t.tile.BM === 32 && t.tile.BN === 128 && t.tile.splits === 8, JSON.stringify(t));
  for (const name of ['sg4x4', 'reg4x2', 'row2x8', 'sg1x8', 't64x64', 't128x128k32', 'mm:vec4', 'mm:scalar', 'mm:sg', 'mm:t64x64k2']) {
    const k = parseConvVariant(name);
    assert.ok(k, name);
    assert.is(formatConvVariant(k), name);
  }
  // Shapes and splits that do not exist, block sizes outside the grammar, unknown matmul kernels.
  for (const name of ['t48x48', 't64x64k3', 'sg3x4', 'row4x9', 'reg4x0', 'mm:foo', 'mm:', 'vec4', '']) assert.is(parseConvVariant(name), null, name);
  assert.is(parseMatmul('sg4x4'), null);
});

test.run();
