import { BufferUsage, MapMode } from './flags.ts';
import { deviceSync, uncaptured, type Device } from './device.ts';
import { GPUOpError } from './errors.ts';
import { BufferPool } from './memory.ts';

/** One compute dispatch, as an op describes it. */
export interface KernelCall {
  /** Op name and shapes, e.g. `add [2, 3] [3]`: used in labels and error messages. */
  label: string;
  /** Pipeline cache key: identical keys must mean identical WGSL. */
  key: string;
  /** WGSL source, only built when the key is not cached yet. */
  source: () => string;
  /** Storage buffers in binding order (inputs first, outputs last). */
  buffers: GPUBuffer[];
  /** Packed uniform parameters (bound after the storage buffers), or none. */
  uniforms?: ArrayBuffer;
  workgroups: readonly [number, number, number];
  /** Rough amount of work (multiply-adds or elements) used to predict how long a batch runs; default: invocations. */
  cost?: number;
}

const UNIFORM_ALIGN = 256;
const PAGE_BYTES = 1 << 16;
const SLOTS_PER_PAGE = PAGE_BYTES / UNIFORM_ALIGN;
/** Distinct uniform blocks kept (2 MiB); past it every slot and bind group is forgotten. */
const MAX_SLOTS = 32 * SLOTS_PER_PAGE;
const MAX_BIND_GROUPS = 1 << 14;
const MAX_DISPATCHES_PER_SUBMIT = 64;

/**
 * Records dispatches into one command encoder and submits them in batches. Each batch runs
 * inside validation and out-of-memory error scopes; an error is rethrown, naming the ops of
 * the batch, at the next dispatch or readback.
 *
 * Bind groups are cached: creating one cost 24 µs of the ~55 µs a dispatch took to record
 * (dawn.node, lavapipe), more than everything else an op does on the CPU, and small ops on a GPU
 * are bound by that time. A bind group is found again by its pipeline, its buffers (pooled, so a
 * loop that repeats its ops meets the same ones) and its uniform block, which is stored once per
 * distinct content in a slot that is never rewritten while a bind group may point at it.
 */
export class Engine {
  readonly pool = new BufferPool();
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private labels: string[] = [];
  private pages: GPUBuffer[] = [];
  /** Uniform block content (as a string of its 16-bit words) -> slot index. */
  private slots = new Map<string, number>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  bindGroupHits = 0;
  private errors: string[] = [];
  private inflight: Promise<void>[] = [];
  dispatches = 0;
  submits = 0;
  readonly pacer: Pacer;

  constructor(private device: Device) {
    this.pacer = new Pacer(device.info.runtime === 'node' && device.info.kind === 'cpu');
  }

  get gpu(): GPUDevice { return this.device.gpu; }

