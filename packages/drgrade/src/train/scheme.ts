// How one batch trains the model: the trainer hands every batch to the configuration's scheme.
// Most methods take one optimiser step on the summed loss; PMG takes four, one per classifier,
// on jigsaw images of falling granularity; DFL first initialises its filter bank from the
// training images' peak patches.
import { defaultGenerator, noGrad, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { DFLResNet, jigsaw, jigsawOrder, peakPatches, type Hyper, type Optimizer } from '@drgrade/nn';
import type { DrgradeConfig } from '../config/index.ts';
import type { DataLoader } from '../data/loader.ts';
import { batchLoss, classificationLoss } from './loss.ts';
import type { GradingModel } from './model.ts';
import type { StepPrecision } from './precision.ts';

export interface BatchStep {
  model: GradingModel;
  optimizer: Optimizer<Hyper>;
  images: Tensor;
  grades: readonly number[];
  epoch: number;
  /** Runs the forward pass, backward and optimiser step in the configured precision. */
  precision: StepPrecision;
}

export interface TrainingScheme {
  /** Runs once before the first epoch of a fresh run (after any pretrained weights load), over the unaugmented training images. */
  prepare?(model: GradingModel, images: DataLoader): Promise<void>;
  /** Trains on one batch (one or more optimiser steps) and returns the loss to report (the caller disposes it). */
  trainBatch(step: BatchStep): Promise<Tensor>;
}

/** One step on the configured objective: every classifier's weighted loss, plus the metric term. */
function singleStep(cfg: DrgradeConfig): TrainingScheme {
  return {
    async trainBatch({ model, optimizer, images, grades, epoch, precision }) {
      const loss = tidy(() => {
        const total = batchLoss(model, precision.forward(model, images), grades, cfg, epoch).total;
        precision.backward(total);
        return total;
      });
      await precision.step(optimizer);
      return loss;
    },
  };
}

/**
 * PMG's progressive training (official train.py): for each stage classifier in turn, a step on
 * its loss over a jigsaw of the batch (granularities[i] tiles per side, a fresh shuffle each
 * step), then a step on the concatenated classifier's loss over the whole images. Reports the sum
 * of the four losses, as the official code logs.
 */
function progressive(cfg: DrgradeConfig): TrainingScheme {
  const granularities = [...cfg.model.pmg.granularities, 1];
  return {
    async trainBatch({ model, optimizer, images, grades, precision }) {
      const losses: Tensor[] = [];
      for (const [i, n] of granularities.entries()) {
        losses.push(tidy(() => {
          // The trainer's generator, so a resumed run draws the same shuffles.
          const input = n === 1 ? images : jigsaw(images, n, jigsawOrder(n, defaultGenerator));
          const term = precision.forward(model, input).terms[i]!;
          const loss = classificationLoss(term.logits, grades, cfg).mul(term.weight * cfg.loss.classificationWeight);
          precision.backward(loss);
          return loss.detach();
        }));
        await precision.step(optimizer);
      }
      const sum = tidy(() => losses.slice(1).reduce((s, l) => s.add(l), losses[0]!));
      for (const l of losses) l.dispose();
      return sum;
    },
  };
}

/**
 * DFL's non-random layer initialisation before training: the mid-level maps of every training
 * image (eval mode, no augmentation), their peak patches grouped by grade, and each grade's
 * k-means centres as its filters.
 */
function filterBankInit(cfg: DrgradeConfig): TrainingScheme['prepare'] {
  return async (model, images) => {
    const net = model.net;
    if (!(net instanceof DFLResNet)) throw new Error(`DFL filter-bank initialisation: the model is a ${net.constructor.name}, not DFL`);
    const patches: Float32Array[][] = Array.from({ length: cfg.model.numClasses }, () => []);
    model.eval();
    for await (const batch of images.epoch(0)) {
      const maps = noGrad(() => tidy(() => net.midFeatures(tensor(batch.images, batch.shape))));
      const data = (await maps.toArray()) as Float32Array;
      peakPatches(data, maps.shape, cfg.model.dfl.initPatches).forEach((p, i) => patches[batch.labels[i]!]!.push(...p));
      maps.dispose();
    }
    await net.head.initializeFilterBank(patches);
    model.train();
  };
}

export function trainingScheme(cfg: DrgradeConfig): TrainingScheme {
  switch (cfg.model.type) {
    case 'resnet-pmg': return progressive(cfg);
    case 'resnet-dfl': {
      const prepare = cfg.model.dfl.initPatches > 0 ? filterBankInit(cfg) : undefined;
      return { ...singleStep(cfg), ...(prepare ? { prepare } : {}) };
    }
    default: return singleStep(cfg);
  }
}
