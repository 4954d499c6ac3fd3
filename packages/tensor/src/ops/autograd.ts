// Reverse-mode differentiation over the graph that `record` builds (tensor.ts).
import { TensorError } from '../errors.ts';
import { keep, noGrad, tidy } from '../scope.ts';
import { sameShape } from '../shape.ts';
import { nextTensorId, Tensor } from '../tensor.ts';
import { cast } from './cast.ts';
import { addChannelsInto, channelGradMismatch, materialise, type ChannelGrad } from './channel_grad.ts';
import { add } from './elementwise.ts';
import { ones, zeros } from './creation.ts';
import { clone } from './movement.ts';

/** Backward rules read their saved inputs; a disposed one gets a clear error instead of a GPU fault. */
function assertAlive(t: Tensor): void {
  for (const input of t.node!.inputs) {
    if (input.isDisposed) throw new TensorError(`backward of ${t.node!.op}: its input ${input.describe()} was disposed before backward() (run backward inside the same tidy as the forward pass)`);
  }
}

/**
 * a + b, two gradients of one tensor, as float32: float16 gradients are widened first, because
 * the backward pass keeps a float16 tensor's running sum in float32 and rounds it to float16
 * once, when the sum is consumed: k contributions round once instead of k − 1 times, and the
 * wider copy lives only while the gradient is pending (the cast temporaries go with this tidy).
 */
function sumAsFloat32(a: Tensor, b: Tensor): Tensor {
  return tidy(() => add(a.dtype === 'float32' ? a : cast(a, 'float32'), b.dtype === 'float32' ? b : cast(b, 'float32')));
}

/** a + b in a's dtype: a leaf's stored gradient plus this pass's. */
function sumInto(a: Tensor, b: Tensor): Tensor {
  const sum = sumAsFloat32(a, b);
  if (sum.dtype === a.dtype) return sum;
  const rounded = cast(sum, a.dtype);
  sum.dispose();
  return rounded;
}

/** A pending gradient: a whole one, or one over a channel range of its tensor. */
type Gradient = Tensor | ChannelGrad;

const tensorOf = (g: Gradient): Tensor => (g instanceof Tensor ? g : g.grad);

/**
 * The sum of two gradients of `input`, the one decision of how gradients add up. Two whole ones
 * are summed as float32 (sumAsFloat32). A channel-range one goes into a whole one in place, over
 * its channels only (no zero-padded temporary, no add over the whole tensor), when the pass owns
 * that whole one (`owns`: nothing else can read it) and it is float32; otherwise into a float32
 * copy of it (a float16 gradient's running sum is kept in float32, as sumAsFloat32's). Two
 * channel-range ones go into float32 zeros of the input's shape.
 */
function addGradients(a: Gradient, b: Gradient, input: Tensor, owns: (t: Tensor) => boolean): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) return sumAsFloat32(a, b);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    const sum = zeros(input.shape);
    addChannelsInto(sum, a);
    addChannelsInto(sum, b);
    return sum;
  }
  const [whole, part] = a instanceof Tensor ? [a, b as ChannelGrad] : [b as Tensor, a as ChannelGrad];
  if (owns(whole) && whole.dtype === 'float32') {
    addChannelsInto(whole, part);
    return whole;
  }
  const sum = whole.dtype === 'float32' ? clone(whole) : cast(whole, 'float32');
  addChannelsInto(sum, part);
  return sum;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    if (i === 0) { if (seen.has(t)) { stack.pop(); continue; } seen.add(t); }
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (next.requiresGrad && !seen.has(next)) stack.push([next, 0]);
    } else { stack.pop(); order.push(t); }
  }
  return order;
}

/**
 * Accumulates d(root)/d(leaf) into `leaf.grad` for every leaf with requiresGrad. `grad` is the
 * upstream gradient (default 1 for a scalar root). Leaf gradients are kept until the leaf is
 * disposed or zeroed. Everything else this pass makes is freed as soon as it is spent: each rule
 * runs in its own `tidy` (its temporaries go when it returns), and a gradient is disposed once
 * its node has consumed it or it has been summed into another, unless it is still the pending
 * gradient of another tensor (a rule may hand the same tensor to two inputs). Without this, every
 * intermediate gradient lived until the pass ended: DenseNet169's backward at 256x256 batch 2 held
 * 716 MiB beyond the forward's activations.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  gradientPass(root, grad, []);
}

/**
 * backward(root, grad), except that the gradients of `leaves` (tensors without a node) are
 * returned rather than stored in their .grad, one per leaf (null where root does not depend on
 * it), a channel-range one as such: what a checkpoint's rule hands on to the outer pass.
 */
