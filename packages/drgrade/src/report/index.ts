export { renderReport } from './html.ts';
export { summarize, GRADE_NAMES, type RunSummary, type FoldResult, type EpochRecord, type GradcamRecord, type ImagePrediction } from './summary.ts';
