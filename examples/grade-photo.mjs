// Grade a fundus photograph with drgrade's shipped model and draw where the model looked.
//
//   node examples/grade-photo.mjs [photo.jpg] [--model model.safetensors] [--out gradcam.png]
//
// The same functions `drgrade predict` and `drgrade gradcam` use: decode the photograph, check
// that it shows a gradable fundus, grade it (the training preprocessing, then the network), and
// Grad-CAM it over the photograph with a colour bar. The model is the one drgrade ships
// (models/drgrade-real.safetensors) unless --model names another, e.g. a training run's
// fold-0/model-best.safetensors. Without a photograph it grades one of the repository's samples.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getDevice } from '@drgrade/tensor';
import {
  GRADE_NAMES, assessGradability, decodeImage, decodeModelFile, encodePng, gradcamImage, gradcamOverPhoto, predictImage, shippedModelPath, withColorBar,
} from 'drgrade';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { model: { type: 'string' }, out: { type: 'string' } } });
const photoPath = positionals[0]
  ?? fileURLToPath(new URL('../test/fixtures/fundus-sample/B. Disease Grading/1. Original Images/a. Training Set/Patient146_L.jpg', import.meta.url));
const modelPath = values.model ?? shippedModelPath();
if (!modelPath) {
  console.error('the shipped model (models/drgrade-real.safetensors) is not installed: name a model file with --model <model.safetensors>');
  process.exit(1);
}

await getDevice();
// A model file carries its configuration (architecture, image size, preprocessing) beside the weights.
const { model, config } = decodeModelFile(readFileSync(modelPath), modelPath);
console.log(`model: ${modelPath} (${config.model.type}, ${config.data.imageSize} px)`);

const photo = decodeImage(readFileSync(photoPath)); // JPEG or PNG → 8-bit RGB
const verdict = assessGradability(photo); // black, blank, tiny, out of focus, not a fundus…
if (!verdict.gradable) {
  console.log(`${photoPath}: not graded, ${verdict.reason}`);
  process.exit(0);
}

const { grade, probabilities } = await predictImage(model, photo); // add { tta: true } to average over flips
console.log(`${photoPath}: grade ${grade} (${GRADE_NAMES[grade]})`);
probabilities.forEach((p, g) => console.log(`  p(${g} ${GRADE_NAMES[g]}) = ${p.toFixed(4)}`));

// Grad-CAM of the predicted grade at the layer the pooling head reads, carried back to the photograph.
const cam = await gradcamImage(model, photo);
const out = values.out ?? join(tmpdir(), 'drgrade-gradcam.png');
writeFileSync(out, encodePng(withColorBar(gradcamOverPhoto(photo, cam), `RELEVANCE TO GRADE ${cam.target}`)));
console.log(`Grad-CAM of ${cam.layer} for grade ${cam.target}: ${out}`);
model.dispose();
process.exit(0); // the WebGPU instance keeps Node's event loop alive
