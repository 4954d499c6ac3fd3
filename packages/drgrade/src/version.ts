// drgrade's version, from its package.json (bundled in at build time), for reports and model files.
import { version } from '../package.json';

export const DRGRADE_VERSION: string = version;