  pipeline(key: string, source: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      this.open();
      const module = this.gpu.createShaderModule({ code: source(), label: key });
      p = this.gpu.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, p);
      this.pacer.compiling();
    }
    return p;
  }

  get pipelineCount(): number { return this.pipelines.size; }

  /** Throws any error reported by an earlier batch, or device loss. */
  check(): void {
    if (this.device.lost) throw this.device.lost;
    if (uncaptured.length > 0) this.errors.push(...uncaptured.splice(0));
    if (this.errors.length > 0) {
      const msg = this.errors.splice(0).join('\n');
      throw new GPUOpError(msg);
    }
  }

  private open(): void {
    if (this.encoder) return;
    this.check();
    this.gpu.pushErrorScope('out-of-memory');
    this.gpu.pushErrorScope('validation');
    this.encoder = this.gpu.createCommandEncoder();
  }

  /** Opens a batch so buffer creation is covered by its error scopes. */
  begin(): void { this.open(); }

  dispatch(call: KernelCall): void {
    this.check();
    this.open();
    if (this.labels.length >= MAX_DISPATCHES_PER_SUBMIT) {
      this.flush();
      this.open();
    }
    const pipeline = this.pipeline(call.key, call.source);
    let key = call.key;
    for (const b of call.buffers) key += `|${this.bufferId(b)}`;
    const slot = call.uniforms ? this.uniformSlot(call.label, call.uniforms) : -1;
    key += `|${slot}`;
    let bindGroup = this.bindGroups.get(key);
    if (bindGroup) {
      this.bindGroupHits++;
    } else {
      const entries: GPUBindGroupEntry[] = call.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
      if (call.uniforms) {
        const size = Math.max(16, Math.ceil(call.uniforms.byteLength / 16) * 16);
        entries.push({ binding: call.buffers.length, resource: { buffer: this.pages[Math.floor(slot / SLOTS_PER_PAGE)]!, offset: (slot % SLOTS_PER_PAGE) * UNIFORM_ALIGN, size } });
      }
      bindGroup = this.gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: call.label });
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      this.bindGroups.set(key, bindGroup);
    }
    if (!this.pass) this.pass = this.encoder!.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const [x, y, z] = call.workgroups;
    if (x > 0 && y > 0 && z > 0) this.pass.dispatchWorkgroups(x, y, z);
    this.labels.push(call.label);
    this.dispatches++;
    this.pacer.add(call.cost ?? x * y * z * 64, call.key);
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) { id = this.nextBufferId++; this.bufferIds.set(buffer, id); }
    return id;
  }

  /**
   * The slot holding this uniform block's content, written when the content is first seen. When
   * the slots run out, what is recorded is submitted first, so rewriting a slot (queued after
   * that submit) cannot change the uniforms of a recorded dispatch.
   */
  private uniformSlot(label: string, uniforms: ArrayBuffer): number {
    const bytes = uniforms.byteLength;
    if (bytes > UNIFORM_ALIGN) throw new GPUOpError(`${label}: uniform block of ${bytes} bytes exceeds ${UNIFORM_ALIGN}`);
    const words = new Uint16Array(uniforms, 0, bytes >> 1);
    const content = String.fromCharCode.apply(null, words as unknown as number[]);
    let slot = this.slots.get(content);
    if (slot !== undefined) return slot;
    if (this.slots.size >= MAX_SLOTS) {
      this.flush();
      this.open();
      this.slots.clear();
      this.bindGroups.clear();
    }
    slot = this.slots.size;
    const page = Math.floor(slot / SLOTS_PER_PAGE);
    this.pages[page] ??= this.gpu.createBuffer({ size: PAGE_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    this.gpu.queue.writeBuffer(this.pages[page]!, (slot % SLOTS_PER_PAGE) * UNIFORM_ALIGN, uniforms, 0, bytes);
    this.slots.set(content, slot);
    return slot;
  }

  /** Destroys the pooled buffers no tensor uses, forgetting the bind groups that name any buffer. */
  trim(): void {
    this.bindGroups.clear();
    this.pool.trim();
  }

  /** Records a buffer copy (outside any compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.open();
    if (this.pass) { this.pass.end(); this.pass = null; }
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) { this.pass.end(); this.pass = null; }
    this.gpu.queue.submit([this.encoder.finish()]);
    this.submits++;
    this.pacer.submitted();
    const labels = this.labels;
    const validation = this.gpu.popErrorScope();
    const oom = this.gpu.popErrorScope();
    const done = Promise.all([validation, oom]).then(([v, o]) => {
      for (const [kind, err] of [['validation', v], ['out of memory', o]] as const) {
        if (err) this.errors.push(`WebGPU ${kind} error in a batch of ops [${summarize(labels)}]: ${err.message}`);
      }
    });
    this.inflight.push(done);
    void done.then(() => { this.inflight = this.inflight.filter((p) => p !== done); });
    this.encoder = null;
    this.labels = [];
    this.pool.recycle();
  }

  /** Copies `bytes` of a buffer back to the CPU. */
  async read(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    this.check();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.gpu.createBuffer({ size: Math.max(size, 4), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.copy(buffer, offset, staging, 0, size);
    this.flush();
    await this.pacer.idle();
    await staging.mapAsync(MapMode.READ);
    this.pacer.completed();
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    await Promise.all(this.inflight);
    this.check();
    return out;
  }

  /** Waits until all submitted work has finished (and rethrows any error it produced). */
  async sync(): Promise<void> {
    this.flush();
    await this.pacer.idle();
    await this.gpu.queue.onSubmittedWorkDone();
    this.pacer.completed();
    await Promise.all(this.inflight);
    this.check();
  }

  upload(buffer: GPUBuffer, data: ArrayBufferView): void {
    this.open();
    this.gpu.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, Math.ceil(data.byteLength / 4) * 4);
  }
}

/**
 * Keeps Node's main thread asleep while a CPU adapter computes. dawn.node polls in a busy loop
 * while a map or work-done promise is pending, taking a core from the driver's worker threads
 * (measured: 2.75 → 4.6 GFLOP/s when the thread sleeps). So before waiting, the thread sleeps
 * for most of the time the same wait took before. Waits are recognised by their signature (the
 * number of dispatches, the order of magnitude of their cost and the kernels they ran): a
 * training or benchmark loop repeats the same waits, and predicting from cost alone failed
 * because kernels differ by 25x in seconds per unit of cost. (Without the kernels in it, a 7x7
 * stem's input gradient and a 3x3 convolution of the same cost shared a signature, and the
 * faster one was slept on for the slower one's time: 4.5 instead of 20 GFLOP/s.) A wait never
 * seen before is not slept on.
 */
export class Pacer {
  private pendingCost = 0;
  private pendingDispatches = 0;
  private unsubmittedCost = 0;
  private unsubmittedDispatches = 0;
  /** Order-independent sums of the kernels' key hashes. */
  private pendingKernels = 0;
  private unsubmittedKernels = 0;
  private firstSubmit = 0;
  private compiled = false;
  private sleptUntil = 0;
  private signature = '';
  private readonly seen = new Map<string, { seconds: number; fraction: number }>();

  constructor(public enabled: boolean) {}

  add(cost: number, kernel: string): void {
    this.unsubmittedCost += cost;
    this.unsubmittedDispatches++;
    this.unsubmittedKernels = (this.unsubmittedKernels + hash(kernel)) >>> 0;
  }

  submitted(): void {
    if (this.pendingDispatches === 0) this.firstSubmit = performance.now();
    this.pendingCost += this.unsubmittedCost;
    this.pendingDispatches += this.unsubmittedDispatches;
    this.pendingKernels = (this.pendingKernels + this.unsubmittedKernels) >>> 0;
    this.unsubmittedCost = 0;
    this.unsubmittedDispatches = 0;
    this.unsubmittedKernels = 0;
  }

  /**
   * A pipeline was created for the pending work: drivers compile it when it first runs (measured
   * on lavapipe: 40-50 ms per shader), which says nothing about the next identical wait.
   */
  compiling(): void { this.compiled = true; }

  async idle(): Promise<void> {
    this.sleptUntil = 0;
    this.signature = `${this.pendingDispatches}:${Math.round(4 * Math.log2(this.pendingCost + 1))}:${this.pendingKernels}`;
    const known = this.seen.get(this.signature);
    if (!this.enabled || !known) return;
    const remaining = known.fraction * known.seconds * 1000 - (performance.now() - this.firstSubmit);
    if (remaining > 1) {
      await new Promise((r) => setTimeout(r, Math.min(remaining, 5_000)));
      this.sleptUntil = performance.now();
    }
  }

  completed(): void {
    if (this.pendingDispatches > 0 && !this.compiled) {
      const now = performance.now();
      const known = this.seen.get(this.signature);
      const overslept = this.sleptUntil > 0 && now - this.sleptUntil < 2;
      if (known && overslept) {
        // Done before the sleep ended: the elapsed time measured the sleep, not the work, so the
        // estimate is too long; shorten it (a floor on the fraction alone kept oversleeping when
        // the work had become much faster than the estimate).
        known.fraction = Math.max(0.3, known.fraction * 0.85);
        known.seconds *= 0.7;
      } else {
        const seconds = (now - this.firstSubmit) / 1000;
        if (known) {
          known.seconds = 0.5 * known.seconds + 0.5 * seconds;
          known.fraction = Math.min(0.9, known.fraction * 1.05);
        } else if (seconds > 0.004) {
          this.seen.set(this.signature, { seconds, fraction: 0.8 });
        }
      }
    }
    this.pendingCost = 0;
    this.pendingDispatches = 0;
    this.pendingKernels = 0;
    this.compiled = false;
  }
}

/** FNV-1a of a kernel's pipeline key. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function summarize(labels: string[]): string {
  if (labels.length <= 12) return labels.join('; ');
  return `${labels.slice(0, 6).join('; ')}; ... ${labels.length - 12} more ...; ${labels.slice(-6).join('; ')}`;
}

let engine: Engine | null = null;

export function getEngine(): Engine {
  const device = deviceSync();
  if (!engine || engine.gpu !== device.gpu) engine = new Engine(device);
  return engine;
}

/** Workgroup grid for `count` workgroups, split over x and y past the 65,535-per-dimension limit. */
export function grid(count: number): [number, number, number] {
  const max = 65535;
  if (count <= max) return [count, 1, 1];
  const y = Math.ceil(count / max);
  return [Math.ceil(count / y), y, 1];
}

/** Builds a uniform block from u32 and f32 fields in order (each 4 bytes). */
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
  done(): ArrayBuffer { return this.buf.slice(0, Math.max(16, Math.ceil(this.offset / 16) * 16)); }
}
