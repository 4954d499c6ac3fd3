// ReLU as a layer (Sequential models such as VGG list it between convolutions).
import type { Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}
