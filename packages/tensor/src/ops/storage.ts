// How a kernel that comes in float32 and float16 variants is specialised: the WGSL element type of
// its storage bindings, and the `enable f16;` directive that f16 storage needs (first in the module).
import type { DType } from '../tensor.ts';

export interface StorageWgsl {
  ENABLE: string;
  T: 'f32' | 'f16';
}

export function storageWgsl(dtype: DType): StorageWgsl {
  return dtype === 'float16' ? { ENABLE: 'enable f16;', T: 'f16' } : { ENABLE: '', T: 'f32' };
}
