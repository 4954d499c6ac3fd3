import { parentPort } from 'node:worker_threads';
import { toFailure, type WorkerReply } from './worker-pool.ts';

/**
 * The worker-thread side of WorkerPool: runs `handle` on each job message and posts the result
 * (transferring the listed buffers instead of copying them) or the error.
 */
export function serveJobs<J, R>(handle: (job: J) => { result: R; transfer?: ArrayBuffer[] }): void {
  const port = parentPort;
  if (!port) throw new Error('this module must run in a worker thread');
  port.on('message', ({ id, job }: { id: number; job: J }) => {
    let reply: WorkerReply<R>;
    let transfer: ArrayBuffer[] = [];
    try {
      const done = handle(job);
      reply = { id, ok: true, result: done.result };
      transfer = done.transfer ?? [];
    } catch (error) {
      reply = { id, ok: false, error: toFailure(error) };
    }
    port.postMessage(reply, transfer);
  });
}
