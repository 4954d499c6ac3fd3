// Number formats of the HTML report: undefined values (null, NaN) show as a dash.
const defined = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);

export const f3 = (x: number | null | undefined): string => (defined(x) ? x.toFixed(3) : '–');

export const percent = (x: number | null | undefined): string => (defined(x) ? `${x.toFixed(1)}%` : '–');

/** "0.812 ± 0.034" from a mean and a std (a dash where either is missing). */
export const pm = (mean: number | null | undefined, std: number | null | undefined): string => `${f3(mean)} ± ${f3(std)}`;
