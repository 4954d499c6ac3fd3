export type { DataItem, DataProblem, Dataset, DatasetFormat, Grade, ProblemKind } from './data/types.ts';
export { DATASET_FORMATS, GRADES, GRADE_NAMES, formatProblem, hasErrors } from './data/types.ts';
export { parseCsv, findColumn, type CsvRow, type CsvTable } from './data/csv.ts';
export { readDataset, detectFormat, READERS } from './data/read-dataset.ts';
export type { DatasetReader } from './data/readers/reader.ts';
export { idridReader } from './data/readers/idrid.ts';
export { deepdridReader } from './data/readers/deepdrid.ts';
export { aptosReader } from './data/readers/aptos.ts';
export { eyepacsReader } from './data/readers/eyepacs.ts';
export { messidor2Reader } from './data/readers/messidor2.ts';
export { genericCsvReader, readGenericCsv } from './data/readers/generic-csv.ts';
export { foldersReader } from './data/readers/folders.ts';
export { patientFromName } from './data/dataset-builder.ts';
export { checkImages, type ImageCheck } from './data/check-images.ts';
export { summarize, type DatasetSummary } from './data/summary.ts';
export { stratifiedGroupKFold, formatFoldsCsv, parseFoldsCsv, readFoldsFile, writeFoldsFile, splitFold, type FoldAssignment } from './data/folds.ts';
export { DataLoader, type Batch, type LoaderOptions } from './data/loader.ts';
export { loadSample, loadSampleFile, prepareImage, IMAGENET_MEAN, IMAGENET_STD, type SampleConfig } from './data/sample-pipeline.ts';
export { writeNormalizedChw, type Normalization } from './data/normalize.ts';
export { preprocessFile, type PreprocessJob } from './data/preprocess-file.ts';

export { createImage, cropImage, padToSquare, grayAt, type RgbImage } from './image/rgb-image.ts';
export { decodeImage, DEFAULT_MAX_PIXELS, type DecodeOptions } from './image/decode.ts';
export { encodePng, encodeJpeg, encodeImage, type ImageFileFormat } from './image/encode.ts';
export { probeImage, exifOrientation, type ImageInfo } from './image/probe.ts';
export { applyOrientation } from './image/orientation.ts';
export { gaussianBlur, gaussianKernel, gaussianKernelSize, reflect101 } from './image/gaussian-blur.ts';
export { cropBlackBorder, foregroundBox, type Box } from './image/black-border.ts';
export { benGraham, circleMask, sigmaForRadius } from './image/ben-graham.ts';
export { resize } from './image/resize.ts';
export { preprocessFundus, DEFAULT_PREPROCESS, type PreprocessOptions } from './image/preprocess.ts';
export {
  augment, randomResizedCrop, randomAffine, colorJitter, flipHorizontal, flipVertical, warpAffine, affineAboutCentre, invertAffine, DEFAULT_AUGMENT,
  type Affine, type AffineOptions, type AugmentOptions, type ColorJitterOptions, type ResizedCropOptions,
} from './image/augment.ts';

export { renderFundus, type FundusSpec, type RenderedFundus } from './synth/render.ts';
export { planSyntheticDataset, writeSyntheticImage, writeSyntheticLabels, macularEdemaRisk, type SynthImage } from './synth/dataset.ts';
export { renderExampleGrid } from './synth/grid.ts';
export { randomCamera, type Camera } from './synth/camera.ts';
export { SYNTH_GRADE_WEIGHTS, patientGrades } from './synth/grade-plan.ts';

export { quadraticWeightedKappa } from './metrics/kappa.ts';
export { confusionMatrix } from './metrics/confusion.ts';
export { accuracy, perClassAccuracy } from './metrics/accuracy.ts';
export { rocAuc, rocCurve, type RocCurve } from './metrics/roc.ts';
export { operatingPoints, SCREENING_TARGETS, type OperatingPoint, type OperatingTarget } from './metrics/operating-points.ts';
export { REFERABLE_GRADE, referableMetrics, referableProbability, type ReferableMetrics } from './metrics/referable.ts';
export { meanStd } from './report/mean-std.ts';
export { perClassPrecisionRecall, type ClassPrecisionRecall } from './metrics/precision-recall.ts';
export { confusionRowPercent } from './metrics/confusion-percent.ts';
export { drMetrics, type DrMetrics } from './metrics/dr-metrics.ts';
export { clusterBootstrapInterval, clustersOf, delongAucInterval, INTERVAL_METHODS, KAPPA_BOOTSTRAP, kappaInterval, quantile, wilsonInterval, Z95, type BootstrapOptions, type Interval } from './metrics/intervals.ts';
export { gradingFigures, pairedDifferences, type Graded, type GradingFigures, type PairedDifferences, type WithInterval } from './metrics/paired.ts';
export { formatPredictionsCsv, parsePredictionsCsv, type PredictionGroup, type PredictionRow } from './report/predictions-csv.ts';

export {
  sordLabels, sordRows, crossEntropy, focalLoss, softTripleLoss, combinedLoss,
  type SordOptions, type FocalOptions, type SoftTripleOptions, type CombinedLossOptions, type Targets,
} from './losses/index.ts';

// Grading photographs with a model file: what `drgrade predict`, `gradcam` and the page use.
export { decodeModelFile, encodeEnsembleFile, type LoadedModel } from './train/checkpoint.ts';
export { cardSentence, cardSummary, type CardSummary } from './train/model-card.ts';
export { GradingEnsemble, graderMembers, type Grader } from './train/ensemble.ts';
export { GradingModel, type ModelOutput } from './train/model.ts';
export { shippedModelPath, DEFAULT_MODEL } from './cli/default-model.ts';
export {
  predictImage, predictPreprocessed, gradcamImage, gradcamOverPhoto, imageTensor, type Prediction, type GradcamResult,
} from './infer/predict.ts';
export { predictedGrade } from './infer/class-probabilities.ts';
export { preprocessOptions } from './config/runtime.ts';
export { assessGradability, measureGradability, GRADABILITY_LIMITS, type Gradability, type GradabilityMeasures } from './image/gradability.ts';
export { fundusFrame, type FundusFrame } from './image/preprocess.ts';
export { camFromActivation, upsampleAndNormalize, overlay } from './gradcam/gradcam.ts';
export { heatOnPhoto } from './gradcam/photo-heat.ts';
export { withColorBar, colorRamp } from './gradcam/color-bar.ts';
export { turbo } from './gradcam/turbo.ts';

export { Rng, mixSeed } from './util/rng.ts';
export { UserError, ImageDecodeError } from './util/errors.ts';
export { runCli } from './cli/run.ts';
export type { Command, CliContext } from './cli/command.ts';
