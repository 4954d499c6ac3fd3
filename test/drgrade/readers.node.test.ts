// Every data-set reader on a small fixture built here, plus the real IDRiD-layout sample.
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectFormat, readDataset, type Dataset } from 'drgrade';
import { put, sampleRoot, tempDir, tinyImage } from './helpers.ts';

const IDRID_TRAIN = 'B. Disease Grading/1. Original Images/a. Training Set';
const IDRID_TEST = 'B. Disease Grading/1. Original Images/b. Testing Set';
const IDRID_LABELS = 'B. Disease Grading/2. Groundtruths';

function byId(dataset: Dataset): Record<string, { grade: number; group: string; file: string }> {
  return Object.fromEntries(dataset.items.map((i) => [i.id, { grade: i.grade, group: i.group, file: i.path.slice(dataset.root.length + 1) }]));
}

function errorsOf(dataset: Dataset): string[] {
  return dataset.problems.filter((p) => p.severity === 'error').map((p) => `${p.kind} ${p.file}${p.line ? `:${p.line}` : ''}`);
}

test('IDRiD, training set only: BOM, CRLF, "Risk of macular edema " header, empty columns', () => {
  const root = tempDir();
  for (let i = 1; i <= 3; i++) put(root, `${IDRID_TRAIN}/IDRiD_00${i}.jpg`, tinyImage(i, 'jpg'));
  put(root, `${IDRID_LABELS}/a. IDRiD_Disease Grading_Training Labels.csv`,
    '\uFEFFImage name,Retinopathy grade,Risk of macular edema ,,\r\nIDRiD_001,3,2,,\r\nIDRiD_002,0,0,,\r\nIDRiD_003,4,1,,\r\n,,,,\r\n');
  assert.is(detectFormat(root), 'idrid');
  const dataset = readDataset(root);
  assert.equal(errorsOf(dataset), []);
  assert.equal(byId(dataset), {
    IDRiD_001: { grade: 3, group: 'IDRiD_001', file: `${IDRID_TRAIN}/IDRiD_001.jpg` },
    IDRiD_002: { grade: 0, group: 'IDRiD_002', file: `${IDRID_TRAIN}/IDRiD_002.jpg` },
    IDRiD_003: { grade: 4, group: 'IDRiD_003', file: `${IDRID_TRAIN}/IDRiD_003.jpg` },
  });
  assert.equal(dataset.labelFiles, [`${IDRID_LABELS}/a. IDRiD_Disease Grading_Training Labels.csv`]);
  // The "B. Disease Grading" folder itself is accepted as the root too.
  assert.is(readDataset(join(root, 'B. Disease Grading')).items.length, 3);
});

test('IDRiD, training + testing pooled: ids and groups prefixed by split', () => {
  const root = tempDir();
  put(root, `${IDRID_TRAIN}/IDRiD_001.jpg`, tinyImage(1, 'jpg'));
  put(root, `${IDRID_TEST}/IDRiD_001.jpg`, tinyImage(2, 'jpg'));
  put(root, `${IDRID_LABELS}/a. IDRiD_Disease Grading_Training Labels.csv`, 'Image name,Retinopathy grade,Risk of macular edema\nIDRiD_001,2,0\n');
  put(root, `${IDRID_LABELS}/b. IDRiD_Disease Grading_Testing Labels.csv`, 'Image name,Retinopathy grade,Risk of macular edema\nIDRiD_001,4,0\n');
  const dataset = readDataset(root, 'idrid');
  assert.equal(errorsOf(dataset), []);
  assert.equal(byId(dataset), {
    'train/IDRiD_001': { grade: 2, group: 'train/IDRiD_001', file: `${IDRID_TRAIN}/IDRiD_001.jpg` },
    'test/IDRiD_001': { grade: 4, group: 'test/IDRiD_001', file: `${IDRID_TEST}/IDRiD_001.jpg` },
  });
});

test('the real photographs: 11 images, 6 patients (PatientNNN_L/R), all five grades', () => {
  const dataset = readDataset(sampleRoot());
  assert.is(dataset.format, 'idrid');
  assert.equal(dataset.problems, []);
  assert.is(dataset.items.length, 11);
  assert.is(new Set(dataset.items.map((i) => i.group)).size, 6);
  const items = byId(dataset);
  assert.equal(items.Patient146_L, { grade: 4, group: 'Patient146', file: `${IDRID_TRAIN}/Patient146_L.jpg` });
  assert.equal(items.Patient146_R?.group, 'Patient146');
  assert.equal(dataset.items.map((i) => i.grade).sort(), [0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4]);
});

