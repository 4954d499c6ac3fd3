// Training one cross-validation fold (or every image, for the model a project ships): epochs of
// SGD over augmented batches, the selection split and the held-out fold evaluated each epoch,
// the last checkpoint and the selected model, resume, and a clear stop on NaN.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autotuneEnabled, autotuneTimedCount, defaultGenerator, deviceInfo, tensor, tunePending, type Tensor } from '@drgrade/tensor';
import { loadNamedOptimizerState, loadSafetensors, WeightAverage } from '@drgrade/nn';
import { sameConfig, type DrgradeConfig } from '../config/index.ts';
import { evaluationLoaderOptions, trainingLoaderOptions, trainingWorkers } from '../config/runtime.ts';
import { DataLoader } from '../data/loader.ts';
import { splitFold, type FoldAssignment } from '../data/folds.ts';
import type { DataItem } from '../data/types.ts';
import { decodeImage } from '../image/decode.ts';
import { encodePng } from '../image/encode.ts';
import { gradcamImage } from '../infer/predict.ts';
import type { EpochRecord, FoldResult, GradcamRecord } from '../report/index.ts';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { Progress, type ProgressStream } from '../util/progress.ts';
import { decodeCheckpoint, encodeCheckpoint, encodeModelFile, decodeModelFile, type TrainingState } from './checkpoint.ts';
import { evaluate, imagePredictions, type Evaluation } from './evaluate.ts';
import { GradingModel } from './model.ts';
import { RunProblemError } from './run-problems.ts';
import { checkPrecision, StepPrecision } from './precision.ts';
import { makeOptimizer, makeScheduler } from './schedule.ts';
import { trainingScheme } from './scheme.ts';
import { selectionSplit } from './selection.ts';

export interface FoldJob {
  config: DrgradeConfig;
  /** Every item of the data set (paths of preprocessed images when `preprocessed`). */
  items: readonly DataItem[];
  folds: FoldAssignment;
  /** The held-out fold, or null to train on every image (the model a project ships). */
  fold: number | null;
  /** The fold's folder: checkpoints, result.json. */
  dir: string;
  resume: boolean;
  /** The images are already preprocessed (the training cache); otherwise preprocess on load. */
  preprocessed: boolean;
  pretrained?: string;
  log: ProgressStream & { isTTY?: boolean };
  /** Stop after this many epochs in this call (a test's stand-in for a killed job). */
  maxEpochsThisRun?: number;
  workers?: number;
}

export class TrainingDivergedError extends UserError {}

export const CHECKPOINT = 'checkpoint-last.safetensors';
export const BEST_MODEL = 'model-best.safetensors';

/**
 * Loads torchvision-named backbone weights: `features.*` of a DenseNet or VGG, a ResNet's `conv1.*`,
 * `layer1.*` … go to the model's backbone — its `backbone` child where it has one (a network with a
 * head on a torchvision backbone), else the network itself.
 */
export async function loadPretrained(model: GradingModel, file: string): Promise<{ loaded: number; skipped: string[] }> {
  const weights = await loadSafetensors(file);
  const target = 'backbone' in model.net ? 'net.backbone.' : 'net.';
  const own = model.stateDict();
  const mapped = new Map<string, Tensor>();
  const skipped: string[] = [];
  for (const [name, t] of weights) {
    const key = target + name;
    const mine = own.get(key);
    if (mine && mine.shape.join() === t.shape.join()) mapped.set(key, t); else skipped.push(name);
  }
  if (mapped.size === 0) throw new RunProblemError({ kind: 'pretrained-unmatched', file, tensors: weights.size });
  model.loadStateDict(mapped, { strict: false });
  for (const t of weights.values()) t.dispose();
  return { loaded: mapped.size, skipped };
}

