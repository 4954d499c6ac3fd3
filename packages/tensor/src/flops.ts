// Floating-point operations of the ops that do the arithmetic of a network (convolutions and
// matrix products), as functions of their shapes, and the counter those ops add to when they
// run. One multiply-add counts 2, as in FLOP/s peaks (fvcore and PyTorch's profiler report
// multiply-adds; times 2 gives these). Biases, activations, norms and pooling are not counted:
// they are a fraction of a percent of a CNN's work.

/** FLOPs of a conv2d with input [N, C, H, W], weight [O, C / groups, KH, KW] and output [N, O, Ho, Wo]; each of its two gradients costs the same. */
export function conv2dFlops(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[]): number {
  const [n] = xShape as [number];
  const [o, cg, kh, kw] = wShape as [number, number, number, number];
  const [, , ho, wo] = yShape as [number, number, number, number];
  return 2 * n * o * ho * wo * cg * kh * kw;
}

/** FLOPs of `batch` products of an [M, K] and a [K, N] matrix. */
export function matmulFlops(batch: number, m: number, k: number, n: number): number {
  return 2 * batch * m * k * n;
}

let counted = 0;

/** Adds an op's FLOPs to the counter (called once per op, when it is dispatched). */
export function countFlops(flops: number): void { counted += flops; }

/** FLOPs counted since the library loaded (see engineStats). */
export function flopsCounted(): number { return counted; }