test('DeepDRiD: Windows image_path without Images\\, grade from the filled eye column, patient groups', () => {
  const root = tempDir();
  const rows = ['patient_id,image_id,image_path,Overall quality,left_eye_DR_Level,right_eye_DR_Level,patient_DR_Level,Clarity,Field definition,Artifact'];
  for (const [p, img, left, right] of [['56', '56_l1', '1', ''], ['56', '56_r3', '1', ''], ['56', '56_l3', '', '0'], ['57', '57_r1', '', '4']] as const) {
    put(root, `regular_fundus_images/regular-fundus-training/Images/${p}/${img}.jpg`, tinyImage(Number(p) + img.length, 'jpg'));
    rows.push(`${p},${img},\\regular-fundus-training\\${p}\\${img}.jpg,0,${left},${right},1,8,8,0`);
  }
  put(root, 'regular_fundus_images/regular-fundus-training/regular-fundus-training.csv', `${rows.join('\n')}\n`);
  put(root, 'regular_fundus_images/regular-fundus-validation/Images/265/265_l1.jpg', tinyImage(9, 'jpg'));
  put(root, 'regular_fundus_images/regular-fundus-validation/regular-fundus-validation.csv',
    `${rows[0]}\n265,265_l1,\\regular-fundus-validation\\265\\265_l1.jpg,0,3,,4,4,8,10\n`);
  assert.is(detectFormat(root), 'deepdrid');
  const dataset = readDataset(root);
  assert.equal(errorsOf(dataset), []);
  const items = byId(dataset);
  assert.is(items['56_r3']?.grade, 1, '56_r3 carries a left-eye grade; the column wins over the file name');
  assert.is(items['56_l3']?.grade, 0);
  assert.is(items['57_r1']?.grade, 4);
  assert.is(items['265_l1']?.file, 'regular_fundus_images/regular-fundus-validation/Images/265/265_l1.jpg');
  assert.equal([...new Set(dataset.items.map((i) => i.group))].sort(), ['265', '56', '57']);
});

test('APTOS 2019 (also the nested train_images/train_images download)', () => {
  for (const nested of [false, true]) {
    const root = tempDir();
    const dir = nested ? 'train_images/train_images' : 'train_images';
    put(root, `${dir}/000c1434d8d7.png`, tinyImage(1));
    put(root, `${dir}/001639a390f0.png`, tinyImage(2));
    put(root, 'train.csv', 'id_code,diagnosis\n000c1434d8d7,2\n001639a390f0,4\n');
    put(root, 'test.csv', 'id_code\nabc\n');
    assert.is(detectFormat(root), 'aptos');
    const dataset = readDataset(root);
    assert.equal(errorsOf(dataset), []);
    assert.equal(byId(dataset)['001639a390f0'], { grade: 4, group: '001639a390f0', file: `${dir}/001639a390f0.png` });
  }
});

test('EyePACS: trainLabels.csv, .jpeg files, patient from 10_left / 10_right', () => {
  const root = tempDir();
  for (const [i, name] of ['10_left', '10_right', '13_left'].entries()) put(root, `train/${name}.jpeg`, tinyImage(i, 'jpg'));
  put(root, 'trainLabels.csv', 'image,level\n10_left,0\n10_right,1\n13_left,3\n');
  assert.is(detectFormat(root), 'eyepacs');
  const dataset = readDataset(root);
  assert.equal(errorsOf(dataset), []);
  assert.equal(byId(dataset), {
    '10_left': { grade: 0, group: '10', file: 'train/10_left.jpeg' },
    '10_right': { grade: 1, group: '10', file: 'train/10_right.jpeg' },
    '13_left': { grade: 3, group: '13', file: 'train/13_left.jpeg' },
  });
});