async function gradcams(modelFile: string, validation: DataItem[], count: number, job: FoldJob): Promise<GradcamRecord[]> {
  if (count === 0 || validation.length === 0) return [];
  const { model } = decodeModelFile(readFileSync(modelFile), modelFile);
  // One image per grade first, so the overlays show the lesions of every grade present.
  const picks: DataItem[] = [];
  for (let g = 4; g >= 0 && picks.length < count; g--) { const it = validation.find((v) => v.grade === g); if (it) picks.push(it); }
  for (const it of validation) if (picks.length < count && !picks.includes(it)) picks.push(it);
  const out: GradcamRecord[] = [];
  for (const item of picks) {
    const photo = decodeImage(readFileSync(item.path));
    // A cached image is already preprocessed; preprocessing it again would apply Ben Graham twice.
    const cam = await gradcamImage(model, photo, { preprocessed: job.preprocessed });
    out.push({ id: item.id, grade: item.grade, predicted: cam.grade, png: base64(encodePng(cam.overlay)) });
  }
  model.dispose();
  return out;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Runs `loader` through `model` when it has images; null otherwise. */
async function evaluateIf(model: GradingModel, loader: DataLoader | null): Promise<Evaluation | null> {
  return loader ? evaluate(model, loader, { tta: false }) : null;
}

export async function trainFold(job: FoldJob): Promise<FoldResult> {
  const cfg = job.config;
  const fold = job.fold ?? -1;
  const { train, validation: heldOut } = job.fold === null ? { train: [...job.items], validation: [] } : splitFold(job.items, job.folds, job.fold);
  const label = job.fold === null ? 'all images' : `fold ${job.fold}`;
  if (train.length === 0 || (job.fold !== null && heldOut.length === 0)) throw new UserError(`${label}: ${train.length} training and ${heldOut.length} held-out images; the data set is too small for ${cfg.train.folds} folds`);
  const { fit, select } = selectionSplit(train, cfg, fold);
  checkPrecision(cfg, await deviceInfo());
  mkdirSync(job.dir, { recursive: true });
  const ckptPath = join(job.dir, CHECKPOINT);
  const bestPath = join(job.dir, BEST_MODEL);
  const model = new GradingModel(cfg);
  const optimizer = makeOptimizer(model, cfg);
  const scheduler = makeScheduler(optimizer, cfg);
  const precision = new StepPrecision(cfg);
  // train.ema: a second network holds the moving average of the weights; it is what each epoch
  // evaluates and what the model file holds (it starts from the weights training starts from).
  const averaged = cfg.train.ema > 0 ? new GradingModel(cfg) : null;
  const average = averaged ? new WeightAverage(averaged, cfg.train.ema) : null;
  let state: Omit<TrainingState, 'scheduler'> = { epoch: -1, fold, best: null, history: [], rng: defaultGenerator.state(), kernelsTimed: 0 };
  if (job.resume && existsSync(ckptPath)) {
    const ck = decodeCheckpoint(readFileSync(ckptPath), ckptPath);
    if (!sameConfig(ck.config, cfg, ckptPath)) throw new RunProblemError({ kind: 'checkpoint-config-differs', file: ckptPath });
    model.loadStateDict(ck.model, { strict: true });
    try {
      loadNamedOptimizerState(optimizer, model.namedParameters(), ck.optimizer);
    } catch (e) {
      throw new RunProblemError({ kind: 'checkpoint-unreadable', reason: `${ckptPath}: its optimiser state does not fit this model's parameters (${(e as Error).message})` });
    }
    scheduler.loadStateDict(ck.state.scheduler);
    precision.resume(ck.state);
    if (averaged && average) {
      averaged.loadStateDict(ck.ema, { strict: true });
      average.loadStateDict(ck.state.ema ?? { steps: 0 });
    }
    for (const t of [...ck.model.values(), ...ck.ema.values()]) t.dispose();
    for (const t of ck.optimizer.tensors.values()) t.dispose();
    defaultGenerator.setState(ck.state.rng);
    state = { epoch: ck.state.epoch, fold: ck.state.fold, best: ck.state.best, history: ck.state.history, rng: ck.state.rng, ...(ck.state.kernelsTimed === undefined ? {} : { kernelsTimed: ck.state.kernelsTimed }) };
    job.log.write(`${label}: resuming after epoch ${state.epoch + 1} from ${ckptPath}\n`);
  } else if (job.pretrained) {
    const { loaded, skipped } = await loadPretrained(model, job.pretrained);
    job.log.write(`${label}: loaded ${loaded} pretrained tensors from ${job.pretrained}${skipped.length ? ` (${skipped.length} not used, e.g. ${skipped.slice(0, 3).join(', ')})` : ''}\n`);
  }
  // Kernel choices timed while this fold runs, added to those of the processes it resumes (unknown
  // when resumed from a checkpoint that did not count them).
  const priorTimed = state.kernelsTimed;
  const timedAtStart = autotuneTimedCount();
  const kernelsTimed = (): { kernelsTimed?: number } => (priorTimed === undefined ? {} : { kernelsTimed: priorTimed + autotuneTimedCount() - timedAtStart });
  if (select.length) job.log.write(`${label}: ${fit.length} training images, ${select.length} for selecting the epoch, ${heldOut.length} held out\n`);
  const source = { preprocessed: job.preprocessed, workers: trainingWorkers(cfg, job.workers) };
  const trainLoader = new DataLoader(trainingLoaderOptions(cfg, fit, job.fold, source));
  const selectLoader = select.length ? new DataLoader(evaluationLoaderOptions(cfg, select, source)) : null;
  const heldOutLoader = heldOut.length ? new DataLoader(evaluationLoaderOptions(cfg, heldOut, source)) : null;
  const scheme = trainingScheme(cfg);
  if (scheme.prepare && state.epoch < 0) {
    const images = new DataLoader(evaluationLoaderOptions(cfg, fit, source));
    await scheme.prepare(model, images);
    await images.close();
  }
  if (averaged && state.epoch < 0) averaged.loadStateDict(model.stateDict());
  const judged = averaged ?? model;
  const started = performance.now();
  const adapter = (await deviceInfo()).name;
  let epochsThisRun = 0;
  try {
    for (let epoch = state.epoch + 1; epoch < cfg.train.epochs; epoch++) {
      if (job.maxEpochsThisRun !== undefined && epochsThisRun >= job.maxEpochsThisRun) break;
      model.train();
      const batches = trainLoader.batchesPerEpoch();
      const progress = new Progress(job.log, batches, `${label} epoch ${epoch + 1}/${cfg.train.epochs}`);
      const t0 = performance.now();
      let lossSum = 0, seen = 0, b = 0;
      for await (const batch of trainLoader.epoch(epoch)) {
        const grades = Array.from(batch.labels);
        const images = tensor(batch.images, batch.shape);
        const loss = await scheme.trainBatch({ model, optimizer, images, grades, epoch, precision });
        const value = await loss.item();
        loss.dispose();
        images.dispose();
        // Kernel choices for the shapes this step met, timed now rather than whenever the thread
        // is next idle, which in this loop may be never (readbacks can resolve as microtasks): the
        // winners apply from the next step on. Nothing is queued after the first steps.
        await tunePending();
        b++;
        if (!Number.isFinite(value)) {
          throw new TrainingDivergedError(`${label}: the loss became ${value} at epoch ${epoch + 1}, batch ${b}; training stopped. ` +
            `${existsSync(ckptPath) ? `The last good checkpoint (after epoch ${state.epoch + 1}) is kept at ${ckptPath}.` : 'No epoch had finished, so there is no checkpoint.'} ` +
            'Lower optim.lr, or for the metric loss lower loss.metric.la or raise loss.metric.warmupEpochs.');
        }
        average?.update(model);
        lossSum += value * grades.length;
        seen += grades.length;
        progress.detail = `loss ${(lossSum / seen).toFixed(4)} ${(seen / ((performance.now() - t0) / 1000)).toFixed(1)} img/s`;
        progress.tick();
      }
      progress.finish();
      const trainSeconds = (performance.now() - t0) / 1000;
      const sel = await evaluateIf(judged, selectLoader);
      const ev = await evaluateIf(judged, heldOutLoader);
      const raw = averaged ? await evaluateIf(model, heldOutLoader) : null;
      const record: EpochRecord = {
        epoch: epoch + 1, lr: optimizer.paramGroups[0]!.lr, trainLoss: lossSum / Math.max(seen, 1),
        valLoss: ev?.loss ?? NaN, valKappa: ev?.kappa ?? NaN, valAccuracy: ev?.accuracy ?? NaN,
        ...(sel ? { selectionKappa: sel.kappa } : {}), ...(raw ? { rawValKappa: raw.kappa } : {}), imagesPerSecond: seen / trainSeconds,
      };
      state.history.push(record);
      job.log.write(`${label} epoch ${epoch + 1}: train loss ${record.trainLoss.toFixed(4)}` +
        `${sel ? `, selection kappa ${sel.kappa.toFixed(4)}` : ''}` +
        `${ev ? `, held-out loss ${ev.loss.toFixed(4)}, kappa ${ev.kappa.toFixed(4)}, accuracy ${ev.accuracy.toFixed(3)}` : ''}` +
        `${raw ? ` (weights' average; the trained weights' kappa ${raw.kappa.toFixed(4)})` : ''}, ${record.imagesPerSecond.toFixed(1)} img/s\n`);
      const last = epoch + 1 === cfg.train.epochs;
      // 'last' keeps the final epoch's model; 'validation' the best on the selection split
      // (ties to the later epoch, which has seen more training).
      const chosen = sel ? !state.best || sel.kappa >= state.best.kappa : last;
      if (chosen) {
        state.best = { kappa: sel?.kappa ?? NaN, epoch: epoch + 1 };
        writeFileAtomic(bestPath, await encodeModelFile(judged, { fold, epoch: epoch + 1, selection: cfg.train.selection, ...(sel ? { selectionKappa: sel.kappa } : {}), trainImages: fit.length, adapter }));
      }
      scheduler.step();
      state.epoch = epoch;
      state.rng = defaultGenerator.state();
      writeFileAtomic(ckptPath, await encodeCheckpoint(model, optimizer, scheduler,
        { ...state, ...precision.checkpointState(), ...kernelsTimed(), ...(average ? { ema: average.stateDict() } : {}) }, averaged));
      epochsThisRun++;
    }
  } finally {
    await trainLoader.close();
  }
  const finished = state.epoch + 1 >= cfg.train.epochs;
  let result: FoldResult = {
    fold, kappa: NaN, accuracy: NaN, perClassAccuracy: [], confusion: [], bestEpoch: state.best?.epoch ?? 0, selection: cfg.train.selection,
    history: state.history, gradcams: [], trainImages: fit.length, valImages: heldOut.length, seconds: (performance.now() - started) / 1000, adapter,
  };
  if (finished && existsSync(bestPath) && heldOutLoader) {
    const best = decodeModelFile(readFileSync(bestPath), bestPath);
    const ev = await evaluate(best.model, heldOutLoader, { tta: cfg.train.tta });
    best.model.dispose();
    const predictions = imagePredictions(ev, heldOut);
    result = {
      ...result, kappa: ev.kappa, accuracy: ev.accuracy, perClassAccuracy: ev.perClassAccuracy, confusion: ev.confusion, predictions,
      gradcams: await gradcams(bestPath, heldOut, cfg.train.gradcamImages, job),
    };
  }
  const timed = kernelsTimed().kernelsTimed;
  if (timed !== undefined) result = { ...result, kernels: { autotune: autotuneEnabled(), timed } };
  if (finished) writeFileAtomic(join(job.dir, 'result.json'), `${JSON.stringify(result, null, 1)}\n`);
  await selectLoader?.close();
  await heldOutLoader?.close();
  model.dispose();
  averaged?.dispose();
  optimizer.dispose();
  return result;
}

/** A fold's saved result (from this run or a separate job of one fold), or null if it has not finished. */
export function readFoldResult(dir: string): FoldResult | null {
  const p = join(dir, 'result.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) as FoldResult : null;
}

