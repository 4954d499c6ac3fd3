// Launch sizes that the TypeScript side and the WGSL side must agree on, defined once: kernels
// receive them through their templates ({{WORKGROUP_SIZE}}) rather than repeating the numbers.
import { deviceSync } from './device.ts';
import { TensorError } from './errors.ts';

/** Invocations per workgroup of the kernels that give each invocation one element (a flat grid). */
export const WORKGROUP_SIZE = 256;

/**
 * Invocations per workgroup of the register-blocked kernels (conv2d's blocks and weight packer,
 * matmul 'sg'): one workgroup's lanes cover 64 pixels or columns per register step.
 */
export const BLOCK_WORKGROUP_SIZE = 64;

/**
 * Invocations per workgroup of the row kernels (ops/planes.ts, shaders/rows.wgsl), which split a
 * workgroup into rows of 2^shift lanes with shifts, so it must be a power of two: with 64, up to
 * 64 short rows (a pooled 7x7 map's) share one workgroup and a long row takes 64 lanes of it.
 */
export const ROW_WORKGROUP_SIZE = 64;

/**
 * Workgroups per grid dimension that every WebGPU adapter allows (the spec's default limit):
 * what grids are folded to and what a split count may reach, whatever the adapter offers above it.
 */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Workgroup grid for `count` workgroups, split over x and y past the per-dimension limit. */
export function grid(count: number): [number, number, number] {
  const max = MAX_WORKGROUPS_PER_DIMENSION;
  if (count <= max) return [count, 1, 1];
  const y = Math.ceil(count / max);
  return [Math.ceil(count / y), y, 1];
}

/** The flat grid of WORKGROUP_SIZE-invocation workgroups that covers `elements` invocations. */
export const elementGrid = (elements: number) => grid(Math.ceil(elements / WORKGROUP_SIZE));

/** `wg` itself when this device can run it, else an error naming the op and the grid. */
export function checkGrid(label: string, wg: [number, number, number]): [number, number, number] {
  const max = deviceSync().info.limits.maxComputeWorkgroupsPerDimension;
  if (wg.some((d) => d > max)) throw new TensorError(`${label}: needs a grid of ${wg.join(' x ')} workgroups, more than ${max} per dimension (split the batch)`);
  return wg;
}
