import { gateway } from './gateway.js';
import { nginxStream } from './nginx.js';
import { naive, tlsRelay, wsRelay } from './node-peer.js';
import { tcp } from './tcp.js';
import type { SystemSpec } from './types.js';
import { websockify } from './websockify.js';

/** Every system, in the order of the report's columns. */
export const SYSTEMS: readonly SystemSpec[] = [gateway, tlsRelay, wsRelay, naive, nginxStream, websockify, tcp];
