// How layers name themselves in error messages: class, sizes and dotted path.
import type { Tensor } from '@drgrade/tensor';
import type { Module } from '../module.ts';

/** `Linear 'classifier'`: the path comes from the parameter's name, set when the module was registered. */
export function moduleLabel(m: Module<unknown, unknown>, param: Tensor | null): string {
  const name = param?.name;
  const path = name && name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : null;
  return `${m.constructor.name}${path ? ` '${path}'` : ''}`;
}
