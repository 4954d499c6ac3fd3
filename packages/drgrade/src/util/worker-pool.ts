import { Worker } from 'node:worker_threads';
import { ImageDecodeError, UserError, type ImageErrorKind } from './errors.ts';

/** How a worker reports a failed job: enough to rebuild the error on the main thread. */
export interface WorkerFailure {
  name: string;
  message: string;
  kind?: ImageErrorKind;
}

export type WorkerReply<R> = { id: number; ok: true; result: R } | { id: number; ok: false; error: WorkerFailure };

export function toFailure(error: unknown): WorkerFailure {
  if (error instanceof ImageDecodeError) return { name: error.name, message: error.message, kind: error.kind };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds a worker's error with its original class, so callers can tell data problems from bugs. */
export function fromFailure(failure: WorkerFailure): Error {
  if (failure.name === 'ImageDecodeError' && failure.kind) return new ImageDecodeError(failure.kind, failure.message);
  if (failure.name === 'UserError') return new UserError(failure.message);
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}

interface Pending<J, R> {
  id: number;
  job: J;
  transfer: ArrayBuffer[];
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed set of worker threads running one script, fed from a FIFO queue: each job goes to
 * the next idle thread and its promise settles with that thread's reply. A crashed thread
 * fails its job and the pool (a bug, not a data problem, since jobs report their own errors).
 */
export class WorkerPool<J, R> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending<J, R>[] = [];
  private readonly running = new Map<Worker, Pending<J, R>>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(script: string, size: number, workerData?: unknown) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const worker = new Worker(script, { workerData });
      worker.on('message', (reply: WorkerReply<R>) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(worker, error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(worker, new Error(`worker thread ${script} exited with code ${code}`));
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(job: J, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const pending = this.queue.shift() as Pending<J, R>;
      this.running.set(worker, pending);
      worker.postMessage({ id: pending.id, job: pending.job }, pending.transfer);
    }
  }

  private settle(worker: Worker, reply: WorkerReply<R>): void {
    const pending = this.running.get(worker);
    if (!pending || pending.id !== reply.id) return;
    this.running.delete(worker);
    this.idle.push(worker);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(fromFailure(reply.error));
    this.dispatch();
  }

  private fail(worker: Worker, error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.running.get(worker)?.reject(error);
    this.running.delete(worker);
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }

  /** Stops all threads; jobs still queued are rejected. */
  async close(): Promise<void> {
    this.failure ??= new Error('worker pool closed');
    for (const pending of this.queue.splice(0)) pending.reject(this.failure);
    for (const pending of this.running.values()) pending.reject(this.failure);
    this.running.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
