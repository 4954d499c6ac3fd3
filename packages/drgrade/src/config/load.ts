// Reading a configuration: a preset name or a JSON file, CLI overrides, validation.
import { CONFIG_SPEC, type DrgradeConfig } from './config.ts';
import { PAPER, preset, PRESET_NAMES } from './presets.ts';
import { ConfigError, merge, parseOverride, setPath, validate } from './schema.ts';

/** Validates a full or partial config (merged over the paper's defaults); throws ConfigError naming each bad field. */
export function resolveConfig(base: DrgradeConfig, user: unknown, source: string, overrides: readonly string[] = []): DrgradeConfig {
  const problems: string[] = [];
  validate(CONFIG_SPEC, user, '', problems);
  if (problems.length) throw new ConfigError(problems, source);
  let cfg = merge(base, user);
  for (const o of overrides) {
    const { path, value } = parseOverride(o);
    const over = setPath({}, path, value);
    const p: string[] = [];
    validate(CONFIG_SPEC, over, '', p);
    if (p.length) throw new ConfigError(p.map((m) => `--set ${o}: ${m}`), 'command line');
    cfg = merge(cfg, over);
  }
  checkConsistency(cfg, source);
  return cfg;
}

function checkConsistency(cfg: DrgradeConfig, source: string): void {
  const problems: string[] = [];
  if (cfg.loss.classWeights && cfg.loss.classWeights.length !== cfg.model.numClasses) {
    problems.push(`loss.classWeights: ${cfg.loss.classWeights.length} weights for ${cfg.model.numClasses} classes`);
  }
  if (cfg.model.densenet.blockConfig.length < 3 && cfg.model.type === 'densenet-fpn-hbp') {
    problems.push('model.densenet.blockConfig: the FPN needs at least 3 dense blocks');
  }
  if (![18, 34, 50, 101].includes(cfg.model.resnet.depth)) problems.push(`model.resnet.depth: must be 18, 34, 50 or 101, found ${cfg.model.resnet.depth}`);
  if (cfg.model.pmg.granularities.some((n) => n < 1)) problems.push(`model.pmg.granularities: tiles per side must be >= 1, found [${cfg.model.pmg.granularities.join(', ')}]`);
  for (const [k, r] of [['data.augment.cropScale', cfg.data.augment.cropScale], ['data.augment.cropRatio', cfg.data.augment.cropRatio], ['data.augment.scale', cfg.data.augment.scale]] as const) {
    if (r[0]! > r[1]!) problems.push(`${k}: range [${r.join(', ')}] is reversed`);
  }
  if (problems.length) throw new ConfigError(problems, source);
}

/**
 * Whether a configuration saved by this or an earlier version (a run's config.json, a checkpoint's)
 * is `config`, compared as this version resolves it: a field added since takes its default, which
 * keeps the old behaviour, so a run started before the field existed can still be resumed.
 */
export function sameConfig(saved: unknown, config: DrgradeConfig, source: string): boolean {
  try {
    return JSON.stringify(resolveConfig(PAPER, saved, source)) === JSON.stringify(config);
  } catch (e) {
    if (e instanceof ConfigError) return false;
    throw e;
  }
}

/** The preset of that name; a lookup by a user's string, so only the listed names count (not `constructor`). */
function namedPreset(name: string): DrgradeConfig | null {
  return PRESET_NAMES.includes(name) ? preset(name) : null;
}

/** `name` is a preset or a path to a JSON file (Node). */
export async function loadConfig(name: string, overrides: readonly string[] = []): Promise<DrgradeConfig> {
  const p = namedPreset(name);
  if (p) return resolveConfig(p, {}, `config ${name}`, overrides);
  const fs = await import('node:fs');
  if (!fs.existsSync(name)) {
    throw new ConfigError([`no such preset or file (presets: ${PRESET_NAMES.join(', ')})`], `config ${name}`);
  }
  if (fs.statSync(name).isDirectory()) throw new ConfigError(['is a folder; give a preset name or a JSON file'], `config ${name}`);
  let text: string;
  try {
    text = fs.readFileSync(name, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read the file (${(e as Error).message})`], name);
  }
  let user: unknown;
  try {
    user = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`not valid JSON: ${(e as Error).message}`], name);
  }
  const baseName = typeof user === 'object' && user && Object.hasOwn(user, 'extends') ? String((user as { extends: unknown }).extends) : null;
  if (baseName !== null) delete (user as Record<string, unknown>).extends;
  const base = namedPreset(baseName ?? 'hbp-dsod-fl-or-ml');
  if (!base) throw new ConfigError([`extends: "${baseName}" is not a preset (${PRESET_NAMES.join(', ')})`], name);
  return resolveConfig(base, user, name, overrides);
}
