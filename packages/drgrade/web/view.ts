// Drawing on the page: images on canvases, the grade and its probability bars, messages and
// progress. Everything here only reads its arguments; app.ts decides what to show when.
import { GRADE_NAMES } from '../src/data/types.ts';
import type { RgbImage } from '../src/image/rgb-image.ts';

/** The element with this id, checked to be of the expected kind, so a markup change fails loudly. */
export function element<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`index.html has no <${kind.name}> with id "${id}"`);
  return found;
}

export function gradeName(grade: number): string {
  return GRADE_NAMES[grade] ?? `class ${grade}`;
}

/** Probabilities as the page prints them; the bars carry the exact value (aria-valuenow). */
export function percent(p: number): string {
  return `${(100 * p).toFixed(1)} %`;
}

export function drawImage(canvas: HTMLCanvasElement, image: RgbImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser has no 2D canvas to draw the images on');
  const pixels = context.createImageData(image.width, image.height);
  const { data } = pixels;
  for (let i = 0, o = 0; o < data.length; i += 3, o += 4) {
    data[o] = image.data[i]!;
    data[o + 1] = image.data[i + 1]!;
    data[o + 2] = image.data[i + 2]!;
    data[o + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
}

/** The grade's colour (a CSS variable per severity in style.css), set where its children read it. */
export function setGradeColor(target: HTMLElement, grade: number): void {
  target.style.setProperty('--grade-color', grade >= 0 && grade < GRADE_NAMES.length ? `var(--grade-${grade})` : 'var(--accent)');
}

/** One row per class: grade number and name, a bar, the percentage. The predicted row is marked. */
export function renderProbabilities(list: HTMLOListElement, probabilities: readonly number[], grade: number): void {
  list.replaceChildren(...probabilities.map((p, i) => {
    const row = document.createElement('li');
    row.classList.toggle('predicted', i === grade);
    const label = document.createElement('span');
    label.className = 'label';
    const number = document.createElement('b');
    number.textContent = String(i);
    label.append(number, gradeName(i));
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-label', `Probability of grade ${i}, ${gradeName(i)}`);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '1');
    bar.setAttribute('aria-valuenow', String(p));
    bar.setAttribute('aria-valuetext', percent(p));
    const fill = document.createElement('div');
    fill.className = 'bar-fill';
    fill.style.width = `${100 * p}%`;
    bar.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = percent(p);
    row.append(label, bar, value);
    return row;
  }));
}

/** A message in the alert box (role="alert", so screen readers announce it); null hides it. */
export function showAlert(message: { title: string; detail: string } | null): void {
  element('alert', HTMLDivElement).hidden = message === null;
  element('alert-title', HTMLParagraphElement).textContent = message?.title ?? '';
  element('alert-detail', HTMLParagraphElement).textContent = message?.detail ?? '';
}

/** An error message (they start in lower case, to follow a file name) as a sentence. */
export function sentence(message: string): string {
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}${message.endsWith('.') ? '' : '.'}`;
}

export function strong(text: string): HTMLElement {
  const b = document.createElement('strong');
  b.textContent = text;
  return b;
}

/**
 * Resolves once the browser has drawn what was just put on the page, so a status line shows
 * before long synchronous work (decoding a large JPEG, building a model). A hidden tab draws no
 * frames, so there it only yields.
 */
export function afterPaint(): Promise<void> {
  return new Promise((done) => {
    if (document.hidden) setTimeout(done, 0);
    else requestAnimationFrame(() => setTimeout(done, 0));
  });
}
