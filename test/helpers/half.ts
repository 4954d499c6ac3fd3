// Float16 tolerances, shared by the float16 tests: the spacing of float16 values and an
// elementwise bound check that names the worst element.
import * as assert from 'uvu/assert';

/** The distance from |v| to the next float16 above it (subnormal spacing 2^-24 below 2^-14). */
export function halfStep(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
}

/** |actual − expected| ≤ bound(i) elementwise, naming the first element past it otherwise. */
export function assertWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, bound: (i: number) => number, label: string): void {
  assert.is(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= bound(i))) assert.unreachable(`${label}: element ${i} got ${actual[i]}, expected ${expected[i]} (|diff| ${d.toExponential(3)} > ${bound(i).toExponential(3)})`);
  }
}
