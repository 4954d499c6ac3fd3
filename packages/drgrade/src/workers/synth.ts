// Worker thread of `drgrade synth`: renders and writes one synthetic photograph per job.
import { writeSyntheticImage, type SynthImage } from '../synth/dataset.ts';
import { serveJobs } from '../util/worker-host.ts';

serveJobs<{ out: string; image: SynthImage; quality: number }, string>(({ out, image, quality }) => ({
  result: writeSyntheticImage(out, image, quality),
}));
