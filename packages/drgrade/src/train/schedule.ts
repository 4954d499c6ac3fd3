// Optimiser and learning-rate schedule from a configuration.
import { Adam, AdamW, LRScheduler, SGD, type Hyper, type Optimizer } from '@drgrade/nn';
import type { DrgradeConfig } from '../config/index.ts';
import type { GradingModel } from './model.ts';

/**
 * Three parameter groups: backbone (lr), head (lr × headLrMultiplier) and SoftTriple centres
 * (lr × centersLrMultiplier, no weight decay: decay would pull the centres towards 0, where
 * their normalisation is undefined).
 */
export function makeOptimizer(model: GradingModel, cfg: DrgradeConfig): Optimizer<Hyper> {
  const o = cfg.optim;
  const groups = model.parameterGroups();
  const list = [
    { params: groups.backbone, lr: o.lr },
    { params: groups.head, lr: o.lr * o.headLrMultiplier },
    ...(groups.centers.length ? [{ params: groups.centers, lr: o.lr * cfg.loss.metric.centersLrMultiplier, weightDecay: 0 }] : []),
  ].filter((g) => g.params.length > 0);
  switch (o.type) {
    case 'sgd': return new SGD(list, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
    case 'adam': return new Adam(list, { lr: o.lr, weightDecay: o.weightDecay });
    case 'adamw': return new AdamW(list, { lr: o.lr, weightDecay: o.weightDecay });
  }
}

/** Learning-rate factor at `epoch` (0-based): linear warm-up, then step, multistep, cosine or constant. */
export function lrFactor(cfg: DrgradeConfig, epoch: number): number {
  const s = cfg.optim.schedule;
  if (epoch < s.warmupEpochs) return (epoch + 1) / (s.warmupEpochs + 1);
  const e = epoch - s.warmupEpochs;
  switch (s.type) {
    case 'step': return s.gamma ** Math.floor(e / s.stepSize);
    case 'multistep': return s.gamma ** s.milestones.filter((m) => m <= epoch).length;
    case 'cosine': {
      const total = Math.max(1, cfg.train.epochs - s.warmupEpochs);
      return 0.5 * (1 + Math.cos((Math.PI * Math.min(e, total)) / total));
    }
    case 'constant': return 1;
  }
}

export function makeScheduler(optimizer: Optimizer<Hyper>, cfg: DrgradeConfig): LRScheduler {
  return new LRScheduler(optimizer, (epoch, base) => base * lrFactor(cfg, epoch));
}
