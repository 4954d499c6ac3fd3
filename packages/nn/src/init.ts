// Weight initialisation with PyTorch's formulas (torch.nn.init), drawn from a seedable generator.
// Values differ from PyTorch's (another random number generator); distributions are the same.
import { defaultGenerator, rand, randn, type Generator, type Tensor } from '@drgrade/tensor';

/** Options every layer takes: the generator its initial weights come from (default: the global one, see manualSeed). */
export interface InitOptions {
  generator?: Generator;
}

export function generatorOf(opts: InitOptions): Generator {
  return opts.generator ?? defaultGenerator;
}

/** fan_in of a weight [out, in, ...kernel]: in · kernel size. */
export function fanIn(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** fan_out of a weight [out, in, ...kernel]: out · kernel size. */
export function fanOut(shape: readonly number[]): number {
  return shape[0]! * shape.slice(2).reduce((a, b) => a * b, 1);
}

/** U(-bound, bound). */
export function uniform(shape: number[], bound: number, g: Generator): Tensor {
  return rand(shape, { low: -bound, high: bound, generator: g });
}

/** N(0, std²). */
export function normal(shape: number[], std: number, g: Generator): Tensor {
  return randn(shape, { std, generator: g });
}

/**
 * kaiming_uniform_(w, a) with fan_in and leaky_relu gain √(2 / (1 + a²)): bound = gain·√(3 / fan).
 * With a = √5 (PyTorch's default for Linear and Conv) the bound is 1/√fan_in.
 */
export function kaimingUniform(shape: number[], a: number, g: Generator, fan = fanIn(shape)): Tensor {
  const gain = Math.sqrt(2 / (1 + a * a));
  return uniform(shape, gain * Math.sqrt(3 / fan), g);
}

/** kaiming_normal_ for ReLU: std = √2 / √fan (fan_in by default; VGG uses fan_out). */
export function kaimingNormal(shape: number[], g: Generator, fan = fanIn(shape)): Tensor {
  return normal(shape, Math.sqrt(2 / fan), g);
}
