// Parameter-free element-wise layers.
import type { Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
