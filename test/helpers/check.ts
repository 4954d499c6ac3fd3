// Numerical comparisons that say where and by how much a result is off.
import * as assert from 'uvu/assert';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  label?: string;
}

/** |actual − expected| ≤ atol + rtol·|expected| elementwise; names the worst element otherwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 1e-4;
  const atol = opts.atol ?? 1e-5;
  const label = opts.label ? `${opts.label}: ` : '';
  assert.is(actual.length, expected.length, `${label}length ${actual.length} vs expected ${expected.length}`);
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const diff = Math.abs(a - e);
    const ratio = diff === 0 ? 0 : diff / (atol + rtol * Math.abs(e));
    if (!(ratio <= worstRatio)) { worstRatio = Number.isNaN(ratio) ? Infinity : ratio; worst = i; }
  }
  if (worstRatio > 1) {
    assert.unreachable(`${label}element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst]! - expected[worst]!).toExponential(3)} exceeds atol ${atol} + rtol ${rtol}·|expected|)`);
  }
}

/** Largest relative error max|a−e| / max|e| (a scale-aware figure for reports). */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i]! - expected[i]!));
    den = Math.max(den, Math.abs(expected[i]!));
  }
  return num / (den || 1);
}

/** Seeded uniform numbers for test inputs (a different seed per call site keeps inputs fresh). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return out;
}
