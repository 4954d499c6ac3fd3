// Identity: a placeholder layer that returns its input (e.g. to drop a head without changing names).
import type { Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';

export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