test('Messidor-2: adjudicated grades, ungradable rows skipped, exam pairs as groups', () => {
  const root = tempDir();
  put(root, 'IMAGES/20051020_43808_0100_PP.png', tinyImage(1));
  put(root, 'IMAGES/20051020_43832_0100_PP.png', tinyImage(2));
  put(root, 'IMAGES/IM000001.JPG', tinyImage(3, 'jpg'));
  put(root, 'IMAGES/IM000002.JPG', tinyImage(4, 'jpg'));
  put(root, 'messidor_data.csv', 'image_id,adjudicated_dr_grade,adjudicated_dme,adjudicated_gradable\n'
    + '20051020_43808_0100_PP.png,0,0,1\n20051020_43832_0100_PP.png,1,0,1\nIM000001.JPG,,,0\nIM000002.JPG,3,1,1\n');
  assert.is(detectFormat(root), 'messidor2');
  let dataset = readDataset(root);
  assert.equal(errorsOf(dataset), []);
  assert.equal(dataset.problems.map((p) => p.kind).sort(), ['no-patient-ids', 'ungradable']);
  assert.equal(dataset.items.map((i) => i.id).sort(), ['20051020_43808_0100_PP', '20051020_43832_0100_PP', 'IM000002']);

  put(root, 'messidor-2.csv', 'left;right\n20051020_43808_0100_PP.png;20051020_43832_0100_PP.png\nIM000001.JPG;IM000002.JPG\n');
  dataset = readDataset(root);
  assert.equal(dataset.problems.map((p) => p.kind), ['ungradable']);
  const items = byId(dataset);
  assert.is(items['20051020_43832_0100_PP']?.group, '20051020_43808_0100_PP');
  assert.is(items.IM000002?.group, 'IM000001');
  assert.equal(items.IM000002?.file, 'IMAGES/IM000002.JPG');
});

test('generic CSV: path,grade,group; paths in sub-folders; the CSV itself as the root', () => {
  const root = tempDir();
  put(root, 'a/x1.png', tinyImage(1));
  put(root, 'a/x2.jpg', tinyImage(2, 'jpg'));
  put(root, 'b/Patient7_R.png', tinyImage(3));
  put(root, 'labels.csv', 'path,grade,group\na/x1.png,0,p1\na/x2.jpg,2,p1\nb/Patient7_R.png,1,\n');
  assert.is(detectFormat(root), 'csv');
  for (const dataset of [readDataset(root), readDataset(join(root, 'labels.csv'))]) {
    assert.equal(errorsOf(dataset), []);
    assert.equal(byId(dataset), {
      'a/x1': { grade: 0, group: 'p1', file: 'a/x1.png' },
      'a/x2': { grade: 2, group: 'p1', file: 'a/x2.jpg' },
      'b/Patient7_R': { grade: 1, group: 'Patient7', file: 'b/Patient7_R.png' },
    });
  }
});

test('folder per grade, nested folders, the same name under two grades is a conflict', () => {
  const root = tempDir();
  put(root, '0/a_left.png', tinyImage(1));
  put(root, '0/sub/b.png', tinyImage(2));
  put(root, '3/a_right.jpg', tinyImage(3, 'jpg'));
  put(root, '4/notes.txt', 'not an image');
  put(root, 'extra/c.png', tinyImage(4));
  assert.is(detectFormat(root), 'folders');
  let dataset = readDataset(root);
  assert.equal(errorsOf(dataset), []);
  assert.equal(byId(dataset), {
    a_left: { grade: 0, group: 'a', file: '0/a_left.png' },
    b: { grade: 0, group: 'b', file: '0/sub/b.png' },
    a_right: { grade: 3, group: 'a', file: '3/a_right.jpg' },
  });
  assert.equal(dataset.problems.map((p) => `${p.severity} ${p.file}`), ['warning extra']);
  put(root, '2/b.png', tinyImage(5));
  dataset = readDataset(root);
  assert.equal(errorsOf(dataset), ['duplicate 2/b.png']);
  assert.not.ok(dataset.items.some((i) => i.id === 'b'), 'both conflicting copies are left out');
});

test('preprocessed copies with another extension are still found (IDRiD .jpg → .png)', () => {
  const root = tempDir();
  put(root, `${IDRID_TRAIN}/IDRiD_001.png`, tinyImage(1));
  put(root, `${IDRID_LABELS}/a. IDRiD_Disease Grading_Training Labels.csv`, 'Image name,Retinopathy grade\nIDRiD_001,1\n');
  const generic = tempDir();
  put(generic, 'img/a.png', tinyImage(2));
  put(generic, 'labels.csv', 'path,grade\nimg/a.jpg,2\n');
  assert.is(readDataset(root).items.length, 1);
  assert.equal(byId(readDataset(generic))['img/a']?.file, 'img/a.png');
});

test('unknown layouts and missing folders are one clear error', () => {
  const root = tempDir();
  put(root, 'readme.txt', 'hello');
  assert.throws(() => readDataset(root), /cannot tell the format[\s\S]*idrid: [\s\S]*folders: /);
  assert.throws(() => readDataset(join(root, 'nope')), /data set folder not found/);
  assert.is(detectFormat(root), null);
  const link = join(tempDir(), 'linked');
  symlinkSync(sampleRoot(), link);
  assert.is(readDataset(link).items.length, 11, 'a data set reached through a symbolic link is fine');
});

test.run();
