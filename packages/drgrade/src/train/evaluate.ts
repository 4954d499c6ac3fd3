// Evaluation of a model on a set of images: class probabilities (optionally averaged over
// flips), the loss, and the paper's metrics.
import { noGrad, tensor, tidy } from '@drgrade/tensor';
import type { DataLoader } from '../data/loader.ts';
import { classProbabilities, predictedGrade } from '../infer/class-probabilities.ts';
import { accuracy, perClassAccuracy } from '../metrics/accuracy.ts';
import { confusionMatrix } from '../metrics/confusion.ts';
import { quadraticWeightedKappa } from '../metrics/kappa.ts';
import { crossEntropy } from '../losses/index.ts';
import type { ImagePrediction } from '../report/summary.ts';
import type { Grader } from './ensemble.ts';

export interface Evaluation {
  ids: string[];
  grades: number[];
  predictions: number[];
  probabilities: number[][];
  loss: number;
  kappa: number;
  accuracy: number;
  perClassAccuracy: (number | null)[];
  confusion: number[][];
}

/** Runs the model over every batch of `loader` (epoch 0, unshuffled) in eval mode; `tta` as classProbabilities. */
export async function evaluate(model: Grader, loader: DataLoader, opts: { tta?: boolean } = {}): Promise<Evaluation> {
  const C = model.config.model.numClasses;
  model.eval();
  const ids: string[] = [], grades: number[] = [], probabilities: number[][] = [];
  let lossSum = 0;
  for await (const batch of loader.epoch(0)) {
    const n = batch.shape[0];
    const { probs, loss } = noGrad(() => tidy(() => {
      const x = tensor(batch.images, batch.shape);
      const logits = model.forward(x).logits;
      return { probs: classProbabilities(model, x, logits, opts.tta), loss: crossEntropy(logits, Array.from(batch.labels)).mul(n) };
    }));
    const pv = (await probs.toArray()) as Float32Array;
    lossSum += await loss.item();
    probs.dispose();
    loss.dispose();
    for (let i = 0; i < n; i++) {
      probabilities.push(Array.from(pv.subarray(i * C, (i + 1) * C)));
      grades.push(batch.labels[i]!);
      ids.push(batch.ids[i]!);
    }
  }
  const predictions = probabilities.map(predictedGrade);
  return {
    ids, grades, predictions, probabilities,
    loss: lossSum / Math.max(grades.length, 1),
    kappa: quadraticWeightedKappa(grades, predictions, { numClasses: C }),
    accuracy: accuracy(grades, predictions),
    perClassAccuracy: perClassAccuracy(grades, predictions, { numClasses: C }).map((a) => (Number.isNaN(a) ? null : a)),
    confusion: confusionMatrix(grades, predictions, { numClasses: C }),
  };
}

/** One row per evaluated image, with its patient from `items` (the id when an image has none listed). */
export function imagePredictions(ev: Evaluation, items: readonly { id: string; group: string }[]): ImagePrediction[] {
  const patient = new Map(items.map((i) => [i.id, i.group]));
  return ev.ids.map((id, i) => ({ id, patient: patient.get(id) ?? id, grade: ev.grades[i]!, predicted: ev.predictions[i]!, probabilities: ev.probabilities[i]! }));
}
