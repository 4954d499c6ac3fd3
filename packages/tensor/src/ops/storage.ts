// How a kernel that comes in float32 and float16 variants is specialised: the WGSL element type of
// its storage bindings, the `enable f16;` directive that f16 storage needs (first in the module),
// and the conversions at its loads and stores. The kernels compute in f32 whatever they store, so
// a float16 kernel is its float32 kernel with each load widened and each store narrowed (the
// float32 text is left as it is).
import type { DType } from '../tensor.ts';

export interface StorageWgsl {
  ENABLE: string;
  T: 'f32' | 'f16';
}

export function storageWgsl(dtype: DType): StorageWgsl {
  return dtype === 'float16' ? { ENABLE: 'enable f16;', T: 'f16' } : { ENABLE: '', T: 'f32' };
}

/** A loaded element of T as f32. */
export const widen = (s: StorageWgsl, expr: string): string => (s.T === 'f32' ? expr : `f32(${expr})`);

/** An f32 value as the element type T, for a store. */
export const narrow = (s: StorageWgsl, expr: string): string => (s.T === 'f32' ? expr : `f16(${expr})`);
