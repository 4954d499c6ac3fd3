// Kernel profiling from the device's own clock: every dispatch of the profiled work runs in a
// compute pass of its own whose start and end the device timestamps (WebGPU's timestamp-query
// feature), so the time of each kernel is measured where it runs, not guessed from the CPU side,
// which only sees when a whole batch of dispatches is done. One pass per dispatch adds no
// synchronisation WebGPU does not already put between dependent dispatches.
import { BufferUsage, MapMode } from './flags.ts';
import { TensorError } from './errors.ts';

/** Device time of one kernel (one pipeline), over the profiled work. */
export interface KernelTime {
  /** Pipeline cache key: the kernel and its variant, e.g. `conv2d:fwd:...`. */
  kernel: string;
  /** The op that dispatched it first (its label's words before the first operand), e.g. `conv2d backward input`. */
  op: string;
  calls: number;
  ms: number;
}

/** Device time of one op name (all its kernels: a conv's weight packing and its tiles count as the conv). */
export interface OpTime {
  op: string;
  calls: number;
  ms: number;
}

export interface Profile {
  /** Kernels by device time, longest first. */
  kernels: KernelTime[];
  /** Op names by device time, longest first. */
  ops: OpTime[];
  /** Sum of every dispatch's device time. */
  deviceMs: number;
  dispatches: number;
}

/**
 * The op name of a dispatch label: the words before its first operand (`tensor ...`, a shape, a
 * quoted name) or its first parenthesis, e.g. `conv2d tensor [2, 3, 8, 8] * tensor [4, 3, 3, 3]
 * (pack weights)` → `conv2d`, `SGD step of tensor 'w' [4]` → `SGD step of`.
 */
export function opName(label: string): string {
  const words: string[] = [];
  for (const w of label.split(' ')) {
    if (w === 'tensor' || w.startsWith('[') || w.startsWith('(') || w.startsWith("'") || /^\d/.test(w)) break;
    words.push(w);
  }
  return words.length > 0 ? words.join(' ') : label;
}

interface Pending { querySet: GPUQuerySet; readback: GPUBuffer; calls: { kernel: string; op: string }[] }

/**
 * Collects the timestamps of the dispatches an Engine records while it is attached: the engine asks
 * it for each dispatch's pass descriptor and hands it each batch's encoder before submitting.
 */
export class DispatchTimer {
  private querySet: GPUQuerySet | null = null;
  private calls: { kernel: string; op: string }[] = [];
  private pending: Promise<void>[] = [];
  private kernels = new Map<string, KernelTime>();
  private ops = new Map<string, OpTime>();

  constructor(private gpu: GPUDevice, private perBatch: number) {}

  /** The pass descriptor that timestamps the next dispatch of the batch being recorded. */
  passFor(kernel: string, label: string): GPUComputePassDescriptor {
    if (this.calls.length >= this.perBatch) throw new TensorError(`profile: more than ${this.perBatch} dispatches in one batch`);
    this.querySet ??= this.gpu.createQuerySet({ type: 'timestamp', count: 2 * this.perBatch });
    const i = this.calls.length;
    this.calls.push({ kernel, op: opName(label) });
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  /** Before the batch's encoder finishes: resolve its timestamps into a buffer the CPU can read. */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.querySet || this.calls.length === 0) return;
    const bytes = 16 * this.calls.length;
    const resolved = this.gpu.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const readback = this.gpu.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.calls.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, readback, 0, bytes);
    const batch: Pending = { querySet: this.querySet, readback, calls: this.calls };
    this.querySet = null;
    this.calls = [];
    // Mapped once the submit that follows has run; the resolve buffer is not needed after the copy.
    this.pending.push(Promise.resolve().then(() => this.collect(batch, resolved)));
  }

  private async collect(batch: Pending, resolved: GPUBuffer): Promise<void> {
    await batch.readback.mapAsync(MapMode.READ);
    const t = new BigUint64Array(batch.readback.getMappedRange());
    batch.calls.forEach(({ kernel, op }, i) => {
      // A device may report an end before its begin for an empty dispatch; count it as zero.
      const ns = t[2 * i + 1]! > t[2 * i]! ? Number(t[2 * i + 1]! - t[2 * i]!) : 0;
      const k = this.kernels.get(kernel) ?? { kernel, op, calls: 0, ms: 0 };
      k.calls++;
      k.ms += ns / 1e6;
      this.kernels.set(kernel, k);
      // A kernel may serve several ops (copies, the 1x1 convolutions' matrix products): ops sum calls.
      const o = this.ops.get(op) ?? { op, calls: 0, ms: 0 };
      o.calls++;
      o.ms += ns / 1e6;
      this.ops.set(op, o);
    });
    batch.readback.unmap();
    batch.readback.destroy();
    resolved.destroy();
    batch.querySet.destroy();
  }

  /** Every timestamp read, summed by kernel and by op name. */
  async result(): Promise<Profile> {
    await Promise.all(this.pending);
    const kernels = [...this.kernels.values()].sort((a, b) => b.ms - a.ms);
    return {
      kernels,
      ops: [...this.ops.values()].sort((a, b) => b.ms - a.ms),
      deviceMs: kernels.reduce((s, k) => s + k.ms, 0),
      dispatches: kernels.reduce((s, k) => s + k.calls, 0),
    };
  }
}
