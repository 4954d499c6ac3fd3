// The report's provenance section: what produced these figures.
import type { Provenance } from './provenance.ts';
import { esc } from './svg.ts';

export function provenanceSection(p: Provenance | null): string {
  if (!p) return '';
  const row = (name: string, value: string) => `<tr><th>${name}</th><td>${value}</td></tr>`;
  return `<h2>Provenance</h2>
<table id="provenance">${row('drgrade version', esc(p.drgradeVersion))}${row('report written', esc(p.date))}${row('adapter', esc(p.adapter))}
${row('seed', p.seed === null ? '–' : String(p.seed))}
${row('labels and folds (SHA-256)', p.fingerprint ? `<code>${p.fingerprint.sha256}</code><br><small>of the ${esc(p.fingerprint.of)}</small>` : '–')}
${row('kernel choices', p.kernels ? `fixed throughout in ${p.kernels.repeatable} of ${p.kernels.of} folds (autotuner ${p.kernels.autotune})<br><small>only those repeat bit for bit with the same seed, data and decisions; the others switched kernels part-way</small>` : '–')}</table>
${p.config ? `<details><summary>Configuration (config.json)</summary><pre id="config">${esc(JSON.stringify(p.config, null, 2))}</pre></details>` : '<p>No config.json in the run folder.</p>'}`;
}
