// Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, exactly as
// torch.optim.SGD:  d = g + wd·p;  b = μ·b + (1 − τ)·d (b = d at the first step);
// d = d + μ·b (Nesterov) or b;  p = p − lr·d.
import { sgdStep, zeros, type Tensor } from '@drgrade/tensor';
import { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.ts';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

type SGDHyper = Required<SGDOptions>;

export class SGD extends Optimizer<SGDHyper> {
  constructor(params: Tensor[] | ParamGroupInput<SGDHyper>[], opts: SGDOptions) {
    super(params, { lr: opts.lr, momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, weightDecay: opts.weightDecay ?? 0, nesterov: opts.nesterov ?? false });
  }

  protected validate(g: ParamGroup<SGDHyper>): void {
    if (!(g.lr >= 0)) throw new Error(`SGD: invalid learning rate ${g.lr}`);
    if (!(g.momentum >= 0)) throw new Error(`SGD: invalid momentum ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new Error(`SGD: invalid weightDecay ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new Error('SGD: Nesterov momentum requires momentum > 0 and dampening 0');
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDHyper>, s: ParamState): void {
    const momentum = g.momentum !== 0;
    let buf = (s.momentum_buffer as Tensor | undefined) ?? null;
    const first = momentum && buf === null;
    if (first) buf = this.keepState(s, 'momentum_buffer', zeros([...p.shape]));
    // One fused kernel (ops/optim.ts in @drgrade/tensor) updates p and the buffer in place.
    sgdStep(p, grad, momentum ? buf : null, {
      lr: g.lr, momentum: g.momentum, dampening: g.dampening, weightDecay: g.weightDecay, nesterov: g.nesterov, first,
    });
  }
}
