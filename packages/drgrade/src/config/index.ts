export { CONFIG_SPEC, type DrgradeConfig, type ModelType } from './config.ts';
export { PAPER, PRESET_NAMES, preset } from './presets.ts';
export { loadConfig, resolveConfig, sameConfig } from './load.ts';
export { ConfigError, documentSpec } from './schema.ts';
