// Installs Tensor's fluent methods (declared by TensorMethods in tensor.ts) on its prototype. The
// package's index.ts imports this module once; tensor.ts imports no op, so the ops can import
// tensor.ts without a cycle.
import { Tensor, type TensorMethods } from '../tensor.ts';
import * as ops from './index.ts';

const methods: TensorMethods & ThisType<Tensor> = {
  backward(grad) { ops.backward(this, grad); },

  add(b) { return ops.add(this, b); },
  sub(b) { return ops.sub(this, b); },
  mul(b) { return ops.mul(this, b); },
  div(b) { return ops.div(this, b); },
  pow(b) { return ops.pow(this, b); },
  maximum(b) { return ops.maximum(this, b); },
  minimum(b) { return ops.minimum(this, b); },
  eq(b) { return ops.eq(this, b); },
  ne(b) { return ops.ne(this, b); },
  lt(b) { return ops.lt(this, b); },
  le(b) { return ops.le(this, b); },
  gt(b) { return ops.gt(this, b); },
  ge(b) { return ops.ge(this, b); },
  neg() { return ops.neg(this); },
  exp() { return ops.exp(this); },
  log() { return ops.log(this); },
  sqrt() { return ops.sqrt(this); },
  rsqrt() { return ops.rsqrt(this); },
  abs() { return ops.abs(this); },
  sign() { return ops.sign(this); },
  relu() { return ops.relu(this); },
  sigmoid() { return ops.sigmoid(this); },
  tanh() { return ops.tanh(this); },
  square() { return ops.square(this); },
  clamp(min, max) { return ops.clamp(this, min, max); },
  toFloat() { return ops.toFloat(this); },
  half() { return ops.cast(this, 'float16'); },
  float() { return ops.cast(this, 'float32'); },

  sum(axes, keepdim = false) { return ops.sum(this, axes, keepdim); },
  mean(axes, keepdim = false) { return ops.mean(this, axes, keepdim); },
  max(axes, keepdim = false) { return ops.max(this, axes, keepdim); },
  min(axes, keepdim = false) { return ops.min(this, axes, keepdim); },
  var(axes, keepdim = false, unbiased = false) { return ops.variance(this, axes, keepdim, unbiased); },
  logsumexp(axes, keepdim = false) { return ops.logsumexp(this, axes, keepdim); },
  argmax(axis, keepdim = false) { return ops.argmax(this, axis, keepdim); },
  argmin(axis, keepdim = false) { return ops.argmin(this, axis, keepdim); },

  matmul(b) { return ops.matmul(this, b); },
  softmax(axis = -1) { return ops.softmax(this, axis); },
  logSoftmax(axis = -1) { return ops.logSoftmax(this, axis); },

  reshape(shape) { return ops.reshape(this, shape); },
  flatten(startAxis = 0, endAxis = -1) { return ops.flatten(this, startAxis, endAxis); },
  permute(axes) { return ops.permute(this, axes); },
  transpose(a = -2, b = -1) { return ops.transpose(this, a, b); },
  expand(shape) { return ops.expand(this, shape); },
  slice(starts, ends, steps) { return ops.slice(this, starts, ends, steps); },
  pad(pads, value = 0) { return ops.pad(this, pads, value); },
  indexSelect(axis, index) { return ops.indexSelect(this, axis, index); },
  squeeze(axis) { return ops.squeeze(this, axis); },
  unsqueeze(axis) { return ops.unsqueeze(this, axis); },
  clone() { return ops.clone(this); },
};

// Non-enumerable, as methods written in the class body would be.
for (const [name, value] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value, writable: true, configurable: true });
}
