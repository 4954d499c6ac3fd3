// The grading page. A model file and a fundus photograph chosen by the user are read with the
// File API, never sent anywhere; predictImage grades the photograph and gradcamImage explains the
// grade — the functions the CLI uses, running here on the browser's WebGPU.
import { getDevice, describeDevice, TensorError } from '@drgrade/tensor';
import { colorRamp } from '../src/gradcam/color-bar.ts';
import { overlay } from '../src/gradcam/gradcam.ts';
import { heatOnPhoto } from '../src/gradcam/photo-heat.ts';
import { assessGradability } from '../src/image/gradability.ts';
import type { RgbImage } from '../src/image/rgb-image.ts';
import { describeAveraging, usesFlips } from '../src/infer/class-probabilities.ts';
import { referableProbability } from '../src/metrics/referable.ts';
import { gradcamImage, predictImage, type GradcamResult, type Prediction } from '../src/infer/predict.ts';
import { decodeModelFile, type LoadedModel } from '../src/train/checkpoint.ts';
import { cardSentence } from '../src/train/model-card.ts';
import { graderMembers } from '../src/train/ensemble.ts';
import { ImageDecodeError, errorMessage } from '../src/util/errors.ts';
import { decodePhoto } from './photo.ts';
import { afterPaint, drawImage, element, gradeName, percent, renderProbabilities, sentence, setGradeColor, showAlert, strong } from './view.ts';

/** A model beside the page under this name is loaded at start (`drgrade serve` puts one there). */
const SHIPPED_MODEL = 'model.safetensors';

const ui = {
  modelStatus: element('model-status', HTMLParagraphElement),
  modelCard: element('model-card', HTMLParagraphElement),
  modelButton: element('model-button', HTMLButtonElement),
  modelInput: element('model-input', HTMLInputElement),
  dropZone: element('drop-zone', HTMLDivElement),
  photoStatus: element('photo-status', HTMLParagraphElement),
  photoButton: element('photo-button', HTMLButtonElement),
  photoInput: element('photo-input', HTMLInputElement),
  adapter: element('adapter', HTMLElement),
  results: element('results', HTMLElement),
  progress: element('progress', HTMLDivElement),
  progressText: element('progress-text', HTMLParagraphElement),
  placeholder: element('placeholder', HTMLParagraphElement),
  result: element('result', HTMLDivElement),
  grade: element('grade', HTMLParagraphElement),
  gradeNumber: element('grade-number', HTMLSpanElement),
  gradeName: element('grade-name', HTMLSpanElement),
  probabilities: element('probabilities', HTMLOListElement),
  referable: element('referable', HTMLElement),
  preprocessed: element('preprocessed-canvas', HTMLCanvasElement),
  gradcam: element('gradcam-canvas', HTMLCanvasElement),
  gradcamCaption: element('gradcam-caption', HTMLElement),
  heatOnPhoto: element('heat-on-photo', HTMLInputElement),
  heatOnInput: element('heat-on-input', HTMLInputElement),
  legendBar: element('legend-bar', HTMLCanvasElement),
  opacity: element('opacity', HTMLInputElement),
  opacityValue: element('opacity-value', HTMLOutputElement),
};

interface Photo { name: string; image: RgbImage }
/**
 * What the opacity slider and the photograph / model-input choice redraw: the heat maps stay,
 * only the mix and the background change.
 */
interface Explanation { target: number; photo: RgbImage; photoHeat: Float32Array; preprocessed: RgbImage; heat: Float32Array }

let model: { loaded: LoadedModel; name: string } | null = null;
let photo: Photo | null = null;
let explanation: Explanation | null = null;
let ready = false;

/** Work runs one task at a time, in the order the user asked for it. */
let queue: Promise<void> = Promise.resolve();
function enqueue(task: () => Promise<void>): void {
  queue = queue.then(task).catch((error: unknown) => {
    showAlert({ title: 'Something went wrong', detail: errorMessage(error) });
    setBusy(null);
  });
}

/** What the status line says when nothing runs: the timings of the last grading, or nothing. */
let summary = '';

/** Shows what is running (with a progress bar), or with null that nothing is. */
function setBusy(text: string | null): void {
  ui.results.setAttribute('aria-busy', String(text !== null));
  ui.progress.hidden = text === null;
  ui.progressText.textContent = text ?? summary;
}

function setInputsEnabled(enabled: boolean): void {
  ui.modelButton.disabled = !enabled;
  ui.photoButton.disabled = !enabled;
}

