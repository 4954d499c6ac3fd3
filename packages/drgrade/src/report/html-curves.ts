// The report's learning curves: every fold's held-out kappa by epoch, the mean over folds, and
// each fold's selected epoch; with a moving average of the weights (train.ema), the curves are the
// average's, and a dashed line gives the mean of the trained weights' own.
import { lineChart, type Series } from './svg.ts';
import type { FoldResult } from './summary.ts';

const FOLD_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** How a fold's reported epoch was chosen, in words; runs of older versions chose it by the held-out kappa itself. */
export function selectionLabel(f: FoldResult): string {
  return f.selection === 'validation' ? 'best kappa on a validation split of the training folds'
    : f.selection === 'last' ? 'last epoch (fixed schedule)' : 'best held-out kappa (older run: optimistic)';
}

/** Mean held-out kappa (of the model each epoch evaluated, or the trained weights' own) at each epoch that every fold reached. */
function meanCurve(folds: FoldResult[], of: 'valKappa' | 'rawValKappa' = 'valKappa'): [number, number][] {
  const epochs = [...new Set(folds.flatMap((f) => f.history.map((h) => h.epoch)))].sort((a, b) => a - b);
  return epochs.flatMap((e) => {
    const ks = folds.map((f) => f.history.find((h) => h.epoch === e)?.[of]);
    return ks.every((k): k is number => k !== undefined && Number.isFinite(k)) ? [[e, ks.reduce((a, b) => a + b, 0) / ks.length] as [number, number]] : [];
  });
}

export function kappaCurves(folds: FoldResult[]): string {
  const color = (i: number) => FOLD_COLORS[i % FOLD_COLORS.length]!;
  const series: Series[] = folds.map((f, i) => ({ name: `fold ${f.fold}`, color: color(i), markers: true, width: 1.5, points: f.history.map((h) => [h.epoch, h.valKappa] as [number, number]) }));
  if (folds.length > 1) series.push({ name: 'mean over folds', color: '#000', markers: false, width: 3, points: meanCurve(folds) });
  const raw = meanCurve(folds, 'rawValKappa');
  if (raw.length > 0) series.push({ name: `trained weights${folds.length > 1 ? ', mean' : ''} (not averaged)`, color: '#000', markers: false, width: 2, dashed: true, points: raw });
  const highlights = folds.flatMap((f, i) => {
    const h = f.history.find((e) => e.epoch === f.bestEpoch);
    return h ? [{ x: h.epoch, y: h.valKappa, color: color(i), title: `fold ${f.fold}: epoch ${h.epoch} selected (${selectionLabel(f)}), held-out kappa ${h.valKappa.toFixed(3)}` }] : [];
  });
  return `<figure id="kappa-curves">${lineChart('Held-out kappa by epoch', 'epoch', series, { width: 720, height: 300, highlights, highlightName: 'selected epoch' })}</figure>`;
}
