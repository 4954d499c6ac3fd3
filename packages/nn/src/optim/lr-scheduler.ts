// Learning-rate schedules with torch.optim.lr_scheduler's semantics: constructing one sets the
// epoch-0 rate, each step() advances one epoch. Every schedule is a closed form of the epoch and
// the group's initial rate, so schedules compose (SequentialLR) and restore from a state dict
// without replaying history.
import type { Hyper, Optimizer } from './optimizer.ts';

/** The learning rate at `epoch` for a parameter group whose initial rate is `baseLr`. */
export type Schedule = (epoch: number, baseLr: number) => number;

export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
}

export class LRScheduler {
  lastEpoch = -1;
  readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer<Hyper>, readonly lrAt: Schedule) {
    // The first scheduler records each group's starting rate; later ones scale the same rate.
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.step();
  }

  /** Advances one epoch (or iteration, for per-iteration schedules) and sets every group's rate. */
  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!); });
  }

  /** The rates set by the last step, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Restores the epoch counter; the optimiser's own state dict restores the current rates. */
  loadStateDict(s: SchedulerStateDict): void {
    if (s.baseLrs.length !== this.baseLrs.length) {
      throw new Error(`${this.constructor.name}.loadStateDict: ${s.baseLrs.length} base rate(s) in the state, ${this.baseLrs.length} parameter group(s) here`);
    }
    this.lastEpoch = s.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...s.baseLrs);
  }
}

function bisectRight(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
}

function checkMilestones(name: string, milestones: readonly number[]): void {
  if (milestones.length === 0 || milestones.some((m, i) => !Number.isInteger(m) || m < 0 || (i > 0 && m <= milestones[i - 1]!))) {
    throw new Error(`${name}: milestones [${milestones.join(', ')}] must be increasing non-negative integers`);
  }
}

/** Multiplies the rate by gamma every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<Hyper>, opts: { stepSize: number; gamma?: number }) {
    const { stepSize } = opts;
    const gamma = opts.gamma ?? 0.1;
    if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new Error(`StepLR: stepSize ${stepSize} must be a positive integer`);
    super(optimizer, (e, base) => base * gamma ** Math.floor(e / stepSize));
  }
}

/** Multiplies the rate by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  constructor(optimizer: Optimizer<Hyper>, opts: { milestones: number[]; gamma?: number }) {
    const milestones = [...opts.milestones];
    const gamma = opts.gamma ?? 0.1;
    checkMilestones('MultiStepLR', milestones);
    super(optimizer, (e, base) => base * gamma ** bisectRight(milestones, e));
  }
}

/** Cosine from the initial rate down to etaMin over tMax epochs (and back up after, as PyTorch's). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<Hyper>, opts: { tMax: number; etaMin?: number }) {
    const { tMax } = opts;
    const etaMin = opts.etaMin ?? 0;
    if (!(tMax > 0)) throw new Error(`CosineAnnealingLR: tMax ${tMax} must be positive`);
    super(optimizer, (e, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * e) / tMax))) / 2);
  }
}

/**
 * Scales the rate linearly from startFactor to endFactor over totalIters epochs, then holds it:
 * the linear warm-up. Follow it with another schedule through SequentialLR.
 */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer<Hyper>, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    const start = opts.startFactor ?? 1 / 3;
    const end = opts.endFactor ?? 1;
    const total = opts.totalIters ?? 5;
    if (!(start > 0 && start <= 1) || !(end >= 0 && end <= 1)) throw new Error(`LinearLR: factors ${start} → ${end} must lie in (0, 1] and [0, 1]`);
    if (!(Number.isInteger(total) && total > 0)) throw new Error(`LinearLR: totalIters ${total} must be a positive integer`);
    super(optimizer, (e, base) => base * (start + ((end - start) * Math.min(e, total)) / total));
  }
}

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` counting its epochs from that
 * milestone, and so on (torch.optim.lr_scheduler.SequentialLR), e.g. LinearLR warm-up then
 * CosineAnnealingLR.
 */
export class SequentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<Hyper>, schedulers: LRScheduler[], milestones: number[]) {
    if (schedulers.length !== milestones.length + 1) {
      throw new Error(`SequentialLR: ${schedulers.length} scheduler(s) need ${schedulers.length - 1} milestone(s), got ${milestones.length}`);
    }
    checkMilestones('SequentialLR', milestones);
    if (schedulers.some((s) => s.optimizer !== optimizer)) throw new Error('SequentialLR: every scheduler must drive the same optimiser');
    const parts = schedulers.map((s) => s.lrAt);
    super(optimizer, (e, base) => {
      const i = bisectRight(milestones, e);
      return parts[i]!(i === 0 ? e : e - milestones[i - 1]!, base);
    });
  }
}
