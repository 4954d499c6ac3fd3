// Mixed precision (PyTorch's torch.autocast): inside `autocast(fn)` the matrix products run in
// float16 on float16 copies of their inputs and of the float32 parameters (the master weights,
// whose gradients come back float32 through cast's backward); ops that need float32's range run
// in float32; every other op runs in its inputs' dtype where @drgrade/tensor has a float16 kernel
// for it, else in float32. Layers and models ask `autocastInput(s)` for each op's inputs: this
// file is the one place that decides which dtype an op sees.
import { cast, type DType, type Tensor } from '@drgrade/tensor';

/** How an op's floating-point inputs are cast inside autocast. */
type Rule =
  /** To float16: the convolutions and matrix products (PyTorch's float16 list), which sum in float32 inside the kernel. */
  | 'float16'
  /** To float32: the loss and what leads to it (means to the logits, log-softmax), whose range or rounding float16 cannot hold (PyTorch's float32 list). */
  | 'float32'
  /** The widest of the inputs' dtypes, where the op takes float16 (TAKES_FLOAT16); float32 otherwise. */
  | 'inputs';

/** Every op a layer or model of @drgrade/nn routes through autocast, by the @drgrade/tensor function that runs it. */
const RULES = {
  conv2d: 'float16',
  matmul: 'float16',
  mean: 'float32',
  logSoftmax: 'float32',
  loss: 'float32',
  add: 'inputs',
  mul: 'inputs',
  relu: 'inputs',
  elu: 'inputs',
  max: 'inputs',
  batchNorm: 'inputs',
  maxPool2d: 'inputs',
  avgPool2d: 'inputs',
  adaptiveAvgPool2d: 'inputs',
  adaptiveMaxPool2d: 'inputs',
  interpolate: 'inputs',
  // The bilinear heads: their kernels sum over space and norms in float32 and round once. The HBP
  // interaction's float16 output holds a sum over H·W (at most 65504: at the paper's 16x16 grid a
  // mean |a·b| below 256); signedSqrt and normalize bring it back to [-1, 1] for the classifier.
  hbpInteraction: 'inputs',
  bilinearPool: 'inputs',
  signedSqrt: 'inputs',
  normalize: 'inputs',
  writeChannels: 'inputs',
  concat: 'inputs',
  stack: 'inputs',
} as const satisfies Record<string, Rule>;

export type AutocastOp = keyof typeof RULES;

/**
 * The 'inputs' ops that @drgrade/tensor runs on float16 tensors (all of them now). When another
 * 'inputs' op is added before its float16 kernel, leave it out here: its float16 inputs then widen
 * to float32 instead of being refused.
 */
const TAKES_FLOAT16: ReadonlySet<AutocastOp> = new Set<AutocastOp>([
  'add', 'mul', 'relu', 'elu', 'max', 'batchNorm', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'adaptiveMaxPool2d', 'interpolate',
  'hbpInteraction', 'bilinearPool', 'signedSqrt', 'normalize', 'writeChannels', 'concat', 'stack',
]);

/** The ops that keep float16 inputs (for tests that check each really takes them). */
export function float16Ops(): AutocastOp[] {
  return (Object.keys(RULES) as AutocastOp[]).filter((op) => RULES[op] === 'float16' || TAKES_FLOAT16.has(op));
}

let enabled = false;

/** Whether ops run under autocast's precision rules now. */
export function isAutocastEnabled(): boolean {
  return enabled;
}

export interface AutocastOptions {
  /** false runs `fn` with autocast off (a float32 region inside an autocast one, or a switch from configuration). Default true. */
  enabled?: boolean;
}

/**
 * Runs `fn` (synchronous: the setting is not carried across an await) with autocast on or off.
 * Gradients of float32 parameters stay float32; a loss computed from the outputs should take them
 * through `autocastInput('loss', ...)` (or run outside), as losses need float32.
 */
export function autocast<T>(fn: () => T, opts: AutocastOptions = {}): T {
  const prev = enabled;
  enabled = opts.enabled ?? true;
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('autocast(fn): fn must be synchronous (ops after an await would not see the setting)');
    return result;
  } finally {
    enabled = prev;
  }
}

function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype || x.dtype === 'int32' ? x : cast(x, dtype);
}

/** The dtype `op` runs in on inputs of these dtypes under autocast. */
function runDtype(op: AutocastOp, dtypes: DType[]): DType {
  const rule: Rule = RULES[op];
  if (rule !== 'inputs') return rule;
  return TAKES_FLOAT16.has(op) && dtypes.every((d) => d !== 'float32') ? 'float16' : 'float32';
}

/** `x` cast for `op` (unchanged outside autocast, and for int32 tensors). */
export function autocastInput(op: AutocastOp, x: Tensor): Tensor {
  return enabled ? castTo(x, runDtype(op, [x.dtype])) : x;
}

/** A tuple of tensors, as mutable as an array (what concat and stack take). */
type Tensors<T extends readonly Tensor[]> = { -readonly [K in keyof T]: Tensor };

/** `xs` cast for `op`, all to one float dtype (unchanged outside autocast). */
export function autocastInputs<const T extends readonly Tensor[]>(op: AutocastOp, xs: T): Tensors<T> {
  const dtype = enabled ? runDtype(op, xs.filter((x) => x.dtype !== 'int32').map((x) => x.dtype)) : null;
  return xs.map((x) => (dtype ? castTo(x, dtype) : x)) as Tensors<T>;
}
