// What a careful user and a hostile one can get wrong, fed to the CLI: every mistake is one line
// naming what is wrong, with exit status 1 (2 for usage), and never a stack trace. Also the
// checks behind those lines: lying image headers, damaged model files, label-file encodings.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync as zlibDeflate } from 'node:zlib';
import { getDevice } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensorsHost, type HostEntry } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createImage, decodeImage, encodeJpeg, encodePng, runCli } from 'drgrade';
import { preset, resolveConfig } from '../../packages/drgrade/src/config/index.ts';
import { decodeModelFile, encodeModelFile } from '../../packages/drgrade/src/train/checkpoint.ts';
import { GradingModel } from '../../packages/drgrade/src/train/model.ts';
import { fileSystemMessage, ImageDecodeError } from '../../packages/drgrade/src/util/errors.ts';
import type { Command } from '../../packages/drgrade/src/cli/command.ts';
import { buildWorkers, captureContext, put, repoRoot, tempDir } from './helpers.ts';

process.env.DRGRADE_WORKER_DIR = buildWorkers();

async function cli(argv: string[], commands?: Command[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = captureContext();
  const code = commands ? await runCli(argv, ctx, commands) : await runCli(argv, ctx);
  return { code, out: ctx.stdout.text, err: ctx.stderr.text };
}

/** A black frame with a red-brown checkerboard: a photograph the gradability check accepts. */
function photo(w = 100, h = 100): Uint8Array {
  const image = createImage(w, h, 0);
  for (let i = 0; i < w * h; i++) image.data.set(i % 2 ? [160, 80, 40] : [120, 60, 30], 3 * i);
  return encodePng(image);
}

const T = tempDir('drgrade-mistakes-');
let modelBytes: Uint8Array = new Uint8Array();

/** The model file with one tensor replaced (same name), as stored by another tool. */
function tamper(change: (name: string, entry: HostEntry & { dtype?: string }) => HostEntry | null): Uint8Array {
  const file = decodeSafetensors(modelBytes, 'model');
  const entries = new Map<string, HostEntry>();
  let done = false;
  for (const [name, t] of file.tensors) {
    const changed = !done && t.data instanceof Float32Array && t.shape.length === 4 ? change(name, t) : null;
    if (changed) done = true;
    entries.set(name, changed ?? t);
  }
  return encodeSafetensorsHost(entries, file.metadata);
}

function firstConv(): string {
  return [...decodeSafetensors(modelBytes, 'model').tensors].find(([, t]) => t.shape.length === 4)![0];
}

test.before(async () => {
  await getDevice();
  const config = resolveConfig(preset('tiny')!, {
    data: { imageSize: 64, workers: 0 },
    model: { densenet: { growthRate: 8, blockConfig: [2, 2, 2], numInitFeatures: 16, bnSize: 2 }, fpn: { channels: 16 }, hbp: { dim: 32 }, embeddingDim: 16 },
  }, 'test config');
  const model = new GradingModel(config);
  modelBytes = await encodeModelFile(model, {});
  model.dispose();
  put(T, 'model.safetensors', modelBytes);
  put(T, 'truncated.safetensors', modelBytes.subarray(0, 5000));
  mkdirSync(join(T, 'a-folder'));
  put(T, 'a-file', 'text');
  put(T, 'lr.json', '{"optim": {"lr": 1e999}}');
  put(T, 'proto.json', '{"__proto__": {"polluted": 1}}');
  put(T, 'ctor.json', '{"constructor": {"prototype": {"polluted": 1}}}');
  put(T, 'broken-report/fold-0/result.json', '{"fold": 0, "kappa": 0.5');
  put(T, 'data/good1.png', photo());
  put(T, 'data/good2.png', photo(120, 100));
  put(T, 'data/empty.png', new Uint8Array());
  put(T, 'data/labels.csv', 'path,grade\ngood1.png,0\ngood2.png,1\nempty.png,2\n');
  put(T, 'photos/black.png', encodePng(createImage(200, 200, 0)));
  put(T, 'photos/good.png', photo());
});

test('a table of mistakes: one line each, status 1 (2 for usage), no stack trace', async () => {
  const cases: [string[], number, RegExp][] = [
    [['train', '--out', join(T, 'r1'), '--set', 'train.batchSize=0'], 1, /train\.batchSize: must be >= 1, found 0/],
    [['train', '--out', join(T, 'r1'), '--config', join(T, 'lr.json')], 1, /optim\.lr: expected a number, found a non-finite number \(Infinity/],
    [['train', '--out', join(T, 'r1'), '--set', 'optim.lr=1e999'], 1, /non-finite number/],
    [['train', '--out', join(T, 'r1'), '--set', '__proto__.polluted=1'], 1, /"__proto__" is not allowed as a field name/],
    [['train', '--out', join(T, 'r1'), '--set', 'constructor.prototype.x=1'], 1, /"constructor" is not allowed as a field name/],
    [['train', '--out', join(T, 'r1'), '--set', 'optim..lr=1'], 1, /the path has an empty part/],
    [['train', '--out', join(T, 'r1'), '--config', join(T, 'proto.json')], 1, /__proto__: "__proto__" is not allowed/],
    [['train', '--out', join(T, 'r1'), '--config', join(T, 'ctor.json')], 1, /constructor: "constructor" is not allowed/],
    [['train', '--out', join(T, 'r1'), '--config', 'constructor'], 1, /no such preset or file/],
    [['train', '--out', join(T, 'r1'), '--config', join(T, 'a-folder')], 1, /is a folder; give a preset name or a JSON file/],
    [['train', '--out', join(T, 'r1'), '--fold', '9'], 2, /--fold 9 is not in 0\.\.4/],
    [['train', '--out', join(T, 'r1'), '--resume', '--overwrite'], 2, /--resume .* or --overwrite .*, not both/],
    [['train', '--out', join(T, 'a-file')], 1, /a-file is a file; give a folder/],
    [['train', '--out', join(T, 'r1'), '--pretrained', join(T, 'truncated.safetensors')], 1, /--pretrained .*truncated\.safetensors: .*truncated/],
    [['train', '--out', join(T, 'r1'), '--pretrained', join(T, 'a-folder')], 1, /--pretrained .*a-folder: is a folder/],
    [['train', '--out', join(T, 'r1'), '--data', join(T, 'nowhere')], 1, /--data .*nowhere: no such folder/],
    [['predict', '--checkpoint', join(T, 'a-folder'), join(T, 'photos/good.png')], 1, /a-folder: is a folder; give a model file/],
    [['predict', '--checkpoint', join(T, 'truncated.safetensors'), join(T, 'photos/good.png')], 1, /truncated\.safetensors: .*truncated/],
    [['predict', '--checkpoint', join(T, 'model.safetensors'), join(T, 'data/empty.png')], 1, /empty\.png: the file is empty/],
    [['report', join(T, 'broken-report')], 1, /fold-0\/result\.json: the fold's result is damaged/],
    [['gradcam', '--checkpoint', join(T, 'model.safetensors'), '--out', join(T, 'cam.png'), '--opacity', '2', join(T, 'photos/good.png')], 2, /--opacity must be between 0 and 1/],
    [['synth', '--n', '2', '--out', join(T, 'a-file', 'sub')], 1, /a-file.*: a part of this path is a file, not a folder/],
  ];
  for (const [argv, code, message] of cases) {
    const r = await cli(argv);
    const where = `drgrade ${argv.join(' ')}\n${r.err}`;
    assert.is(r.code, code, where);
    assert.match(r.err, message, where);
    assert.not.ok(r.err.includes('    at '), where);
  }
  assert.is(({} as Record<string, unknown>).polluted, undefined, 'nothing reached Object.prototype');
  assert.not.ok(existsSync(join(T, 'r1')), 'no refused command wrote the run folder');
});

test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.is(r.code, 0);
  assert.is(r.out, `drgrade ${(JSON.parse(readFileSync(join(repoRoot(), 'packages/drgrade/package.json'), 'utf8')) as { version: string }).version}\n`);
});

test('a bug is one line too; DRGRADE_DEBUG=1 adds the stack trace', async () => {
  const broken: Command = { name: 'broken', summary: '', positionals: [], options: [], run: () => { throw new TypeError('x is not a function'); } };
  let r = await cli(['broken'], [broken]);
  assert.is(r.code, 1);
  assert.match(r.err, /^drgrade broken: internal error: x is not a function \(a bug in drgrade: run again with DRGRADE_DEBUG=1/);
  assert.not.ok(r.err.includes('    at '));
  process.env.DRGRADE_DEBUG = '1';
  try { r = await cli(['broken'], [broken]); } finally { delete process.env.DRGRADE_DEBUG; }
  assert.ok(r.err.includes('    at '));
});

test('file-system errors name the path and what to do', () => {
  const error = (code: string): Error => Object.assign(new Error(`${code}: raw`), { code, path: '/x/out' });
  assert.is(fileSystemMessage(error('EACCES')), '/x/out: permission denied; choose a path you may read and write, or change its permissions');
  assert.match(fileSystemMessage(error('EEXIST'))!, /^\/x\/out: a file is in the way where a folder is needed/);
  assert.match(fileSystemMessage(error('ENOTDIR'))!, /^\/x\/out: a part of this path is a file/);
  assert.match(fileSystemMessage(error('EISDIR'))!, /^\/x\/out: is a folder where a file is needed/);
  assert.is(fileSystemMessage(error('ENOENT')), '/x/out: no such file or folder');
  assert.is(fileSystemMessage(new Error('plain')), null);
});

test('model files: NaN, integer conv weights, wrong shapes and missing tensors are named by tensor', () => {
  const conv = firstConv();
  const nan = tamper((_, t) => { const data = Float32Array.from(t.data); data[3] = NaN; return { shape: t.shape, data }; });
  assert.throws(() => decodeModelFile(nan, 'nan.safetensors'), new RegExp(`nan\\.safetensors: tensor '${conv.replace(/\./g, '\\.')}' holds 1 non-finite value\\(s\\) \\(NaN at element 3\\)`));
  const inf = tamper((_, t) => { const data = Float32Array.from(t.data); data[0] = -Infinity; return { shape: t.shape, data }; });
  assert.throws(() => decodeModelFile(inf, 'inf'), /holds 1 non-finite value\(s\) \(-Infinity at element 0\)/);
  const ints = tamper((_, t) => ({ shape: t.shape, data: Int32Array.from(t.data, (v) => Math.round(v * 100)) }));
  assert.throws(() => decodeModelFile(ints, 'int'), new RegExp(`tensor '${conv.replace(/\./g, '\\.')}' is stored as I32, the architecture expects floating point`));
  const shape = tamper((_, t) => ({ shape: [t.shape[1]!, t.shape[0]!, t.shape[2]!, t.shape[3]!], data: t.data }));
  assert.throws(() => decodeModelFile(shape, 'shape'), /has shape \[\d+, \d+, \d+, \d+\], the architecture expects/);
  const file = decodeSafetensors(modelBytes, 'model');
  file.tensors.delete(conv);
  assert.throws(() => decodeModelFile(encodeSafetensorsHost(new Map(file.tensors), file.metadata), 'missing'), new RegExp(`do not match the architecture .*missing ${conv.replace(/\./g, '\\.')}`));
  decodeModelFile(modelBytes, 'intact').model.dispose();
});

test('headers that claim more pixels than the file holds are refused before decoding', () => {
  // A 16x16 JPEG whose frame header is rewritten to 7900x7900: structurally intact, about 700 bytes.
  const jpeg = new Uint8Array(encodeJpeg(createImage(16, 16, [90, 40, 20]), 90));
  const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
  jpeg.set([7900 >> 8, 7900 & 255, 7900 >> 8, 7900 & 255], sof + 5);
  const started = performance.now();
  const heap = process.memoryUsage().rss;
  assert.throws(() => decodeImage(jpeg), (e: unknown) => e instanceof ImageDecodeError && e.kind === 'too-large' && /claims 7900x7900 \(62\.4 MP\) .* more pixels than the file can hold/.test(e.message));
  // A genuine 4000x4000 grey PNG, blank: 16 MP in a few kB of deflate (about 1000 pixels per byte).
  const rows = Buffer.alloc(4000 * 4001);
  const idat = deflate(rows);
  const png = pngFile(4000, 4000, idat);
  assert.throws(() => decodeImage(png), (e: unknown) => e instanceof ImageDecodeError && /more pixels than the file can hold/.test(e.message));
  assert.ok(performance.now() - started < 2000, 'refused within 2 s');
  assert.ok(process.memoryUsage().rss - heap < 300e6, 'without allocating the pixels');
});

test('data inspect runs the same check on headers, with the real file size', async () => {
  const root = tempDir();
  const jpeg = new Uint8Array(encodeJpeg(createImage(16, 16, [90, 40, 20]), 90));
  const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
  jpeg.set([7900 >> 8, 7900 & 255, 7900 >> 8, 7900 & 255], sof + 5);
  put(root, 'bomb.jpg', jpeg);
  put(root, 'good.png', photo());
  put(root, 'labels.csv', 'path,grade\nbomb.jpg,0\ngood.png,1\n');
  const r = await cli(['data', 'inspect', root, '--headers-only']);
  assert.is(r.code, 1);
  assert.match(r.out, /bomb\.jpg: error: bomb: the header claims 7900x7900 .* more pixels than the file can hold/);
});

test('predict: an ungradable photograph gets grade null and the reason, exit status 3', async () => {
  const r = await cli(['predict', '--checkpoint', join(T, 'model.safetensors'), '--json', join(T, 'photos/black.png'), join(T, 'photos/good.png')]);
  assert.is(r.code, 3, r.err);
  const [black, good] = JSON.parse(r.out) as { grade: number | null; reason?: string; probabilities: number[] | null }[];
  assert.is(black!.grade, null);
  assert.match(black!.reason!, /no fundus found/);
  assert.is(black!.probabilities, null);
  assert.ok(Number.isInteger(good!.grade));
});

test('eval --skip-bad leaves out an empty image instead of stopping', async () => {
  let r = await cli(['eval', '--checkpoint', join(T, 'model.safetensors'), '--data', join(T, 'data'), '--workers', '0']);
  assert.is(r.code, 1);
  assert.match(r.err, /empty\.png: error: empty: the file is empty/);
  r = await cli(['eval', '--checkpoint', join(T, 'model.safetensors'), '--data', join(T, 'data'), '--workers', '0', '--skip-bad', '--json']);
  assert.is(r.code, 0, r.err);
  assert.is((JSON.parse(r.out) as { images: number }).images, 2);
});

test('label files: UTF-16 is named, a header without rows is an error', async () => {
  const root = tempDir();
  put(root, 'a.png', photo());
  const text = 'path,grade\na.png,0\n';
  put(root, 'labels.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  let r = await cli(['data', 'inspect', root]);
  assert.is(r.code, 1);
  assert.match(r.out, /labels\.csv: error: the file is encoded as UTF-16 \(little-endian\), not UTF-8; save it as UTF-8/);
  put(root, 'labels.csv', Buffer.from(text, 'utf16le'));
  assert.match((await cli(['data', 'inspect', root])).out, /encoded as UTF-16 \(little-endian\)/, 'also without a byte-order mark');
  put(root, 'labels.csv', Buffer.from('path,grade\na.png,0\nb\xe9.png,1\n', 'latin1'));
  assert.match((await cli(['data', 'inspect', root])).out, /not valid UTF-8 \(byte 0xe9 at offset 20/);
  put(root, 'labels.csv', 'path,grade\n');
  r = await cli(['data', 'inspect', root]);
  assert.is(r.code, 1);
  assert.match(r.out, /labels\.csv:1: error: the label file has a header \(path, grade\) but no rows/);
});

test('data folds --check and train --folds-file refuse the same folds file with the same words', async () => {
  const root = tempDir();
  for (let i = 0; i < 6; i++) put(root, `p${i}.png`, photo());
  put(root, 'labels.csv', `path,grade\n${[0, 1, 2, 3, 4, 5].map((i) => `p${i}.png,${i % 3}`).join('\n')}\n`);
  // p5 has no fold (an error); "ghost" is not in the data set (a warning).
  const folds = put(root, '../folds-of-' + root.split('/').pop() + '.csv', 'id,fold\np0,0\np1,1\np2,0\np3,1\np4,0\nghost,1\n');
  const check = await cli(['data', 'folds', root, '--check', folds]);
  assert.is(check.code, 1);
  const train = await cli(['train', '--data', root, '--out', join(tempDir(), 'run'), '--folds', '2', '--folds-file', folds, '--workers', '0']);
  assert.is(train.code, 1);
  const refusal = `${folds}: the folds file has errors (listed above); fix them, or write a new one with drgrade data folds --out`;
  assert.ok(check.err.includes(refusal), check.err);
  assert.ok(train.err.includes(refusal), train.err);
  for (const r of [check.out + check.err, train.err]) {
    assert.match(r, /1 error\(s\), 1 warning\(s\)/);
    assert.match(r, /ghost is not in the data set/);
  }
  put(root, '../ok-' + root.split('/').pop() + '.csv', 'id,fold\np0,0\np1,1\np2,0\np3,1\np4,0\np5,1\nghost,1\n');
  assert.is((await cli(['data', 'folds', root, '--check', join(root, '..', 'ok-' + root.split('/').pop() + '.csv')])).code, 0, 'warnings alone do not refuse the file');
});

/** zlib stream of `data` (node:zlib, an independent encoder). */
function deflate(data: Uint8Array): Uint8Array {
  return new Uint8Array(zlibDeflate(data));
}

function pngFile(width: number, height: number, idat: Uint8Array): Uint8Array {
  const chunk = (type: string, body: Uint8Array): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array())]));
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test.run();
