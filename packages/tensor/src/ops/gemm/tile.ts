// The tiles of the shared-memory GEMM core (tiled.ts): their shapes, the variant names that
// select them (`t<BM>x<BN>` for BM x BN output tiles, `t<BM>x<BN>k<S>` for the same with the
// reduction split S ways), and which of them are worth timing for a problem.
import { MAX_WORKGROUPS_PER_DIMENSION } from '../../limits.ts';

export type TileVariant = `t${number}x${number}` | `t${number}x${number}k${number}`;

export interface Tile {
  BM: number;
  BN: number;
  /** Accumulator rows and columns per invocation (multiples of 4). */
  TM: number;
  TN: number;
  /** Reduction slab staged through workgroup memory per barrier pair. */
  BK: number;
  splits: number;
}

/**
 * Tile shapes [BM, BN, TM, TN, BK]. The large tiles reuse each staged element most (8x8 blocks
 * load 16 values per 64 FMAs) for big problems; the narrow ones fit DenseNet's 32-channel growth
 * convolutions (M = 32); the small one gives problems of a few thousand outputs enough workgroups.
 * Each keeps every invocation loading whole vec4 groups of both slabs. The first is the default.
 */
const SHAPES: readonly [number, number, number, number, number][] = [
  [64, 64, 4, 4, 16], [128, 128, 8, 8, 8], [128, 64, 8, 4, 16], [64, 128, 4, 8, 16], [32, 128, 4, 8, 16], [32, 32, 4, 4, 16],
];

const SPLITS = [2, 4, 8, 16, 32];

/** Workgroups a dispatch should have before splitting the reduction stops paying (a few per multiprocessor of a large GPU). */
const TARGET_WORKGROUPS = 512;

const tileOf = ([BM, BN, TM, TN, BK]: readonly [number, number, number, number, number], splits: number): Tile => ({ BM, BN, TM, TN, BK, splits });

/** The default tile, run before the autotuner has timed the others. */
export const DEFAULT_TILE: Tile = tileOf(SHAPES[0]!, 1);

/** The tile a variant name selects, or null when the name is not one (or names a shape or split that does not exist). */
export function parseTile(variant: string): Tile | null {
  const m = /^t(\d+)x(\d+)(?:k(\d+))?$/.exec(variant);
  if (!m) return null;
  const shape = SHAPES.find(([bm, bn]) => bm === Number(m[1]) && bn === Number(m[2]));
  const splits = m[3] === undefined ? 1 : Number(m[3]);
  if (!shape || (splits !== 1 && !SPLITS.includes(splits))) return null;
  return tileOf(shape, splits);
}

/** The name of a tile (parseTile's inverse). */
export function formatTile(t: Tile): TileVariant {
  return t.splits === 1 ? `t${t.BM}x${t.BN}` : `t${t.BM}x${t.BN}k${t.splits}`;
}

/** What a tile name may be, for error messages. */
export const TILE_GRAMMAR = `tiles: ${SHAPES.map(([bm, bn]) => `t${bm}x${bn}`).join(', ')}, optionally with a split-K suffix k${SPLITS.join('/k')}`;

/**
 * The tiles worth timing for `batch` GEMMs of M x N outputs with reduction K: every tile shape
 * that is not mostly padding, and for each, when its tiles alone are too few to fill a large GPU
 * and `splitK` allows, one split of the reduction (a power of two, each part at least 4 slabs long).
 */
export function tileOptions(M: number, N: number, K: number, batch: number, splitK = true): Tile[] {
  const out: Tile[] = [];
  for (const shape of SHAPES) {
    const [BM, BN, , , BK] = shape;
    const padded = (BM > 32 && M <= BM / 2) || (BN > 32 && N <= BN / 2);
    if (padded && shape !== SHAPES[0]) continue;
    out.push(tileOf(shape, 1));
    const tiles = Math.ceil(M / BM) * Math.ceil(N / BN) * batch;
    const want = SPLITS.find((s) => tiles * s >= TARGET_WORKGROUPS) ?? SPLITS[SPLITS.length - 1]!;
    const splits = Math.min(want, Math.max(1, ...SPLITS.filter((s) => s <= K / (4 * BK))));
    if (splitK && tiles < TARGET_WORKGROUPS / 2 && splits >= 2 && batch * splits <= MAX_WORKGROUPS_PER_DIMENSION) out.push(tileOf(shape, splits));
  }
  return out;
}

/** tileOptions by name (benchmarks, tests). */
export function tileCandidates(M: number, N: number, K: number, batch: number, splitK = true): TileVariant[] {
  return tileOptions(M, N, K, batch, splitK).map(formatTile);
}

/** Every tile shape's variant name, without a split (tests, benchmarks). */
export function tileShapes(): TileVariant[] {
  return SHAPES.map((shape) => formatTile(tileOf(shape, 1)));
}
