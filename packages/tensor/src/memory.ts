import { BufferUsage } from './flags.ts';
import { deviceSync } from './device.ts';

/**
 * Pool of storage buffers keyed by size class. Sizes are rounded up to one of four steps per
 * power of two, so reuse is likely and waste is below 25%. A buffer released while its last
 * users are still being recorded may at once hold another kernel's output (dispatches run in
 * order), but may only take an upload after that command buffer is submitted (see
 * `Engine.flush`): a `queue.writeBuffer` would otherwise run before those pending commands.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  bytesInUse = 0;
  bytesHeld = 0;
  peakBytesInUse = 0;
  buffersCreated = 0;

  /** @param maxBindingBytes the adapter's maxStorageBufferBindingSize: kernels bind whole buffers, so no tensor may be larger. */
  constructor(readonly maxBindingBytes: number) {}

  static sizeClass(bytes: number): number {
    const n = Math.max(bytes, 16);
    const p = 2 ** Math.floor(Math.log2(n));
    const step = Math.max(p / 4, 4);
    return Math.ceil(n / step) * step;
  }

  /** The size class of `bytes` on this device: it stays within the binding limit that the bytes fit. */
  private bufferSize(bytes: number): number {
    return Math.min(BufferPool.sizeClass(bytes), Math.max(bytes, this.maxBindingBytes));
  }

  acquire(bytes: number, forUpload = false): GPUBuffer {
    const size = this.bufferSize(bytes);
    let buf: GPUBuffer | undefined;
    if (!forUpload) {
      const i = this.pending.findIndex((b) => b.size === size);
      if (i >= 0) buf = this.pending.splice(i, 1)[0];
    }
    buf ??= this.free.get(size)?.pop();
    if (!buf) {
      buf = deviceSync().gpu.createBuffer({
        size,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      });
      this.bytesHeld += size;
      this.buffersCreated++;
    }
    this.bytesInUse += size;
    if (this.bytesInUse > this.peakBytesInUse) this.peakBytesInUse = this.bytesInUse;
    return buf;
  }

  /** True when an upload of `bytes` would need a new buffer although one is waiting for the next submit. */
  uploadWouldWait(bytes: number): boolean {
    const size = this.bufferSize(bytes);
    return !this.free.get(size)?.length && this.pending.some((b) => b.size === size);
  }

  release(buf: GPUBuffer): void {
    this.bytesInUse -= buf.size;
    this.pending.push(buf);
  }

  /** Called after a submit: buffers released before it may be reused. */
  recycle(): void {
    for (const buf of this.pending) {
      const list = this.free.get(buf.size);
      if (list) list.push(buf); else this.free.set(buf.size, [buf]);
    }
    this.pending.length = 0;
  }

  /** Destroys every free buffer (keeps those in use). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buf of list) { this.bytesHeld -= buf.size; buf.destroy(); }
    }
    this.free.clear();
  }
}

export interface MemoryStats {
  /** Bytes of device buffers currently backing live tensors. */
  bytesInUse: number;
  /** Bytes of device buffers allocated, in use or pooled for reuse. */
  bytesHeld: number;
  /** Highest bytesInUse since start or the last `resetPeak`. */
  peakBytesInUse: number;
  /** Live tensors (not disposed). */
  liveTensors: number;
  buffersCreated: number;
}
