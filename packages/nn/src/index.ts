// @drgrade/nn: modules, layers, models, optimisers, schedulers and weight I/O on @drgrade/tensor,
// with PyTorch's names and semantics.
export { Module, StateDictError, type StateDict, type LoadStateDictOptions, type LoadStateDictResult, type ForwardHook, type HookHandle } from './module.ts';
export { captureOutput, OutputCapture, tapGradient } from './capture.ts';
export { fanIn, fanOut, kaimingNormal, kaimingUniform, normal, uniform, type InitOptions } from './init.ts';
export { Linear, type LinearOptions } from './layers/linear.ts';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d.ts';
export { BatchNorm2d, type BatchNorm2dOptions } from './layers/batchnorm.ts';
export { ReLU } from './layers/activation.ts';
export { Identity } from './layers/identity.ts';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './layers/pooling.ts';
export { Dropout, dropout, type DropoutOptions } from './layers/dropout.ts';
export { Sequential, ModuleList, type Layer } from './layers/containers.ts';
export { Optimizer, type Hyper, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict, type SavedGroup } from './optim/optimizer.ts';
export { SGD, type SGDOptions } from './optim/sgd.ts';
export { Adam, AdamW, type AdamOptions } from './optim/adam.ts';
export { LRScheduler, StepLR, MultiStepLR, CosineAnnealingLR, LinearLR, SequentialLR, type Schedule, type SchedulerStateDict } from './optim/lr-scheduler.ts';
export { decodeSafetensors, encodeSafetensorsHost, SafetensorsError, type HostTensor, type HostEntry, type DecodedSafetensors } from './io/safetensors.ts';
export { loadSafetensors, loadSafetensorsMetadata, saveSafetensors, encodeSafetensors } from './io/weights.ts';
export { DenseNet, densenet121, densenet169, densenet201, type DenseNetOptions } from './models/densenet.ts';
export { FPN, type FPNOptions } from './models/fpn.ts';
export { HBP, type HBPOptions, type HeadOutput } from './models/hbp.ts';
export { BCNN, type BCNNOptions } from './models/bcnn.ts';
export { VGG, VGGHBP, VGGBCNN, vgg16, VGG16_CONFIG, type VGGConfig, type VGGOptions, type VGGFeaturesOptions, type VGGHBPOptions, type VGGBCNNOptions } from './models/vgg.ts';
export { DrGradeNet, type DrGradeNetOptions } from './models/drgrade-net.ts';
export { weightedScores, type LossTerm, type SupervisedOutput } from './models/supervised-output.ts';
export { DFLHead, peakPatches, type DFLHeadOptions } from './models/dfl.ts';
export { PMGHead, jigsaw, jigsawOrder, type PMGHeadOptions } from './models/pmg.ts';
export { averageProbabilities } from './models/ensemble.ts';
