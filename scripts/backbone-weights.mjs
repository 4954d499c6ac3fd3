#!/usr/bin/env node
// The backbone of a drgrade model file (`net.backbone.*`, e.g. a DenseNet's `features.*`) as a
// torchvision-named weights file that `drgrade train --pretrained` loads: a network trained on one
// data set (the synthetic one, say) initialises the backbone of the next (docs/real-data.md).
//   node scripts/backbone-weights.mjs <model.safetensors> <out.safetensors>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensorsHost } from '../packages/nn/dist/index.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/backbone-weights.mjs <model.safetensors> <out.safetensors>');
  process.exit(2);
}
if (existsSync(output)) {
  console.error(`${output} already exists; give another path`);
  process.exit(1);
}
const PREFIX = 'net.backbone.';
let tensors;
try {
  ({ tensors } = decodeSafetensors(readFileSync(input), input));
} catch (e) {
  // A missing or malformed file is the caller's mistake: one line, no stack trace.
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
const backbone = new Map([...tensors].filter(([name]) => name.startsWith(PREFIX)).map(([name, t]) => [name.slice(PREFIX.length), t]));
if (backbone.size === 0) {
  console.error(`${input}: no ${PREFIX}* tensors (a model of one network with a backbone, as drgrade train writes, is expected; an ensemble's members are not read)`);
  process.exit(1);
}
writeFileSync(output, encodeSafetensorsHost(backbone, { source: input }));
console.log(`${output}: ${backbone.size} backbone tensors of ${tensors.size}`);