export function leafGradients(root: Tensor, grad: Tensor, leaves: readonly Tensor[]): (Gradient | null)[] {
  return gradientPass(root, grad, leaves);
}

function gradientPass(root: Tensor, grad: Tensor | undefined, returned: readonly Tensor[]): (Gradient | null)[] {
  if (!root.requiresGrad) throw new TensorError(`backward(): ${root.describe()} does not require grad (no input had requiresGrad, or it was made under noGrad)`);
  if (!grad && root.size !== 1) throw new TensorError(`backward(): ${root.describe()} is not a scalar; pass the upstream gradient`);
  if (grad && !sameShape(grad.shape, root.shape)) throw new TensorError(`backward(): gradient ${grad.describe()} does not match ${root.describe()}`);
  const order = topoOrder(root);
  const wanted = new Set(returned);
  return noGrad(() => tidy(() => {
    // Tensors made by this pass have ids from here on; only those may be freed early (never the
    // caller's `grad`, nor a forward tensor a rule might return as a gradient).
    const firstId = nextTensorId();
    const grads = new Map<Tensor, Gradient>();
    const pending = new Map<Tensor, number>();
    const hold = (g: Gradient) => { const t = tensorOf(g); pending.set(t, (pending.get(t) ?? 0) + 1); };
    const release = (g: Gradient) => {
      const t = tensorOf(g);
      const n = (pending.get(t) ?? 0) - 1;
      if (n > 0) { pending.set(t, n); return; }
      pending.delete(t);
      if (t.id >= firstId) t.dispose();
    };
    // Whether a whole gradient may be changed in place: only when nothing else can read it. It was
    // made by this pass (not the caller's `grad`, nor a forward tensor a rule returned), it is
    // pending for one tensor at most (a rule may pass its upstream gradient on, to several inputs),
    // and no view shares its storage (a leaf's .grad is a view of the gradient it was given; a
    // rule may return a view of its upstream gradient). `given` counts the tensors the rule being
    // summed returned: one it returned for two inputs is not owned by either.
    let given = new Map<Tensor, number>();
    const owns = (t: Tensor) => t.id >= firstId && (pending.get(t) ?? 0) + (given.get(t) ?? 0) === 1 && t.storage.refs === 1;
    const found = new Map<Tensor, Gradient>();
    const start = grad ?? ones(root.shape);
    grads.set(root, start);
    hold(start);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const p = grads.get(t);
      if (!p) continue;
      grads.delete(t);
      let g: Tensor;
      if (p instanceof Tensor) g = p;
      else if (wanted.has(t)) { found.set(t, p); continue; }
      else {
        // A channel-range gradient is made whole where it is consumed: by a rule, or as a leaf's .grad.
        g = materialise(p, t);
        hold(g);
        release(p);
      }
      if (t.dtype === 'float16' && g.dtype === 'float32') {
        // A float16 tensor's gradients summed in float32 (sumAsFloat32): round once, here.
        const rounded = cast(g, t.dtype);
        hold(rounded);
        release(g);
        g = rounded;
      }
      if (wanted.has(t)) { found.set(t, g); continue; }
      if (!t.node) {
        const acc = t.grad ? sumInto(t.grad, g) : g === grad ? clone(g) : g;
        if (t.grad && t.grad !== acc) t.grad.dispose();
        t.grad = keep(acc.view(t.shape));
        if (acc !== g) acc.dispose();
        release(g);
        continue;
      }
      assertAlive(t);
      const node = t.node;
      const inputGrads = tidy(() => node.backward(g));
      given = new Map();
      for (const gi of inputGrads) if (gi) given.set(tensorOf(gi), (given.get(tensorOf(gi)) ?? 0) + 1);
      node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        const mismatch = gi instanceof Tensor
          ? (sameShape(gi.shape, input.shape) ? null : `gradient ${gi.describe()} does not match input ${input.describe()}`)
          : channelGradMismatch(gi, input);
        if (mismatch) throw new TensorError(`backward of ${node.op}: ${mismatch}`);
        const prev = grads.get(input);
        const sum = prev ? addGradients(prev, gi, input, owns) : gi;
        const taken = tensorOf(gi);
        given.set(taken, given.get(taken)! - 1);
        if (prev && sum === prev) return;
        grads.set(input, sum);
        hold(sum);
        if (prev) release(prev);
      });
      // Gradients summed into another, or made for an input that wants none, are spent.
      for (const gi of new Set(inputGrads.map((x) => x && tensorOf(x)))) {
        if (gi && gi !== g && !pending.has(gi) && gi.id >= firstId) gi.dispose();
      }
      release(g);
    }
    // Returned, these escape this tidy; what the pass made for them is the caller's now.
    return returned.map((leaf) => found.get(leaf) ?? null);
  }));
}
