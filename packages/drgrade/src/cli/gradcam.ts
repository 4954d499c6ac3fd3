import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { withColorBar } from '../gradcam/color-bar.ts';
import { overlay } from '../gradcam/gradcam.ts';
import { heatOnPhoto } from '../gradcam/photo-heat.ts';
import { decodeImage } from '../image/decode.ts';
import { encodeImage, type ImageFileFormat } from '../image/encode.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { gradcamImage } from '../infer/predict.ts';
import { GRADE_NAMES } from '../report/index.ts';
import { ImageDecodeError, UserError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { chooseModel, describeChoice } from './default-model.ts';
import { readModelFile } from './model-file.ts';

const FORMATS: Record<string, ImageFileFormat> = { '.png': 'png', '.jpg': 'jpg', '.jpeg': 'jpg' };

export const gradcamCommand: Command = {
  name: 'gradcam',
  summary: 'write a Grad-CAM picture showing where the model looked, over the photograph, with a colour bar',
  details: 'The pre-softmax score of the predicted grade (or --class) is back-propagated to a layer chosen by module name; the default is the map the pooling head reads. The heat map is drawn in the Turbo colour map (dark indigo = low relevance, dark red = high) over the photograph at its own resolution (--on photo), carried back through the preprocessing\'s crop and resize; the black border the preprocessing crops away gets no colour. --on input draws it over the preprocessed network input instead. A colour bar (LOW to HIGH) is added below the picture.',
  positionals: [{ name: 'image', description: 'JPEG or PNG photograph', required: true }],
  options: [
    { name: 'checkpoint', type: 'string', placeholder: '<model.safetensors>', description: 'model file (default: the shipped models/drgrade-real.safetensors)' },
    { name: 'out', type: 'string', required: true, placeholder: '<file.png|file.jpg>', description: 'picture to write (PNG or JPEG, by the extension)' },
    { name: 'on', type: 'string', choices: ['photo', 'input'], default: 'photo', placeholder: '<photo|input>', description: 'draw over the photograph at its resolution, or over the preprocessed network input' },
    { name: 'layer', type: 'string', placeholder: '<module>', description: 'module name, e.g. net.fpn.layer_blocks.2 or net.backbone.features.denseblock4' },
    { name: 'class', type: 'integer', placeholder: '<grade>', description: 'grade to explain (default: the predicted one)' },
    { name: 'opacity', type: 'number', default: 0.45, placeholder: '<0-1>', description: 'heat-map opacity' },
  ],
  examples: ['drgrade gradcam photo.jpg --out cam.jpg', 'drgrade gradcam --checkpoint runs/demo/fold-0/model-best.safetensors photo.jpg --on input --out cam.png'],
  async run(args, context) {
    const outName = stringOption(args, 'out') as string;
    const format = FORMATS[extname(outName).toLowerCase()];
    if (!format) throw new UserError(`--out ${outName}: name a .png, .jpg or .jpeg file`);
    const opacity = numberOption(args, 'opacity') as number;
    if (!(opacity >= 0 && opacity <= 1)) throw new UserError(`--opacity must be between 0 and 1, got ${opacity}`);
    await getDevice();
    const choice = chooseModel(stringOption(args, 'checkpoint'), 'checkpoint', context.cwd);
    const { model } = readModelFile(choice.path);
    const file = args.positionals.image as string;
    let photo: RgbImage;
    try { photo = decodeImage(readFileSync(resolve(context.cwd, file))); } catch (e) {
      if (e instanceof ImageDecodeError) throw new UserError(`${file}: ${e.message}`);
      throw new UserError(`${file}: ${errorMessage(e)}`);
    }
    const layer = stringOption(args, 'layer');
    const target = numberOption(args, 'class');
    let cam;
    try {
      cam = await gradcamImage(model, photo, { opacity, ...(layer ? { layer } : {}), ...(target !== undefined ? { target } : {}) });
    } catch (e) {
      throw new UserError(errorMessage(e));
    } finally {
      model.dispose();
    }
    const onPhoto = stringOption(args, 'on') === 'photo';
    const picture = onPhoto
      ? { width: photo.width, height: photo.height, data: overlay(photo.data, heatOnPhoto(cam.heat, cam.preprocessed.width, cam.frame), opacity) }
      : cam.overlay;
    const out = resolve(context.cwd, outName);
    writeFileAtomic(out, encodeImage(withColorBar(picture, `RELEVANCE TO GRADE ${cam.target}`), format));
    context.stdout.write(`model: ${describeChoice(choice)}\n`);
    context.stdout.write(`${out}: Grad-CAM of ${cam.layer} for grade ${cam.target} (${GRADE_NAMES[cam.target]}) over the ${onPhoto ? `photograph (${photo.width} x ${photo.height})` : `network input (${picture.width} x ${picture.height})`}, colour bar below; predicted ${cam.grade} with p = ${cam.probabilities[cam.grade]!.toFixed(3)}\n`);
    return 0;
  },
};
