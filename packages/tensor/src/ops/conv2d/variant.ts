// The conv2d kernel variants: the names options, the autotuner and benchmarks pass around, and
// the parsed form the candidate policy and the dispatch work with.
//
//   sg<rv>x<pl>   register block whose subgroup shares each weight load (CPU adapters' narrow subgroups)
//   reg<rv>x<pl>  the plain register block, for adapters without fixed subgroups
//   row<rv>x<pl>  sg with the pl pixels adjacent in a row, sharing input loads (3x3 stride 1)
//   t<BM>x<BN>[k<S>]   a tile of the shared-memory GEMM core (gemm/tile.ts), for GPUs
//   mm:<matmul variant>  a 1x1 convolution run as a batched matmul (matmul/variant.ts)
import { deviceSync } from '../../device.ts';
import { TensorError } from '../../errors.ts';
import { formatTile, parseTile, type Tile } from '../gemm/tile.ts';
import { formatMatmul, MATMUL_GRAMMAR, parseMatmul, type MatmulKernel } from '../matmul/variant.ts';

/** A variant's name, as Conv2dOptions.kernels, conv2dVariants and conv2dKernels write it. */
export type ConvVariant = string;

export type BlockSharing = 'sg' | 'reg' | 'row';

/** A register block: rv channels loaded per lane (1, 2 or 4), pl pixels per invocation (1 to 8). */
export interface BlockKernel {
  kind: 'block';
  sharing: BlockSharing;
  rv: number;
  pl: number;
}

export type ConvKernel = BlockKernel | { kind: 'tile'; tile: Tile } | { kind: 'matmul'; matmul: MatmulKernel };

const MATMUL_PREFIX = 'mm:';

export function parseConvVariant(name: ConvVariant): ConvKernel | null {
  if (name.startsWith(MATMUL_PREFIX)) {
    const matmul = parseMatmul(name.slice(MATMUL_PREFIX.length));
    return matmul ? { kind: 'matmul', matmul } : null;
  }
  const tile = parseTile(name);
  if (tile) return { kind: 'tile', tile };
  const m = /^(sg|reg|row)([124])x([1-8])$/.exec(name);
  return m ? { kind: 'block', sharing: m[1] as BlockSharing, rv: Number(m[2]), pl: Number(m[3]) } : null;
}

export function formatConvVariant(k: ConvKernel): ConvVariant {
  switch (k.kind) {
    case 'block': return `${k.sharing}${k.rv}x${k.pl}`;
    case 'tile': return formatTile(k.tile);
    case 'matmul': return `${MATMUL_PREFIX}${formatMatmul(k.matmul)}`;
  }
}

/** The parsed variant, or an error naming what was asked for. */
export function convKernelOf(label: string, name: ConvVariant): ConvKernel {
  const k = parseConvVariant(name);
  if (k) return k;
  if (name.startsWith(MATMUL_PREFIX)) throw new TensorError(`${label}: unknown kernel '${name}' (${MATMUL_GRAMMAR})`);
  throw new TensorError(`${label}: unknown conv2d variant '${name}'`);
}

/**
 * A register block as its kernel is built on this adapter: sg lanes share each load (sg = 1 for
 * `reg`, the subgroup size otherwise), so each workgroup covers R = sg * rv channels (or rows);
 * `rows`: the pl pixels are adjacent in one row and share the loads of a tap row.
 */
export interface Block {
  sg: number;
  rv: number;
  pl: number;
  rows: boolean;
}

export function blockOf(k: BlockKernel): Block {
  const sg = k.sharing === 'reg' ? 1 : deviceSync().info.subgroupSize;
  if (sg === null) throw new TensorError(`conv2d: variant '${formatConvVariant(k)}' needs an adapter with a fixed subgroup size`);
  return { sg, rv: k.rv, pl: k.pl, rows: k.sharing === 'row' };
}
