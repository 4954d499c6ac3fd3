import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { decodeImage } from '../image/decode.ts';
import { encodePng } from '../image/encode.ts';
import { gradcamImage } from '../infer/predict.ts';
import { GRADE_NAMES } from '../report/index.ts';
import { ImageDecodeError, UserError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { readModelFile } from './model-file.ts';

export const gradcamCommand: Command = {
  name: 'gradcam',
  summary: 'write a Grad-CAM overlay PNG showing where the model looked',
  details: 'The pre-softmax score of the predicted grade (or --class) is back-propagated to a layer chosen by module name; the default is the map the pooling head reads.',
  positionals: [{ name: 'image', description: 'JPEG or PNG photograph', required: true }],
  options: [
    { name: 'checkpoint', type: 'string', required: true, placeholder: '<model.safetensors>', description: 'model file' },
    { name: 'out', type: 'string', required: true, placeholder: '<file.png>', description: 'overlay PNG to write' },
    { name: 'layer', type: 'string', placeholder: '<module>', description: 'module name, e.g. net.fpn.layer_blocks.2 or net.backbone.features.denseblock4' },
    { name: 'class', type: 'integer', placeholder: '<grade>', description: 'grade to explain (default: the predicted one)' },
    { name: 'opacity', type: 'number', default: 0.45, placeholder: '<0-1>', description: 'heat-map opacity' },
  ],
  examples: ['drgrade gradcam --checkpoint runs/demo/fold-0/model-best.safetensors photo.jpg --out cam.png'],
  async run(args, context) {
    await getDevice();
    const { model } = readModelFile(resolve(context.cwd, stringOption(args, 'checkpoint') as string));
    const file = args.positionals.image as string;
    let photo;
    try { photo = decodeImage(readFileSync(resolve(context.cwd, file))); } catch (e) {
      if (e instanceof ImageDecodeError) throw new UserError(`${file}: ${e.message}`);
      throw new UserError(`${file}: ${errorMessage(e)}`);
    }
    const layer = stringOption(args, 'layer');
    const target = numberOption(args, 'class');
    let cam;
    try {
      cam = await gradcamImage(model, photo, { opacity: numberOption(args, 'opacity') as number, ...(layer ? { layer } : {}), ...(target !== undefined ? { target } : {}) });
    } catch (e) {
      throw new UserError(errorMessage(e));
    }
    const out = resolve(context.cwd, stringOption(args, 'out') as string);
    writeFileAtomic(out, encodePng(cam.overlay));
    context.stdout.write(`${out}: Grad-CAM of ${cam.layer} for grade ${cam.target} (${GRADE_NAMES[cam.target]}); predicted ${cam.grade} with p = ${cam.probabilities[cam.grade]!.toFixed(3)}\n`);
    model.dispose();
    return 0;
  },
};
