/**
 * gateway-config.xml → a typed, frozen GatewayConfig, or every problem found, each at its file:line:col.
 * See docs/configuration.md for the vocabulary, grammars and defaults.
 */
export { loadConfig, loadConfigBytes, parseConfig } from './parse.js';
export { parseDataSize, parseTimeInterval } from './grammar.js';
export type * from './types.js';
