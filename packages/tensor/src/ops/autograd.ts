// Reverse-mode differentiation over the graph that `record` builds (tensor.ts).
import { TensorError } from '../errors.ts';
import { keep, noGrad, tidy } from '../scope.ts';
import { sameShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { add } from './elementwise.ts';
import { ones } from './creation.ts';

/** Backward rules read their saved inputs; a disposed one gets a clear error instead of a GPU fault. */
function assertAlive(t: Tensor): void {
  for (const input of t.node!.inputs) {
    if (input.isDisposed) throw new TensorError(`backward of ${t.node!.op}: its input ${input.describe()} was disposed before backward() (run backward inside the same tidy as the forward pass)`);
  }
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
 * upstream gradient (default 1 for a scalar root). Intermediate gradients are freed as soon as
 * they have been propagated; leaf gradients are kept until the leaf is disposed or zeroed.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new TensorError(`backward(): ${root.describe()} does not require grad (no input had requiresGrad, or it was made under noGrad)`);
  if (!grad && root.size !== 1) throw new TensorError(`backward(): ${root.describe()} is not a scalar; pass the upstream gradient`);
  if (grad && !sameShape(grad.shape, root.shape)) throw new TensorError(`backward(): gradient ${grad.describe()} does not match ${root.describe()}`);
  const order = topoOrder(root);
  noGrad(() => tidy(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, grad ?? ones(root.shape));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        const acc = t.grad ? add(t.grad, g) : g === grad ? g.clone() : g;
        if (t.grad && t.grad !== acc) t.grad.dispose();
        t.grad = keep(acc.view(t.shape));
        continue;
      }
      assertAlive(t);
      const inputGrads = t.node.backward(g);
      t.node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        if (!sameShape(gi.shape, input.shape)) {
          throw new TensorError(`backward of ${t.node!.op}: gradient ${gi.describe()} does not match input ${input.describe()}`);
        }
        const prev = grads.get(input);
        grads.set(input, prev ? add(prev, gi) : gi);
      });
    }
  }));
}
