/**
 * Errors raised while decoding a store. Every message starts by naming the store as the user gave it, so that
 * a gateway with a keystore and a truststore always says which file is wrong.
 */
import { GatewayError, type GatewayErrorCode } from '../errors.js';

export function storeError(code: GatewayErrorCode, fileName: string, detail: string, cause?: unknown, hint?: string): GatewayError {
  return new GatewayError(code, `store "${fileName}": ${detail}`, { cause, hint });
}

/** The error for a structure that ends early or points outside the file. */
export function corrupt(fileName: string, detail: string, cause?: unknown): GatewayError {
  return storeError('GW_ERR_STORE_CORRUPT', fileName, `${detail} (the file is truncated or damaged)`, cause);
}

/** The message of any thrown value, for wrapping third-party errors. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
