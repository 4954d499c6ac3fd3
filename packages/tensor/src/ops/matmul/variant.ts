// The matmul kernel variants: their names (what options, the autotuner and benchmarks pass
// around) and the parsed form the dispatch works with.
import { TensorError } from '../../errors.ts';
import { formatTile, parseTile, TILE_GRAMMAR, type Tile, type TileVariant } from '../gemm/tile.ts';

/** Register-blocked kernels (vec4, scalar), subgroup-shared ones (sg, sgv), shared-memory tiles (gemm/tile.ts). */
export type MatmulVariant = 'vec4' | 'scalar' | 'sg' | 'sgv' | TileVariant;

/**
 * A parsed variant: the 4x4 register block with vec4 or scalar loads, the subgroup-shared block
 * loading `bv` adjacent columns of B at once (1: 'sg', 4: 'sgv'), or a tile of the GEMM core.
 */
export type MatmulKernel =
  | { kind: 'vec4' }
  | { kind: 'scalar' }
  | { kind: 'sg'; bv: 1 | 4 }
  | { kind: 'tile'; tile: Tile };

export function parseMatmul(name: string): MatmulKernel | null {
  switch (name) {
    case 'vec4': return { kind: 'vec4' };
    case 'scalar': return { kind: 'scalar' };
    case 'sg': return { kind: 'sg', bv: 1 };
    case 'sgv': return { kind: 'sg', bv: 4 };
  }
  const tile = parseTile(name);
  return tile ? { kind: 'tile', tile } : null;
}

export function formatMatmul(k: MatmulKernel): MatmulVariant {
  switch (k.kind) {
    case 'vec4': case 'scalar': return k.kind;
    case 'sg': return k.bv === 4 ? 'sgv' : 'sg';
    case 'tile': return formatTile(k.tile);
  }
}

export function isMatmulVariant(v: string): v is MatmulVariant {
  return parseMatmul(v) !== null;
}

/** What a matmul kernel name may be, for error messages. */
export const MATMUL_GRAMMAR = `matmul kernels: vec4, scalar, sg, sgv, t<BM>x<BN>[k<S>]`;

/** The parsed variant, or an error naming what was asked for and what exists. */
export function matmulKernelOf(label: string, name: string): MatmulKernel {
  const k = parseMatmul(name);
  if (k) return k;
  if (name.startsWith('t')) throw new TensorError(`${label}: unknown tiled kernel '${name}' (${TILE_GRAMMAR})`);
  throw new TensorError(`${label}: unknown matmul kernel '${name}' (${MATMUL_GRAMMAR})`);
}
