// Number formats of the HTML report and eval's text: undefined values (null, NaN) show as a dash.
import type { DrMetrics } from '../metrics/dr-metrics.ts';

const defined = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);

export const f3 = (x: number | null | undefined): string => (defined(x) ? x.toFixed(3) : '–');

export const percent = (x: number | null | undefined): string => (defined(x) ? `${x.toFixed(1)}%` : '–');

/** "0.812 ± 0.034" from a mean and a std (a dash where either is missing). */
export const pm = (mean: number | null | undefined, std: number | null | undefined): string => `${f3(mean)} ± ${f3(std)}`;

type ScreeningPoint = DrMetrics['referable']['operatingPoints'][number];

/** "at sensitivity ≥ 0.80: sensitivity 0.812, specificity 0.654 (P(grade ≥ 2) ≥ 0.213)". */
export function operatingPointText(p: ScreeningPoint): string {
  const cut = p.threshold === null ? (p.sensitivity === null ? '' : ' (nothing called referable)') : ` (P(grade ≥ 2) ≥ ${p.threshold.toFixed(3)})`;
  return `at ${p.fix} ≥ ${p.at.toFixed(2)}: sensitivity ${f3(p.sensitivity)}, specificity ${f3(p.specificity)}${cut}`;
}

/** " [0.412, 0.655]" after a figure, or "" where its interval is undefined. */
export function intervalText(interval: readonly [number, number] | null): string {
  return interval ? ` [${f3(interval[0])}, ${f3(interval[1])}]` : '';
}
