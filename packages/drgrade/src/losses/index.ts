export { sordLabels, sordRows, type SordOptions } from './sord.ts';
export { crossEntropy } from './cross-entropy.ts';
export { focalLoss, type FocalOptions } from './focal.ts';
export { softTripleLoss, type SoftTripleOptions } from './softtriple.ts';
export { combinedLoss, type CombinedLossOptions } from './combined.ts';
export type { Targets } from './targets.ts';
