export { renderReport } from './html.ts';
export { formatPredictionsCsv, type PredictionGroup } from './predictions-csv.ts';
export type { OutOfFold, FoldReferable, FoldSpread } from './out-of-fold.ts';
export type { Provenance } from './provenance.ts';
export { summarize, type RunSummary, type FoldResult, type EpochRecord, type GradcamRecord, type ImagePrediction } from './summary.ts';