/** What the result area says while there is nothing to grade. */
function updatePlaceholder(): void {
  ui.placeholder.textContent = model && !photo ? 'Model ready: choose a photograph to grade.'
    : photo && !model ? 'Photograph ready: choose a model to grade it.'
    : 'Choose a model and a photograph to see the grade.';
}

async function useModel(bytes: Uint8Array, name: string): Promise<void> {
  setBusy(`Loading the model ${name}…`);
  await afterPaint();
  let loaded: LoadedModel;
  try {
    loaded = decodeModelFile(bytes, name);
  } catch (error) {
    setBusy(null);
    const message = errorMessage(error).replace(`${name}: `, '');
    showAlert(error instanceof TensorError
      ? { title: `The model in “${name}” could not be set up on the GPU`, detail: sentence(message) }
      : { title: `“${name}” is not a drgrade model`, detail: `${sentence(message)} Choose a model file written by drgrade train (model-best.safetensors).` });
    return;
  }
  model?.loaded.model.dispose();
  model = { loaded, name };
  showAlert(null);
  const { config } = loaded;
  const averaged = describeAveraging(graderMembers(loaded.model).length, usesFlips(config, undefined));
  ui.modelStatus.replaceChildren(strong(name), ` · ${config.name} · ${config.model.type} · ${config.data.imageSize} px input${averaged ? ` · ${averaged}` : ''}`);
  ui.modelStatus.title = config.description;
  // A shipped model says how well it graded in cross-validation; a model chosen by hand may not.
  ui.modelCard.textContent = loaded.card ? cardSentence(loaded.card) : '';
  ui.modelCard.hidden = loaded.card === null;
  if (photo) await analyse();
  else {
    setBusy(null);
    updatePlaceholder();
  }
}

async function usePhoto(file: File): Promise<void> {
  setBusy(`Reading ${file.name}…`);
  await afterPaint();
  let image: RgbImage;
  try {
    image = await decodePhoto(file);
  } catch (error) {
    setBusy(null);
    if (!(error instanceof ImageDecodeError)) throw error;
    const message = errorMessage(error);
    showAlert(error.kind === 'too-large'
      ? { title: `“${file.name}” is too large to grade`, detail: sentence(message) }
      : { title: `“${file.name}” cannot be read as a photograph`, detail: `${sentence(message)} Choose a fundus photograph saved as JPEG or PNG.` });
    return;
  }
  photo = { name: file.name, image };
  showAlert(null);
  ui.photoStatus.replaceChildren(strong(file.name), ` · ${image.width} × ${image.height}`);
  if (model) await analyse();
  else {
    setBusy(null);
    updatePlaceholder();
  }
}

function drawExplanation(): void {
  if (!explanation) return;
  const opacity = Number(ui.opacity.value) / 100;
  const onPhoto = ui.heatOnPhoto.checked;
  const { image, heat } = onPhoto ? { image: explanation.photo, heat: explanation.photoHeat } : { image: explanation.preprocessed, heat: explanation.heat };
  drawImage(ui.gradcam, { width: image.width, height: image.height, data: overlay(image.data, heat, opacity) });
  const over = onPhoto ? 'the photograph' : 'the model input';
  ui.gradcamCaption.textContent = `Grad-CAM for grade ${explanation.target} over ${over} (${image.width} × ${image.height})`;
  ui.gradcam.setAttribute('aria-label', `Grad-CAM heat map for grade ${explanation.target} over ${over}`);
}

function failed(error: unknown): void {
  setBusy(null);
  if (ui.result.hidden) {
    ui.placeholder.textContent = 'No grade: see the message above.';
    ui.placeholder.hidden = false;
  }
  showAlert({ title: `Grading “${photo?.name ?? 'the photograph'}” failed`, detail: errorMessage(error) });
}

