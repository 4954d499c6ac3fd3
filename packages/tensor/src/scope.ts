import type { Tensor } from './tensor.ts';

/**
 * Deterministic release of device memory. Tensors created inside `tidy(fn)` are disposed when
 * `fn` returns, except the tensors it returns (which move to the enclosing scope) and those
 * passed to `keep`. Outside any scope a tensor lives until `dispose()`.
 */
const scopes: Set<Tensor>[] = [];
let gradEnabled = true;

export function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}

/** Removes `t` from every scope so no `tidy` disposes it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, into: Set<Tensor>, isTensor: (v: unknown) => v is Tensor): void {
  if (isTensor(value)) { into.add(value); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, into, isTensor); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, into, isTensor); return; }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, isTensor);
  }
}

let tensorCheck: (v: unknown) => v is Tensor = (_v): _v is Tensor => false;
export function setTensorCheck(f: (v: unknown) => v is Tensor): void { tensorCheck = f; }

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new TypeError('tidy(fn): fn must be synchronous (tensors made after an await would escape the scope); await outside tidy.');
    }
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collect(result, kept, tensorCheck);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
  return result;
}

/** Runs `fn` without recording operations for autograd. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try { return fn(); } finally { gradEnabled = prev; }
}

export function isGradEnabled(): boolean { return gradEnabled; }
export function setGradEnabled(on: boolean): void { gradEnabled = on; }
