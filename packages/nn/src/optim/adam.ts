// Adam and AdamW as torch.optim.Adam / AdamW (bias-corrected moments, optional AMSGrad):
//   m = β₁m + (1 − β₁)g,  v = β₂v + (1 − β₂)g²,
//   p = p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
// Adam adds wd·p to the gradient; AdamW multiplies p by (1 − lr·wd) first (decoupled decay).
import { adamStep, zeros, type Tensor } from '@drgrade/tensor';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.ts';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

type AdamHyper = Required<AdamOptions>;

function hyper(opts: AdamOptions, weightDecay: number): AdamHyper {
  return { lr: opts.lr ?? 1e-3, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? weightDecay, amsgrad: opts.amsgrad ?? false };
}

abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected validate(g: ParamGroup<AdamHyper>): void {
    const name = this.constructor.name;
    if (!(g.lr >= 0)) throw new Error(`${name}: invalid learning rate ${g.lr}`);
    if (!(g.eps >= 0)) throw new Error(`${name}: invalid eps ${g.eps}`);
    const [b1, b2] = g.betas;
    if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new Error(`${name}: invalid betas [${b1}, ${b2}]`);
    if (!(g.weightDecay >= 0)) throw new Error(`${name}: invalid weightDecay ${g.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamHyper>, s: ParamState): void {
    const [beta1, beta2] = g.betas;
    const step = ((s.step as number | undefined) ?? 0) + 1;
    s.step = step;
    const m = (s.exp_avg as Tensor | undefined) ?? this.keepState(s, 'exp_avg', zeros([...p.shape]));
    const v = (s.exp_avg_sq as Tensor | undefined) ?? this.keepState(s, 'exp_avg_sq', zeros([...p.shape]));
    const max = g.amsgrad ? (s.max_exp_avg_sq as Tensor | undefined) ?? this.keepState(s, 'max_exp_avg_sq', zeros([...p.shape])) : null;
    // One fused kernel (ops/optim.ts in @drgrade/tensor) updates p and the moments in place.
    adamStep(p, grad, m, v, max, { lr: g.lr, beta1, beta2, eps: g.eps, weightDecay: g.weightDecay, decoupled: this.decoupled, step });
  }
}

export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: Tensor[] | ParamGroupInput<AdamHyper>[], opts: AdamOptions = {}) {
    super(params, hyper(opts, 0));
  }
}

/** AdamW: PyTorch's default weight decay here is 0.01. */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Tensor[] | ParamGroupInput<AdamHyper>[], opts: AdamOptions = {}) {
    super(params, hyper(opts, 1e-2));
  }
}