async function analyse(): Promise<void> {
  if (!model || !photo) return;
  const net = model.loaded.model;
  const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  explanation = null;
  summary = '';
  ui.result.hidden = true;
  // As in drgrade predict: a photograph without a gradable fundus gets the reason, never a grade.
  const verdict = assessGradability(photo.image);
  if (!verdict.gradable) {
    ui.placeholder.textContent = sentence(verdict.reason);
    ui.placeholder.hidden = false;
    setBusy(null);
    return;
  }
  ui.placeholder.hidden = true;
  setBusy('Step 1 of 2 · Grading on WebGPU…');
  await afterPaint();
  let started = performance.now();
  let prediction: Prediction & { preprocessed: RgbImage };
  try {
    prediction = await predictImage(net, photo.image);
  } catch (error) {
    failed(error);
    return;
  }
  const gradeTime = seconds(started);
  const { grade, probabilities } = prediction;
  ui.gradeNumber.textContent = String(grade);
  ui.gradeName.textContent = gradeName(grade);
  ui.grade.dataset.grade = String(grade);
  setGradeColor(ui.result, grade);
  renderProbabilities(ui.probabilities, probabilities, grade);
  // Screening refers on grade ≥ 2; its probability is what the model card's operating points cut.
  const referable = referableProbability(probabilities);
  ui.referable.textContent = percent(referable);
  ui.referable.dataset.value = String(referable);
  drawImage(ui.preprocessed, prediction.preprocessed);
  ui.gradcam.getContext('2d')?.clearRect(0, 0, ui.gradcam.width, ui.gradcam.height);
  ui.gradcamCaption.textContent = `Grad-CAM for grade ${grade}`;
  ui.result.hidden = false;

  setBusy(`Step 2 of 2 · Computing Grad-CAM… (graded as ${grade}, ${gradeName(grade)}, ${percent(probabilities[grade]!)})`);
  started = performance.now();
  let cam: GradcamResult;
  try {
    cam = await gradcamImage(net, photo.image);
  } catch (error) {
    failed(error);
    return;
  }
  explanation = { target: cam.target, photo: photo.image, photoHeat: heatOnPhoto(cam.heat, cam.preprocessed.width, cam.frame), preprocessed: cam.preprocessed, heat: cam.heat };
  drawExplanation();
  summary = `Graded in ${gradeTime}; Grad-CAM in ${seconds(started)}.`;
  setBusy(null);
}

function openFile(file: File): void {
  if (!ready) return;
  if (file.name.toLowerCase().endsWith('.safetensors')) {
    enqueue(async () => useModel(new Uint8Array(await file.arrayBuffer()), file.name));
  } else {
    enqueue(() => usePhoto(file));
  }
}

function wire(): void {
  ui.modelButton.addEventListener('click', () => ui.modelInput.click());
  ui.photoButton.addEventListener('click', () => ui.photoInput.click());
  for (const input of [ui.modelInput, ui.photoInput]) {
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      // Cleared so that choosing the same file again (after replacing it on disk) fires again.
      input.value = '';
      if (file) openFile(file);
    });
  }
  ui.opacity.addEventListener('input', () => {
    ui.opacityValue.textContent = `${ui.opacity.value} %`;
    drawExplanation();
  });
  for (const choice of [ui.heatOnPhoto, ui.heatOnInput]) choice.addEventListener('change', drawExplanation);
  // Dropping anywhere counts: a file that misses the zone would otherwise replace the page.
  let depth = 0;
  window.addEventListener('dragenter', (event) => { event.preventDefault(); depth++; ui.dropZone.classList.add('dragging'); });
  window.addEventListener('dragleave', () => { depth = Math.max(0, depth - 1); if (depth === 0) ui.dropZone.classList.remove('dragging'); });
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    ui.dropZone.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file) openFile(file);
  });
}

async function loadShippedModel(): Promise<void> {
  let response: Response | null = null;
  try {
    response = await fetch(SHIPPED_MODEL, { cache: 'no-cache' });
  } catch {
    // Unreachable or blocked: the same as no shipped model.
  }
  if (!response?.ok) {
    ui.modelStatus.textContent = 'No model is shipped with this page. Choose a model file (model-best.safetensors) written by drgrade train.';
    return;
  }
  // drgrade serve names the file it ships (models/drgrade-real.safetensors unless --model names another).
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? SHIPPED_MODEL;
  await useModel(new Uint8Array(await response.arrayBuffer()), name);
}

async function start(): Promise<void> {
  wire();
  drawImage(ui.legendBar, colorRamp(256, 1));
  setInputsEnabled(false);
  try {
    const { info } = await getDevice();
    ui.adapter.textContent = info.kind === 'cpu' ? `${info.name} · a CPU driver (slower than a GPU)` : `${info.name} · GPU`;
    ui.adapter.title = describeDevice(info);
  } catch (error) {
    ui.adapter.textContent = 'none';
    ui.modelStatus.textContent = 'Unavailable without WebGPU.';
    ui.placeholder.textContent = 'Grading needs a browser with WebGPU.';
    showAlert({ title: 'This browser cannot run the model', detail: errorMessage(error) });
    return;
  }
  ready = true;
  setInputsEnabled(true);
  enqueue(loadShippedModel);
}

void start();
