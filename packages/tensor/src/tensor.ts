import { deviceSync } from './device.ts';
import { getEngine } from './engine.ts';
import { AdapterLimitError, TensorError, describeShape } from './errors.ts';
import { halfToFloat } from './half.ts';
import type { ChannelGrad } from './ops/channel_grad.ts';
import { isGradEnabled, keep, setTensorCheck, track } from './scope.ts';
import { sizeOf, type Shape } from './shape.ts';

/** float16 tensors are stored as f16 on the device (adapters with `shader-f16`) and read back as float32 values. */
export type DType = 'float32' | 'int32' | 'float16';
export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/** Bytes per element of a dtype on the device. */
export function elementBytes(dtype: DType): number { return dtype === 'float16' ? 2 : 4; }

/**
 * The most bytes one tensor may hold on this device: kernels bind whole buffers, so the adapter's
 * maxStorageBufferBindingSize (128 MiB on lavapipe, SwiftShader and a browser's default limits).
 * Layers whose weights are larger keep them in row blocks (`@drgrade/nn`'s Linear).
 */
export function maxTensorBytes(): number { return getEngine().pool.maxBindingBytes; }

/** The clear error for float16 on a device without `shader-f16` (one place, so every path says the same). */
function checkDtype(dtype: DType): void {
  if (dtype === 'float16' && !deviceSync().info.f16) {
    throw new TensorError(`float16 tensors need the WebGPU feature 'shader-f16', which adapter "${deviceSync().info.name}" does not offer; use float32 (train.precision 'float32')`);
  }
}

/** A device buffer shared by tensors that are views of the same data (reshape). */
export class Storage {
  refs = 1;
  constructor(public buffer: GPUBuffer, public readonly bytes: number) {}
}

/**
 * How an op's output differentiates: `backward` maps the output's gradient to one per input (a
 * ChannelGrad for an input it read a channel range of; autograd.ts).
 */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward: (grad: Tensor) => (Tensor | ChannelGrad | null)[];
}

let nextId = 1;
let live = 0;
export function liveTensors(): number { return live; }
/** The id the next tensor will get: tensors with an id at or past it were made after this call. */
export function nextTensorId(): number { return nextId; }

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf tensor after `backward()`. */
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** Optional name used in error messages (parameters get their dotted names). */
  name: string | undefined;
  private _storage: Storage | null;

  constructor(storage: Storage, shape: Shape, readonly dtype: DType = 'float32', requiresGrad = false) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    live++;
    track(this);
  }

  /** Allocates an uninitialised tensor (kernels fill it; `forUpload` when written from the CPU). */
  static empty(shape: Shape, dtype: DType = 'float32', forUpload = false): Tensor {
    checkDtype(dtype);
    // Buffers are sized in whole 32-bit words (copies and readbacks move words).
    const bytes = Math.ceil(Math.max(sizeOf(shape), 1) * elementBytes(dtype) / 4) * 4;
    const engine = getEngine();
    const limit = maxTensorBytes();
    if (bytes > limit) {
      const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
      throw new AdapterLimitError(`a tensor ${describeShape(shape)}${dtype === 'float32' ? '' : ` ${dtype}`} takes ${mb(bytes)}, more than the ${mb(limit)} one kernel can bind on adapter "${deviceSync().info.name}" (maxStorageBufferBindingSize); use a GPU adapter, or a smaller model or batch`);
    }
    // Submitting early lets an upload reuse a released buffer instead of growing the pool.
    if (forUpload && engine.pool.uploadWouldWait(bytes)) engine.flush();
    return new Tensor(new Storage(engine.pool.acquire(bytes, forUpload), bytes), shape, dtype);
  }

  get rank(): number { return this.shape.length; }
  get isDisposed(): boolean { return this._storage === null; }

  /** A short description for error messages: `tensor 'features.conv0.weight' [64, 3, 7, 7]`. */
  describe(): string {
    return `${this.name ? `tensor '${this.name}'` : 'tensor'} ${describeShape(this.shape)}${this.dtype === 'float32' ? '' : ` ${this.dtype}`}`;
  }

  get storage(): Storage {
    if (!this._storage) throw new TensorError(`${this.describe()} was used after dispose() (inside tidy, return the tensors you need later, or keep() them)`);
    return this._storage;
  }

  get buffer(): GPUBuffer { return this.storage.buffer; }

  /** Releases the device memory now (shared with views until the last one is disposed). */
  dispose(): void {
    const s = this._storage;
    if (!s) return;
    this._storage = null;
    live--;
    if (--s.refs === 0) getEngine().pool.release(s.buffer);
    if (this.grad) { this.grad.dispose(); this.grad = null; }
    this.node = null;
  }

  /** A tensor sharing this one's storage with another shape (same number of elements). */
  view(shape: Shape): Tensor {
    const s = this.storage;
    s.refs++;
    return new Tensor(s, shape, this.dtype);
  }

  /**
   * Replaces this tensor's data with `value`'s (same shape), keeping its identity: how optimisers
   * update parameters and batch norm updates running statistics. `value` is consumed.
   */
  assign(value: Tensor): this {
    if (value.size !== this.size || value.dtype !== this.dtype) {
      throw new TensorError(`assign: ${value.describe()} does not fit ${this.describe()}`);
    }
    const old = this.storage;
    const incoming = value.storage;
    if (incoming.refs === 1) {
      // Steal the buffer: no copy.
      value._storage = null;
      live--;
      this._storage = incoming;
    } else {
      const fresh = Tensor.empty(this.shape, this.dtype);
      getEngine().copy(incoming.buffer, 0, fresh.buffer, 0, fresh.storage.bytes);
      this._storage = fresh.storage;
      fresh._storage = null;
      live--;
      value.dispose();
    }
    if (--old.refs === 0) getEngine().pool.release(old.buffer);
    return this;
  }

  /** Marks the tensor as a leaf that accumulates `.grad`. */
  requireGrad(on = true): this { this.requiresGrad = on; return this; }

  /** Keeps this tensor alive past the enclosing `tidy`. */
  keep(): this { return keep(this); }

  /** The values on the CPU (float16 tensors as their exact float32 values). */
  async toArray(): Promise<TypedArrayFor<DType>> {
    const bytes = await getEngine().read(this.buffer, this.size * elementBytes(this.dtype));
    if (this.dtype === 'float16') return halfToFloat(new Uint16Array(bytes));
    return this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new TensorError(`item(): ${this.describe()} has ${this.size} elements, not 1`);
    return (await this.toArray())[0]!;
  }

  /** Nested arrays, for printing and tests. */
  async toNested(): Promise<unknown> {
    const data = Array.from(await this.toArray());
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.rank) return data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The same data without a gradient history. */
  detach(): Tensor { return this.view(this.shape); }
}

