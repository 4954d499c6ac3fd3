import { basename, extname, join, resolve } from 'node:path';
import { getDevice } from '@drgrade/tensor';
import { withColorBar } from '../gradcam/color-bar.ts';
import { imageStem, isDirectory, isFile } from '../data/image-files.ts';
import { GRADE_NAMES } from '../data/types.ts';
import { encodeImage, type ImageFileFormat } from '../image/encode.ts';
import { assessGradability } from '../image/gradability.ts';
import { gradcamImage, gradcamOverPhoto } from '../infer/predict.ts';
import { graderMembers } from '../train/ensemble.ts';
import { UsageError, UserError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { chooseModel, describeChoice } from './default-model.ts';
import { readModelFile } from './model-file.ts';
import { startOneShot } from './one-shot.ts';
import { PHOTO_SKIP_BAD_OPTION, forEachPhoto, listPhotos, type PhotoInput } from './photo-inputs.ts';

const FORMATS: Record<string, ImageFileFormat> = { '.png': 'png', '.jpg': 'jpg', '.jpeg': 'jpg' };

/** Where each photograph's picture goes: `--out file.png` for one photograph, `--out <folder>` for any number. */
function outputPaths(outName: string, inputs: readonly PhotoInput[], cwd: string, folderFormat: ImageFileFormat): Map<PhotoInput, string> {
  const out = resolve(cwd, outName);
  const extension = extname(outName).toLowerCase();
  const paths = new Map<PhotoInput, string>();
  if (!isDirectory(out) && FORMATS[extension]) {
    if (inputs.length !== 1) throw new UsageError(`--out ${outName} names one picture, but ${inputs.length} photographs were given; give a folder to write one picture per photograph`);
    paths.set(inputs[0]!, out);
    return paths;
  }
  if (isFile(out)) throw new UserError(`--out ${outName}: is a file; name a .png, .jpg or .jpeg picture for one photograph, or a folder`);
  if (!isDirectory(out) && extension !== '') {
    throw new UserError(inputs.length === 1 ? `--out ${outName}: name a .png, .jpg or .jpeg file` : `--out ${outName}: for several photographs, name a folder (a new one without an extension, or an existing one)`);
  }
  const taken = new Map<string, string>();
  for (const input of inputs) {
    if (input.problem) continue;
    const path = join(out, `${imageStem(basename(input.path))}-gradcam.${folderFormat}`);
    const other = taken.get(path);
    if (other !== undefined) throw new UserError(`${other} and ${input.name} would both be drawn to ${path}; give them separate runs or rename one`);
    taken.set(path, input.name);
    paths.set(input, path);
  }
  return paths;
}

export const gradcamCommand: Command = {
  name: 'gradcam',
  summary: 'write a Grad-CAM picture showing where the model looked, over the photograph, with a colour bar',
  details: [
    'The pre-softmax score of the predicted grade (or --class) is back-propagated to a layer chosen by module name; the default is the map the pooling head reads. For an ensemble (drgrade ensemble), each member\'s map is computed from its own score at the same layer and the maps are averaged. The heat map is drawn in the Turbo colour map (dark indigo = low relevance, dark red = high) over the photograph at its own resolution (--on photo), carried back through the preprocessing\'s crop and resize; the black border the preprocessing crops away gets no colour. --on input draws it over the preprocessed network input instead. A colour bar (LOW to HIGH) is added below the picture.',
    'Give photographs and folders (a folder stands for the JPEG and PNG files directly inside it, sorted by name). --out names the picture for one photograph (PNG or JPEG by its extension), or a folder that gets <photo>-gradcam.png (or .jpg, --image-format) per photograph.',
    'A photograph without a gradable fundus (black, blank, tiny, far out of focus or exposure, not a fundus) gets one line with the reason and no picture; the others are drawn.',
    'A photograph that cannot be read stops the command, unless --skip-bad: then it is reported on one line on stderr and the others are drawn.',
    'Exit status: 0 when every picture was written; 3 when some photographs were not drawn (ungradable, or skipped by --skip-bad); 1 when an error stopped the command; 2 for a usage error.',
  ].join('\n'),
  positionals: [{ name: 'image', description: 'JPEG or PNG photograph(s), or folders of them', required: true, variadic: true }],
  options: [
    { name: 'checkpoint', type: 'string', placeholder: '<model.safetensors>', description: 'model file (default: the shipped models/drgrade-real.safetensors)' },
    { name: 'out', type: 'string', required: true, placeholder: '<file.png|file.jpg|folder>', description: 'picture to write (PNG or JPEG, by the extension), or a folder for one picture per photograph' },
    { name: 'image-format', type: 'string', choices: ['png', 'jpg'], placeholder: '<png|jpg>', description: 'file type of the pictures written into an --out folder (default png)' },
    { name: 'on', type: 'string', choices: ['photo', 'input'], default: 'photo', placeholder: '<photo|input>', description: 'draw over the photograph at its resolution, or over the preprocessed network input' },
    { name: 'layer', type: 'string', placeholder: '<module>', description: 'module name, e.g. net.fpn.layer_blocks.2 or net.backbone.features.denseblock4' },
    { name: 'class', type: 'integer', placeholder: '<grade>', description: 'grade to explain (default: the predicted one)' },
    { name: 'opacity', type: 'number', default: 0.45, placeholder: '<0-1>', description: 'heat-map opacity' },
    PHOTO_SKIP_BAD_OPTION,
  ],
  examples: [
    'drgrade gradcam photo.jpg --out cam.jpg',
    'drgrade gradcam photos/ --out cams/ --skip-bad',
    'drgrade gradcam --checkpoint runs/demo/fold-0/model-best.safetensors photo.jpg --on input --out cam.png',
  ],
  async run(args, context) {
    const outName = stringOption(args, 'out') as string;
    const opacity = numberOption(args, 'opacity') as number;
    if (!(opacity >= 0 && opacity <= 1)) throw new UsageError(`--opacity must be between 0 and 1, got ${opacity}`);
    const inputs = listPhotos(args.rest, context.cwd);
    const outputs = outputPaths(outName, inputs, context.cwd, (stringOption(args, 'image-format') ?? 'png') as ImageFileFormat);
    await getDevice();
    const choice = chooseModel(stringOption(args, 'checkpoint'), 'checkpoint', context.cwd);
    const { model } = readModelFile(choice.path);
    const oneShot = await startOneShot('gradcam', context);
    const layer = stringOption(args, 'layer');
    const target = numberOption(args, 'class');
    const onPhoto = stringOption(args, 'on') === 'photo';
    let notDrawn = 0;
    const members = graderMembers(model).length;
    context.stdout.write(`model: ${describeChoice(choice)}${members > 1 ? `; an ensemble of ${members} models, each map the mean of the members' maps` : ''}\n`);
    try {
      await forEachPhoto(inputs, { skipBad: args.options['skip-bad'] === true, command: 'gradcam', context }, async (input, photo) => {
        // A heat map of a photograph the model cannot grade would explain a meaningless grade.
        const verdict = assessGradability(photo);
        if (!verdict.gradable) {
          notDrawn++;
          context.stdout.write(`${input.name}: ${verdict.reason}; no picture written\n`);
          return;
        }
        oneShot.beforeRun();
        let cam;
        try {
          cam = await gradcamImage(model, photo, { opacity, ...(layer ? { layer } : {}), ...(target !== undefined ? { target } : {}) });
        } catch (e) {
          // A wrong --layer or --class: the same for every photograph, so it stops the command.
          throw new UserError(errorMessage(e));
        }
        const picture = onPhoto ? gradcamOverPhoto(photo, cam, opacity) : cam.overlay;
        const out = outputs.get(input)!;
        writeFileAtomic(out, encodeImage(withColorBar(picture, `RELEVANCE TO GRADE ${cam.target}`), FORMATS[extname(out).toLowerCase()]!));
        context.stdout.write(`${out}: Grad-CAM of ${cam.layer} for grade ${cam.target} (${GRADE_NAMES[cam.target]}) over the ${onPhoto ? `photograph (${photo.width} x ${photo.height})` : `network input (${picture.width} x ${picture.height})`}, colour bar below; predicted ${cam.grade} with p = ${cam.probabilities[cam.grade]!.toFixed(3)}\n`);
      }, () => { notDrawn++; });
    } finally {
      model.dispose();
      oneShot.end();
    }
    return notDrawn > 0 ? 3 : 0;
  },
};
