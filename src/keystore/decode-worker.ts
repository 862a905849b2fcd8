/**
 * The thread of decode-thread.ts: decodes each store it is given and posts back, in order, its contents or, for a
 * store that failed, undefined (the reload reads that one again itself, and reports its error).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DecodeRequest } from './decode-thread.js';
import { readStore } from './index.js';
import type { StoreContents } from './types.js';

const decoded: (StoreContents | undefined)[] = [];
for (const { bytes, options } of workerData as readonly DecodeRequest[]) {
  try {
    decoded.push(readStore(bytes, options));
  } catch {
    decoded.push(undefined);
  }
}
parentPort?.postMessage(decoded);
