import { BufferUsage, MapMode } from './flags.ts';
import { deviceSync, uncaptured, type Device } from './device.ts';
import { GPUOpError } from './errors.ts';
import { BufferPool } from './memory.ts';
import { Pacer } from './pacer.ts';
import { DispatchTimer } from './profiler.ts';

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
  readonly pool: BufferPool;
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
  /** Set while profile() runs: each dispatch gets a timestamped pass of its own. */
  private timer: DispatchTimer | null = null;

  constructor(private device: Device) {
    this.pool = new BufferPool(device.info.limits.maxStorageBufferBindingSize);
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
    if (this.timer && this.pass) { this.pass.end(); this.pass = null; }
    if (!this.pass) this.pass = this.encoder!.beginComputePass(this.timer?.passFor(call.key, call.label));
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const [x, y, z] = call.workgroups;
    if (x > 0 && y > 0 && z > 0) this.pass.dispatchWorkgroups(x, y, z);
    if (this.timer) { this.pass.end(); this.pass = null; }
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
    this.timer?.resolve(this.encoder);
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

  /**
   * Starts timing every dispatch on the device (profile()); what was recorded before is submitted
   * first, so it is not counted.
   */
  startTimer(): void {
    if (!this.device.info.timestamps) throw new GPUOpError(`profile: the adapter ${this.device.info.name} has no 'timestamp-query' feature, so kernels cannot be timed on it`);
    if (this.timer) throw new GPUOpError('profile: already profiling (profile() calls do not nest)');
    this.flush();
    this.timer = new DispatchTimer(this.gpu, MAX_DISPATCHES_PER_SUBMIT);
  }

  /** Stops timing: submits what is recorded and returns the timer, whose result() waits for the device. */
  stopTimer(): DispatchTimer {
    const timer = this.timer;
    if (!timer) throw new GPUOpError('profile: not profiling');
    this.flush();
    this.timer = null;
    return timer;
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
