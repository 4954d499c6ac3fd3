// Small, dependency-free SVG charts for the HTML report.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export { esc };

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  /** A dot at every point (learning curves: where the epochs are). */
  markers?: boolean;
  width?: number;
  dashed?: boolean;
}

/** A point drawn as a ring over the lines (e.g. a fold's selected epoch). */
export interface Highlight { x: number; y: number; color: string; title: string }

export interface ChartOptions {
  width?: number;
  height?: number;
  /** Fixed axis ranges (default: the data's). */
  xRange?: [number, number];
  yRange?: [number, number];
  yLabel?: string;
  highlights?: Highlight[];
  /** Legend entry for the highlights. */
  highlightName?: string;
}

const LEGEND_ENTRY = 120;

/** A line chart of several series over a shared x axis; the legend wraps onto as many rows as it needs. */
export function lineChart(title: string, xLabel: string, series: Series[], options: ChartOptions = {}): string {
  const width = options.width ?? 420;
  const perRow = Math.max(1, Math.floor((width - 48) / LEGEND_ENTRY));
  const entries = series.length + (options.highlights?.length ? 1 : 0);
  const legendRows = Math.max(1, Math.ceil(entries / perRow));
  const height = (options.height ?? 240) + (legendRows - 1) * 14;
  const pad = { l: 48, r: 12, t: 28, b: 22 + legendRows * 14 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<svg role="img" aria-label="${esc(title)}" width="${width}" height="${height}"><text x="10" y="20">${esc(title)}: no data</text></svg>`;
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const [x0, x1] = options.xRange ?? [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  let [y0, y1] = options.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const ticks = [0, 0.5, 1].map((f) => y0 + f * (y1 - y0));
  const lines = series.map((s) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const dots = s.markers ? pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`).join('') : '';
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>${dots}`;
  }).join('');
  const rings = (options.highlights ?? []).filter((h) => Number.isFinite(h.y)).map((h) =>
    `<circle cx="${sx(h.x).toFixed(1)}" cy="${sy(h.y).toFixed(1)}" r="6" fill="none" stroke="${h.color}" stroke-width="2"><title>${esc(h.title)}</title></circle>`).join('');
  const legendItems = [
    ...series.map((s) => `<rect width="10" height="10" y="-9" fill="${s.color}"/><text x="14" font-size="11">${esc(s.name)}</text>`),
    ...(options.highlights?.length ? [`<circle cx="5" cy="-4" r="5" fill="none" stroke="#333" stroke-width="2"/><text x="14" font-size="11">${esc(options.highlightName ?? 'marked')}</text>`] : []),
  ];
  const legend = legendItems.map((item, i) =>
    `<g transform="translate(${pad.l + (i % perRow) * LEGEND_ENTRY},${height - pad.b + 30 + Math.floor(i / perRow) * 14})">${item}</g>`).join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif">` +
    `<text x="${pad.l}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>` +
    (options.yLabel ? `<text x="${pad.l - 4}" y="${pad.t - 4}" font-size="10" text-anchor="end">${esc(options.yLabel)}</text>` : '') +
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#888"/>` +
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#888"/>` +
    ticks.map((t) => `<text x="${pad.l - 4}" y="${sy(t) + 4}" font-size="10" text-anchor="end">${t.toPrecision(3)}</text>`).join('') +
    `<text x="${width - pad.r}" y="${height - pad.b + 14}" font-size="10" text-anchor="end">${esc(xLabel)} ${x1}</text>` +
    `<text x="${pad.l}" y="${height - pad.b + 14}" font-size="10">${x0}</text>` +
    lines + rings + legend + '</svg>';
}

/** A confusion matrix as a shaded grid (rows: true grade, columns: predicted). */
export function confusionChart(title: string, m: number[][], labels: string[], cell = 44): string {
  const C = m.length;
  const max = Math.max(1, ...m.flat());
  const off = 110;
  const size = off + C * cell + 10;
  const cells = m.flatMap((row, i) => row.map((v, j) => {
    const shade = Math.round(255 - (v / max) * 200);
    const x = off + j * cell, y = off - 60 + i * cell;
    return `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>` +
      `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" font-size="12" text-anchor="middle">${v}</text>`;
  })).join('');
  const rowLabels = labels.map((l, i) => `<text x="${off - 6}" y="${off - 60 + i * cell + cell / 2 + 4}" font-size="11" text-anchor="end">${esc(l)}</text>`).join('');
  const colLabels = labels.map((_, j) => `<text x="${off + j * cell + cell / 2}" y="${off - 64}" font-size="11" text-anchor="middle">${j}</text>`).join('');
  return `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${size} ${size - 50}" width="${size}" height="${size - 50}" font-family="sans-serif">` +
    `<text x="4" y="16" font-size="13" font-weight="bold">${esc(title)}</text><text x="${off}" y="34" font-size="11">predicted grade →</text>` +
    rowLabels + colLabels + cells + '</svg>';
}