/**
 * The fluent methods: `x.add(y)` is `add(x, y)`. Declared here and installed on the prototype by
 * ops/fluent.ts (which the package's index.ts imports), so that this module imports no op: the
 * ops import tensor.ts, never the other way.
 */
export interface TensorMethods {
  /** Starts reverse-mode differentiation from this tensor (a scalar, or pass the upstream gradient). */
  backward(grad?: Tensor): void;

  // Arithmetic and maths (see ops/elementwise.ts).
  add(b: Tensor | number): Tensor;
  sub(b: Tensor | number): Tensor;
  mul(b: Tensor | number): Tensor;
  div(b: Tensor | number): Tensor;
  pow(b: number): Tensor;
  maximum(b: Tensor | number): Tensor;
  minimum(b: Tensor | number): Tensor;
  eq(b: Tensor | number): Tensor;
  ne(b: Tensor | number): Tensor;
  lt(b: Tensor | number): Tensor;
  le(b: Tensor | number): Tensor;
  gt(b: Tensor | number): Tensor;
  ge(b: Tensor | number): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  rsqrt(): Tensor;
  abs(): Tensor;
  sign(): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  square(): Tensor;
  clamp(min: number, max: number): Tensor;
  toFloat(): Tensor;
  /** A float16 copy (needs `shader-f16`; see hasF16()); its gradient comes back as this tensor's dtype. */
  half(): Tensor;
  /** A float32 copy; its gradient comes back as this tensor's dtype. */
  float(): Tensor;

  // Reductions (see ops/reduce.ts); keepdim defaults to false, unbiased to false.
  sum(axes?: number | number[], keepdim?: boolean): Tensor;
  mean(axes?: number | number[], keepdim?: boolean): Tensor;
  max(axes?: number | number[], keepdim?: boolean): Tensor;
  min(axes?: number | number[], keepdim?: boolean): Tensor;
  var(axes?: number | number[], keepdim?: boolean, unbiased?: boolean): Tensor;
  logsumexp(axes?: number | number[], keepdim?: boolean): Tensor;
  argmax(axis: number, keepdim?: boolean): Tensor;
  argmin(axis: number, keepdim?: boolean): Tensor;

  // Linear algebra and normalisation; axis defaults to -1.
  matmul(b: Tensor): Tensor;
  softmax(axis?: number): Tensor;
  logSoftmax(axis?: number): Tensor;

  // Movement (see ops/movement.ts); flatten's axes default to 0 and -1, transpose's to -2 and -1, pad's value to 0.
  reshape(shape: number[]): Tensor;
  flatten(startAxis?: number, endAxis?: number): Tensor;
  permute(axes: number[]): Tensor;
  transpose(a?: number, b?: number): Tensor;
  expand(shape: number[]): Tensor;
  slice(starts: number[], ends: number[], steps?: number[]): Tensor;
  pad(pads: [number, number][], value?: number): Tensor;
  indexSelect(axis: number, index: Tensor): Tensor;
  squeeze(axis?: number): Tensor;
  unsqueeze(axis: number): Tensor;
  clone(): Tensor;
}

// Merges the methods into the class's type; ops/fluent.ts supplies them at run time.
export interface Tensor extends TensorMethods {}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

/** Records `out` as produced by `op` from `inputs`, if any input needs a gradient. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    // A copy: the caller may change its array later (push another part), which the graph must not see.
    out.node = { op, inputs: [...inputs], backward };
  }
  return out;
}
