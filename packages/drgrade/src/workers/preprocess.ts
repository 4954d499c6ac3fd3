// Worker thread of `drgrade preprocess`: one image file per job (decode, preprocess, encode,
// atomic write), so all cores work on a data set.
import { preprocessFile, type PreprocessJob } from '../data/preprocess-file.ts';
import { serveJobs } from '../util/worker-host.ts';

serveJobs<PreprocessJob, { width: number; height: number }>((job) => ({ result: preprocessFile(job) }));
