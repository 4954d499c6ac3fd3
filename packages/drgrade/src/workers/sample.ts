// Worker thread of DataLoader: decodes, preprocesses and augments one image per job, so the
// training thread never waits on JPEG decoding. Configuration arrives once as workerData.
import { workerData } from 'node:worker_threads';
import { loadSampleFile, type SampleConfig } from '../data/sample-pipeline.ts';
import { serveJobs } from '../util/worker-host.ts';

export interface SampleJob {
  path: string;
  seed: number;
}

const config = workerData as SampleConfig;

serveJobs<SampleJob, Float32Array>(({ path, seed }) => {
  const result = loadSampleFile(path, seed, config);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
