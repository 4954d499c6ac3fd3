#!/usr/bin/env node
// Writes the model drgrade ships (models/drgrade-real.safetensors): the weights `drgrade train
// --final` trained on every image, with the model card's key figures from the same recipe's
// cross-validation in the file's own metadata (key `card`, JSON), so a copy that travels alone
// still says what it is. The recipe must equal the named preset field for field (name and
// description aside, and the fields that only say how the model is evaluated, which are taken from
// the preset); the configuration is then stored under the preset's name. With --flips-run, the card
// also gives the effect of test-time flips measured on that cross-validation (scripts/real-tta.mjs).
// The model may be a seed ensemble of final models (`drgrade ensemble`); --ensemble-run then gives
// the effect of ensembling measured on cross-validations (the out-dir of scripts/real-ensemble.mjs),
// or --ensemble-oof the same measured from the runs' out-of-fold predictions (the --json of
// scripts/oof-ensemble.mjs, for runs whose fold models are gone).
//
//   node scripts/ship-model.mjs <final-model.safetensors> <cv-run-dir> <out.safetensors> \
//        --preset real --data "<what it was trained on>" [--flips-run <cv-run-dir scored by real-tta.mjs>] \
//        [--ensemble-run <out-dir of real-ensemble.mjs> | --ensemble-oof <oof-ensemble.mjs --json file>]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meanStd } from '../packages/drgrade/dist/index.js';

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
const presetName = flag('preset');
const data = flag('data');
const flipsRun = flag('flips-run');
const ensembleRun = flag('ensemble-run');
const ensembleOof = flag('ensemble-oof');
const [modelPath, cvDir, outPath] = args;
if (!modelPath || !cvDir || !outPath || !presetName || !data) {
  console.error('usage: node scripts/ship-model.mjs <final-model> <cv-run-dir> <out.safetensors> --preset <name> --data "<description>" [--flips-run <dir>] [--ensemble-run <dir> | --ensemble-oof <file.json>]');
  process.exit(2);
}
const fail = (message) => { console.error(`ship-model: ${message}`); process.exit(1); };

// A safetensors file: 8-byte little-endian header length, the JSON header, the tensor bytes.
const readHeader = (path) => {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return { bytes, headerLength, header: JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) };
};
const { bytes, headerLength, header } = readHeader(modelPath);
const meta = header.__metadata__ ?? fail(`${modelPath}: no metadata; is it a drgrade model file?`);
if (meta.kind !== 'model') fail(`${modelPath}: kind "${meta.kind}", expected a model file (model-best.safetensors)`);
const info = JSON.parse(meta.info);
if (info.fold !== -1) fail(`${modelPath}: trained on fold ${info.fold}'s training images; ship the model of train --final`);
// An ensemble's own info says only its fold and size; each member's training facts are in `ensemble`.
const ensemble = meta.ensemble === undefined ? null : JSON.parse(meta.ensemble);

const config = JSON.parse(meta.config);
const drgrade = join(new URL('.', import.meta.url).pathname, '..', 'packages', 'drgrade', 'bin', 'drgrade.js');
const show = (what) => JSON.parse(execFileSync(process.execPath, [drgrade, 'config', 'show', what], { encoding: 'utf8' }));
const preset = show(presetName);
// A model or run of an earlier version lacks the fields added since (each with a default that
// keeps the old behaviour): compare, and ship, configurations as this version resolves them.
const resolve = (json) => {
  const scratch = mkdtempSync(join(tmpdir(), 'ship-model-'));
  writeFileSync(join(scratch, 'config.json'), json);
  try { return show(join(scratch, 'config.json')); } finally { rmSync(scratch, { recursive: true }); }
};
const resolved = resolve(meta.config);
// train.tta only says whether evaluation averages over flips, not how the weights were trained:
// the shipped file takes the preset's, so predict, eval and the page grade as the preset says.
const strip = ({ name, description, train: { tta, ...train }, ...rest }) => JSON.stringify({ ...rest, train });
if (strip(resolved) !== strip(preset)) fail(`the model's configuration "${config.name}" differs from preset ${presetName} in more than its name`);

