// Grading one photograph with a trained model: the training preprocessing, the forward pass,
// optional test-time flips, and Grad-CAM. The same code runs in Node (CLI) and in the browser
// page; it takes a decoded RGB image, so each side decodes files its own way.
import { noGrad, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { captureOutput, type Module } from '@drgrade/nn';
import type { DrgradeConfig } from '../config/index.ts';
import { normalization, preprocessOptions } from '../config/runtime.ts';
import { writeNormalizedChw } from '../data/normalize.ts';
import { camFromActivation, overlay, upsampleAndNormalize } from '../gradcam/gradcam.ts';
import { heatOnPhoto } from '../gradcam/photo-heat.ts';
import { fundusFrame, preprocessFundus, type FundusFrame } from '../image/preprocess.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { graderMembers, type Grader } from '../train/ensemble.ts';
import { classProbabilities, predictedGrade } from './class-probabilities.ts';

export interface Prediction {
  grade: number;
  probabilities: number[];
}

/** An image already at the network's size as a normalised [1, 3, H, W] tensor. */
export function imageTensor(image: RgbImage, config: DrgradeConfig): Tensor {
  const { mean, std } = normalization(config);
  const out = new Float32Array(3 * image.width * image.height);
  writeNormalizedChw(image, mean, std, out);
  return tensor(out, [1, 3, image.height, image.width]);
}

/**
 * Grade probabilities for a preprocessed image (`preprocessFundus` output). With `tta`, the
 * probabilities are averaged over the image and its horizontal, vertical and double flips
 * (default: the model's `train.tta`).
 */
export async function predictPreprocessed(model: Grader, image: RgbImage, opts: { tta?: boolean } = {}): Promise<Prediction> {
  model.eval();
  const probs = noGrad(() => tidy(() => {
    const x = imageTensor(image, model.config);
    return classProbabilities(model, x, model.forward(x).logits, opts.tta);
  }));
  const probabilities = Array.from((await probs.toArray()) as Float32Array);
  probs.dispose();
  return { grade: predictedGrade(probabilities), probabilities };
}

/** Preprocesses a decoded photograph and grades it. */
export async function predictImage(model: Grader, photo: RgbImage, opts: { tta?: boolean } = {}): Promise<Prediction & { preprocessed: RgbImage }> {
  const preprocessed = preprocessFundus(photo, preprocessOptions(model.config));
  return { ...(await predictPreprocessed(model, preprocessed, opts)), preprocessed };
}

export interface GradcamResult extends Prediction {
  /** The class the map explains (the predicted grade unless one was given). */
  target: number;
  /** Heat map in [0, 1] at the preprocessed image's size. */
  heat: Float32Array;
  /** The heat map blended over the preprocessed image. */
  overlay: RgbImage;
  preprocessed: RgbImage;
  /** Where the preprocessed square sits on the photograph given (heatOnPhoto maps `heat` through it). */
  frame: FundusFrame;
  layer: string;
}

/**
 * Grad-CAM of `layer` (a module name; default the map the pooling head reads) for the predicted
 * grade, or `target`: the pre-softmax score is back-propagated to the layer's output. An ensemble
 * has no pre-softmax score of its own (it averages probabilities), so its map is the mean of its
 * members' maps, each from the member's own score, at the same layer of each member.
 */
export async function gradcamImage(model: Grader, photo: RgbImage,
  opts: { layer?: string; target?: number; opacity?: number; preprocessed?: boolean } = {}): Promise<GradcamResult> {
  // `preprocessed`: the image is already the output of preprocessFundus (the training cache).
  const options = preprocessOptions(model.config);
  const preprocessed = opts.preprocessed ? photo : preprocessFundus(photo, options);
  const frame = fundusFrame(photo, !opts.preprocessed && options.crop !== false);
  const members = graderMembers(model);
  const layer = opts.layer ?? members[0]!.defaultCamLayer();
  let modules: Module<unknown, Tensor>[];
  try {
    modules = members.map((m) => m.getSubmodule(layer) as Module<unknown, Tensor>);
  } catch (e) {
    throw new Error(`gradcam: ${(e as Error).message}`);
  }
  const captures = modules.map((m) => captureOutput(m));
  model.eval();
  try {
    // The predicted grade is needed before the backward pass, so the forward pass runs twice:
    // once without a graph to read the scores, once with the graph the gradient flows through.
    const { grade, probabilities } = await predictPreprocessed(model, preprocessed);
    const C = probabilities.length;
    const target = opts.target ?? grade;
    if (!Number.isInteger(target) || target < 0 || target >= C) throw new Error(`gradcam: target class ${target} is not in 0..${C - 1}`);
    const onehot = new Float32Array(C);
    onehot[target] = 1;
    let sum: Float32Array | null = null;
    let height = 0, width = 0;
    for (const [i, member] of members.entries()) {
      tidy(() => member.forward(imageTensor(preprocessed, model.config)).logits.backward(tensor(onehot, [1, C])));
      const capture = captures[i]!;
      if (!capture.output || !capture.grad) throw new Error(`gradcam: layer '${layer}' produced no 4-D output with a gradient`);
      if (capture.output.rank !== 4) throw new Error(`gradcam: layer '${layer}' outputs ${capture.output.describe()}, not a [1, C, h, w] map`);
      const cam = await camFromActivation(capture.output, capture.grad);
      ({ height, width } = cam);
      sum = sum ? sum.map((v, j) => v + cam.map[j]!) : cam.map;
      member.zeroGrad();
    }
    const map = sum!.map((v) => v / members.length);
    const heat = upsampleAndNormalize(map, height, width, preprocessed.height, preprocessed.width);
    const blended = overlay(preprocessed.data, heat, opts.opacity ?? 0.45);
    return { grade, probabilities, target, heat, overlay: { width: preprocessed.width, height: preprocessed.height, data: blended }, preprocessed, frame, layer };
  } finally {
    for (const capture of captures) capture.remove();
  }
}

/**
 * The Grad-CAM of `photo` (gradcamImage's result for it) blended over the photograph at its own
 * size, carried back through the preprocessing's crop and resize; outside the crop box the
 * photograph is unchanged.
 */
export function gradcamOverPhoto(photo: RgbImage, cam: GradcamResult, opacity = 0.45): RgbImage {
  return { width: photo.width, height: photo.height, data: overlay(photo.data, heatOnPhoto(cam.heat, cam.preprocessed.width, cam.frame), opacity) };
}
