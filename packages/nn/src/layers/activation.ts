// Activations as layers (Sequential models such as VGG list them between convolutions).
import { elu, type Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return autocastInput('relu', x).relu(); }
}

/** torch.nn.ELU: x where x > 0, alpha·(eˣ − 1) elsewhere. */
export class ELU extends Module {
  constructor(readonly alpha = 1) { super(); }
  forward(x: Tensor): Tensor { return elu(autocastInput('elu', x), this.alpha); }
}
