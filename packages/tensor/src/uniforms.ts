// Uniform blocks. `uniformBlock` declares a kernel's parameters once, by name and type, and gives
// both the WGSL struct (spliced into the shader as {{PARAMS}}) and the packer that fills it, so
// the two cannot disagree on the order. `Uniforms` is the older positional builder, for blocks
// with arrays and for the kernels that have not moved to a declaration yet.

/** The scalar types a declared block holds; each takes 4 bytes, so fields follow each other with no padding. */
export type ScalarType = 'u32' | 'i32' | 'f32';

export type UniformFields = Record<string, ScalarType>;

/** A value for every field of the block (booleans pack as 1 and 0). */
export type UniformValues<F extends UniformFields> = { readonly [K in keyof F]: number | boolean };

export interface UniformBlock<F extends UniformFields> {
  /** The WGSL declaration `struct Params { ... }`, fields in declaration order. */
  readonly wgsl: string;
  readonly fields: F;
  pack(values: UniformValues<F>): ArrayBuffer;
}

/** A uniform block named `Params` in WGSL with `fields` in the order written. */
export function uniformBlock<F extends UniformFields>(fields: F): UniformBlock<F> {
  const entries = Object.entries(fields);
  const wgsl = `struct Params {\n${entries.map(([name, type]) => `  ${name}: ${type},`).join('\n')}\n}`;
  return {
    wgsl,
    fields,
    pack(values) {
      const u = new Uniforms(Math.max(16, Math.ceil(entries.length / 4) * 16));
      for (const [name, type] of entries) {
        const v = values[name as keyof F];
        u[type](typeof v === 'boolean' ? Number(v) : v);
      }
      return u.done();
    },
  };
}

/** Builds a uniform block from u32, i32 and f32 fields in order (each 4 bytes). */
export class Uniforms {
  private view: DataView;
  private buf: ArrayBuffer;
  private offset = 0;
  constructor(bytes = 256) { this.buf = new ArrayBuffer(bytes); this.view = new DataView(this.buf); }
  u32(...values: number[]): this { for (const v of values) { this.view.setUint32(this.offset, v, true); this.offset += 4; } return this; }
  i32(...values: number[]): this { for (const v of values) { this.view.setInt32(this.offset, v, true); this.offset += 4; } return this; }
  f32(...values: number[]): this { for (const v of values) { this.view.setFloat32(this.offset, v, true); this.offset += 4; } return this; }
  /** Pads to a 16-byte boundary, where WGSL starts arrays of vec4. */
  align16(): this { this.offset = Math.ceil(this.offset / 16) * 16; return this; }
  /** `n` values as vec4<u32> words (padded with zeros), for arrays of vec4<u32> in WGSL. */
  vec(values: readonly number[], n: number): this { this.align16(); for (let i = 0; i < n; i++) this.u32(values[i] ?? 0); return this; }
  /** The block, its size rounded up to the 16 bytes a uniform binding is sized in. */
  done(): ArrayBuffer { return this.buf.slice(0, Math.max(16, Math.ceil(this.offset / 16) * 16)); }
}