const perFold = (xs) => ({ ...meanStd(xs), perFold: xs });
const report = JSON.parse(readFileSync(join(cvDir, 'report.json'), 'utf8'));
if (strip(resolve(JSON.stringify(report.provenance.config))) !== strip(resolved)) fail(`${cvDir} cross-validated another configuration (${report.provenance.config.name})`);
// The flips' effect, from a cross-validation of the same recipe whose folds real-tta.mjs scored both ways.
const flips = flipsRun === undefined ? undefined : (() => {
  const flipsReport = JSON.parse(readFileSync(join(flipsRun, 'report.json'), 'utf8'));
  // Another seed of the same recipe is what such a run usually is: the seed aside, it must match.
  if (strip({ ...resolve(JSON.stringify(flipsReport.provenance.config)), seed: resolved.seed }) !== strip(resolved)) fail(`${flipsRun} cross-validated another configuration (${flipsReport.provenance.config.name})`);
  const folds = flipsReport.folds.map((f) => f.fold);
  const kappas = (name) => folds.map((k) => JSON.parse(readFileSync(join(flipsRun, `fold-${k}`, `eval-${name}.json`), 'utf8')).kappa);
  return { seed: flipsReport.provenance.config.seed, adapter: flipsReport.adapter, folds: folds.length, kappaWithout: perFold(kappas('plain')), kappaWith: perFold(kappas('flips')) };
})();
if (ensembleRun !== undefined && ensembleOof !== undefined) fail('give --ensemble-run or --ensemble-oof, not both');
// The effect of ensembling, from fold ensembles of cross-validations of the same recipe: joined
// fold models scored again, or the runs' out-of-fold probabilities averaged (the same numbers).
const ensembleEffect = ensembleOof !== undefined ? (() => {
  const measured = JSON.parse(readFileSync(ensembleOof, 'utf8'));
  measured.configs.forEach((c, i) => {
    if (strip({ ...resolve(JSON.stringify(c)), seed: resolved.seed }) !== strip(resolved)) fail(`${ensembleOof}: run ${measured.runs[i]} cross-validated another configuration (${c.name})`);
  });
  const { configs, runs, ...effect } = measured;
  return effect;
})() : ensembleRun === undefined ? undefined : (() => {
  const folds = readdirSync(ensembleRun).map((n) => /^fold-(\d+)$/.exec(n)).filter(Boolean).map((m) => Number(m[1])).sort((a, b) => a - b);
  const foldMeta = readHeader(join(ensembleRun, `fold-${folds[0]}`, 'ensemble.safetensors')).header.__metadata__;
  if (strip({ ...resolve(foldMeta.config), seed: resolved.seed }) !== strip(resolved)) fail(`${ensembleRun} ensembled another configuration`);
  const seeds = JSON.parse(foldMeta.ensemble).seeds;
  const read = (k, name) => JSON.parse(readFileSync(join(ensembleRun, `fold-${k}`, `eval-${name}.json`), 'utf8'));
  return {
    seeds, folds: folds.length, testTimeFlips: read(folds[0], 'ensemble').testTimeFlips,
    kappaMembers: seeds.map((_, i) => perFold(folds.map((k) => read(k, `member-${i}`).kappa))),
    kappaEnsemble: perFold(folds.map((k) => read(k, 'ensemble').kappa)),
  };
})();
const pooled = report.outOfFold?.pooled ?? fail(`${cvDir}/report.json has no out-of-fold predictions`);
const card = {
  preset: presetName,
  data,
  fromScratch: true,
  trained: ensemble
    ? { members: ensemble.members.length, seeds: ensemble.seeds, images: ensemble.members[0].trainImages, epochs: ensemble.members[0].epoch, adapters: ensemble.members.map((m) => m.adapter) }
    : { images: info.trainImages, epochs: info.epoch, adapter: info.adapter },
  crossValidation: {
    folds: report.folds.length,
    kappaMean: report.kappaMean,
    kappaStd: report.kappaStd,
    kappaPerFold: report.folds.map((f) => f.kappa),
    accuracy: report.accuracyMean,
    perClassAccuracy: report.perClassAccuracy,
    referable: { auc: pooled.referable.auc, sensitivity: pooled.referable.sensitivity, specificity: pooled.referable.specificity },
    selection: report.folds[0]?.selection ?? 'unknown',
    adapter: report.adapter,
    fingerprint: report.provenance.fingerprint.sha256,
  },
  evaluation: { testTimeFlips: preset.train.tta, ...(flips ? { flipsMeasured: flips } : {}), ...(ensembleEffect ? { ensembleMeasured: ensembleEffect } : {}) },
  drgradeVersion: report.provenance.drgradeVersion,
  date: new Date().toISOString().slice(0, 10),
  limits: 'Research software, not a medical device. Trained from scratch on 348 photographs of one source; not validated on other cameras, populations or image quality.',
};
const shippedConfig = { ...resolved, name: preset.name, description: preset.description, train: { ...resolved.train, tta: preset.train.tta } };
const shipped = { ...header, __metadata__: { ...meta, config: JSON.stringify(shippedConfig), card: JSON.stringify(card) } };
let text = JSON.stringify(shipped);
text += ' '.repeat((8 - (text.length % 8)) % 8); // the tensor bytes stay 8-byte aligned
const head = Buffer.alloc(8);
head.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
writeFileSync(`${outPath}.tmp`, Buffer.concat([head, Buffer.from(text), bytes.subarray(8 + headerLength)]));
renameSync(`${outPath}.tmp`, outPath);
console.log(JSON.stringify(card, null, 2));
