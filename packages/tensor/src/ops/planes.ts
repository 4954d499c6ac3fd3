// Launch geometry shared by the row kernels of the CNN ops (pooling, batch norm, interpolate,
// bilinear pooling): work is a set of rows (planes, or output rows of planes) of items, and
// `rowLaunch` spreads it so that short rows share a ROW_WORKGROUP_SIZE-invocation workgroup and long rows are
// split over the grid's x. No invocation decodes a flat index with integer divisions (slow on
// CPU adapters), and neighbouring lanes touch neighbouring addresses. WGSL side (rows.wgsl):
//   let rl = rowLane(wid, nwg, lid, p.shift);   // (row, lane, lanes)
//   if (rl.x >= rows) { return; }
//   for (var i = rl.y; i < items; i += rl.z) { ... }
import rowsWgsl from '../../shaders/rows.wgsl';
import { TensorError } from '../errors.ts';
import { MAX_WORKGROUPS_PER_DIMENSION as MAX_DIM, ROW_WORKGROUP_SIZE } from '../limits.ts';
import type { DType } from '../tensor.ts';
import { specialize } from './kernels.ts';
import { narrow, storageWgsl } from './storage.ts';

const ROW_WORKGROUP_LOG2 = Math.log2(ROW_WORKGROUP_SIZE);

/** rows.wgsl, spliced into the row kernels (typed here so that declarations do not import a .wgsl file). */
export const rowsSrc: string = specialize(rowsWgsl, { ROW_WORKGROUP_SIZE, ROW_WORKGROUP_LOG2 });

export interface RowLaunch {
  workgroups: [number, number, number];
  /** log2 of the lanes per row within a workgroup (a uniform of the kernel). */
  shift: number;
  /** Lanes per row in all: a lane handles about items / lanes items. */
  lanes: number;
}

/** Geometry for `rows` rows of `items` items, each lane handling about `perLane` of them. */
export function rowLaunch(op: string, rows: number, items: number, perLane: number): RowLaunch {
  if (rows >= 2 ** 24) throw new TensorError(`${op}: ${rows} rows exceed the 2^24 the kernels index`);
  const shift = Math.min(ROW_WORKGROUP_LOG2, Math.ceil(Math.log2(Math.max(1, Math.ceil(items / perLane)))));
  const perGroup = 2 ** shift;
  const gx = Math.max(1, Math.ceil(items / (perGroup * perLane)));
  const groups = Math.ceil(rows / (ROW_WORKGROUP_SIZE / perGroup));
  if (rows === 0 || items === 0) return { workgroups: [0, 1, 1], shift, lanes: perGroup * gx };
  return { workgroups: [gx, Math.min(groups, MAX_DIM), Math.ceil(groups / MAX_DIM)], shift, lanes: perGroup * gx };
}

/**
 * Template values for kernels whose lanes each compute 4 neighbouring values `acc` (a vec4<f32>)
 * of a row of a [rows, width] output `dx` of `dtype`, starting at column 4q: T is the element type
 * of `dx` and STORE the WGSL that writes them (one vec4 store when width is a multiple of 4),
 * rounding to f16 for a float16 `dx` (whose kernel enables f16).
 */
export function store4(width: number, dtype: DType = 'float32'): { T: string; STORE: string } {
  const s = storageWgsl(dtype);
  return width % 4 === 0
    ? { T: `vec4<${s.T}>`, STORE: `dx[row * (p.W / 4u) + q] = ${s.T === 'f32' ? 'acc' : 'vec4<f16>(acc)'};` }
    : { T: s.T, STORE: `for (var j = 0u; j < 4u; j++) { if (q * 4u + j < p.W) { dx[row * p.W + q * 4u + j] = ${narrow(s, 'acc[j]')}; } }` };
}
