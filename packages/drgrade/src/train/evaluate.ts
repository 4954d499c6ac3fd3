// Evaluation of a model on a set of images: class probabilities (optionally averaged over
// flips), the loss, and the paper's metrics.
import { concat, noGrad, tensor, tidy, type Tensor } from '@drgrade/tensor';
import type { DataLoader } from '../data/loader.ts';
import { accuracy, perClassAccuracy } from '../metrics/accuracy.ts';
import { confusionMatrix } from '../metrics/confusion.ts';
import { quadraticWeightedKappa } from '../metrics/kappa.ts';
import { crossEntropy } from '../losses/index.ts';
import type { GradingModel } from './model.ts';

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

/** Reverses `axis` of x (a gather with reversed indices). */
export function flip(x: Tensor, axis: number): Tensor {
  const d = x.shape[axis]!;
  return x.indexSelect(axis, tensor(Int32Array.from({ length: d }, (_, i) => d - 1 - i), [d]));
}

/** Runs the model over every batch of `loader` (epoch 0, unshuffled) in eval mode. */
export async function evaluate(model: GradingModel, loader: DataLoader, opts: { tta?: boolean } = {}): Promise<Evaluation> {
  const C = model.config.model.numClasses;
  model.eval();
  const ids: string[] = [], grades: number[] = [], probabilities: number[][] = [];
  let lossSum = 0;
  for await (const batch of loader.epoch(0)) {
    const n = batch.shape[0];
    const { probs, loss } = noGrad(() => tidy(() => {
      const x = tensor(batch.images, batch.shape);
      const logits = model.forward(x).logits;
      // With test-time flips, the softmax is averaged over the image and its three flips (as predict --tta).
      const p = opts.tta
        ? concat([x, flip(x, 3), flip(x, 2), flip(flip(x, 2), 3)].map((v, i) => (i === 0 ? logits : model.forward(v).logits).softmax(1)), 0).reshape([4, n, C]).mean(0)
        : logits.softmax(1);
      return { probs: p, loss: crossEntropy(logits, Array.from(batch.labels)).mul(n) };
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
  const predictions = probabilities.map((p) => p.indexOf(Math.max(...p)));
  return {
    ids, grades, predictions, probabilities,
    loss: lossSum / Math.max(grades.length, 1),
    kappa: quadraticWeightedKappa(grades, predictions, { numClasses: C }),
    accuracy: accuracy(grades, predictions),
    perClassAccuracy: perClassAccuracy(grades, predictions, { numClasses: C }).map((a) => (Number.isNaN(a) ? null : a)),
    confusion: confusionMatrix(grades, predictions, { numClasses: C }),
  };
}
