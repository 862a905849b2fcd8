/**
 * One client connection to a system under test, spoken the way that system expects: WebSocket over mutual TLS
 * (the gateway, websockify), bare mutual TLS (nginx stream, which does no WebSocket framing), or plain TCP (the
 * floor); WebSocket over plain TCP too, for a ws:// accept. Every scenario uses this one client, so each system is measured with the same logic; the only
 * difference is the framing its protocol needs.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { checkUpgradeResponse, closeFrame, encodeFrame, FrameReader, OPCODE, upgradeRequest } from './frame.js';

/** 'ws': WebSocket over mutual TLS; 'ws-plain': WebSocket over plain TCP (a ws:// accept); 'tls'; 'tcp'. */
export type Protocol = 'ws' | 'ws-plain' | 'tls' | 'tcp';

function overTls(protocol: Protocol): boolean {
  return protocol === 'ws' || protocol === 'tls';
}

export interface Endpoint {
  readonly protocol: Protocol;
  readonly host: string;
  readonly port: number;
  /** The request path of the WebSocket upgrade. */
  readonly path: string;
}

export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface Link {
  readonly socket: Socket;
  /** Where the far side's payload bytes go (WebSocket framing removed). */
  onBytes: (chunk: Buffer) => void;
  /** The wire bytes that carry `payload` as one message. */
  frame(payload: Buffer): Buffer;
  /** Closes politely (close frame, TLS close_notify, FIN) and resolves when the socket is closed. */
  close(): Promise<void>;
  /** Closes at once. */
  destroy(): void;
  /** The close frame the far side sent (WebSocket only): its status code (undefined when it carried none) and reason. */
  readonly peerClose: { readonly code: number | undefined; readonly reason: string } | undefined;
  /** The last TLS session the server sent (a ticket to resume with), once it has sent one. */
  readonly tlsSession: Buffer | undefined;
  /** The TLS handshake resumed the session it was given. */
  readonly resumed: boolean;
}

export interface LinkOptions {
  /**
   * Answer pings with pongs (default true). A client that does not plays one that is gone without a FIN, for
   * checking a server's inactivity timeout.
   */
  readonly answerPings?: boolean;
  /** A TLS session to resume (from an earlier link's tlsSession). */
  readonly session?: Buffer | undefined;
}

/**
 * One secure context per set of credentials: given keys and certificates as options, tls.connect parses them into
 * a new context for every connection, which costs the client more than the handshake's own signature.
 */
const contexts = new WeakMap<ClientTls, SecureContext>();

function contextFor(tls: ClientTls): SecureContext {
  let context = contexts.get(tls);
  if (!context) {
    context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
    contexts.set(tls, context);
  }
  return context;
}

/** The protocol's own handshake must finish within this, or the connection counts as failed. */
const HANDSHAKE_TIMEOUT_MS = 30000;

interface Raw {
  readonly socket: Socket;
  /** Updated as the server sends session tickets (TLS 1.2 in the handshake, TLS 1.3 after it). */
  readonly sessions: { latest: Buffer | undefined };
  readonly resumed: boolean;
}

function rawSocket(ep: Endpoint, tls: ClientTls, session: Buffer | undefined): Promise<Raw> {
  const sessions: { latest: Buffer | undefined } = { latest: undefined };
  return new Promise((resolve, reject) => {
    let socket: Socket | TLSSocket;
    if (!overTls(ep.protocol)) {
      socket = netConnect({ host: ep.host, port: ep.port, noDelay: true });
      socket.once('connect', () => settle());
    } else {
      // The chain is still verified against the CA; the host-name check is skipped because Node does it by turning
      // the whole peer certificate into JS objects, a sixth of the client's time per handshake.
      socket = tlsConnect({ host: ep.host, port: ep.port, secureContext: contextFor(tls), checkServerIdentity: () => undefined, ...(session ? { session } : {}) });
      socket.on('session', (s: Buffer) => (sessions.latest = s));
      socket.setNoDelay(true);
      socket.once('secureConnect', () => settle());
    }
    const timer = setTimeout(() => fail(new Error(`no ${overTls(ep.protocol) ? 'TLS' : 'TCP'} connection to ${ep.host}:${ep.port} within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)), HANDSHAKE_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const onClose = () => fail(new Error(`${ep.host}:${ep.port} closed the connection during the handshake`));
    socket.once('error', fail);
    socket.once('close', onClose);
    function settle() {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('close', onClose);
      resolve({ socket, sessions, resumed: 'isSessionReused' in socket ? (socket as TLSSocket).isSessionReused() : false });
    }
  });
}

/** Sends the upgrade request and resolves with the bytes that followed the response head. */
function upgrade(socket: Socket, ep: Endpoint): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    let buffered: Buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, rest?: Buffer) => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(rest as Buffer);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > 16384) done(new Error('upgrade response head is larger than 16 KiB'));
        return;
      }
      try {
        checkUpgradeResponse(buffered.subarray(0, end).toString('latin1'), key);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(undefined, buffered.subarray(end + 4));
    };
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error(`${ep.host}:${ep.port} closed the connection before answering the upgrade`));
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.write(upgradeRequest(`${ep.host}:${ep.port}`, ep.path, key));
  });
}

function closed(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

export async function openLink(ep: Endpoint, tls: ClientTls, options: LinkOptions = {}): Promise<Link> {
  const { socket, sessions, resumed } = await rawSocket(ep, tls, options.session);
  // Resets when the far side goes first are routine for a load client; failures show up as missing replies.
  socket.on('error', () => socket.destroy());
  if (ep.protocol !== 'ws' && ep.protocol !== 'ws-plain') {
    const link: Link = {
      socket,
      onBytes: () => undefined,
      frame: (payload) => payload,
      close: () => {
        socket.end();
        return closed(socket);
      },
      destroy: () => socket.destroy(),
      peerClose: undefined,
      get tlsSession() {
        return sessions.latest;
      },
      resumed,
    };
    socket.on('data', (chunk: Buffer) => link.onBytes(chunk));
    return link;
  }
  const rest = await upgrade(socket, ep);
  let closing = false;
  let peerClose: Link['peerClose'];
  const answerPings = options.answerPings ?? true;
  const link: Link = {
    socket,
    onBytes: () => undefined,
    frame: (payload) => encodeFrame(payload),
    close: () => {
      if (!closing && !socket.destroyed) {
        closing = true;
        socket.write(closeFrame());
      }
      // The server answers the close frame and closes TCP (RFC 6455 §7.1.1); ending our side as well means no
      // waiting on a server that does not.
      socket.end();
      return closed(socket);
    },
    destroy: () => socket.destroy(),
    get peerClose() {
      return peerClose;
    },
    get tlsSession() {
      return sessions.latest;
    },
    resumed,
  };
  const reader = new FrameReader({
    data: (chunk) => link.onBytes(chunk),
    control: (opcode, payload) => {
      if (opcode === OPCODE.ping) {
        // Not once our close frame is out (RFC 6455 §5.5.1): our side may be ended, and writing to it would fail
        // the socket before the server's close frame arrives.
        if (answerPings && !closing && !socket.destroyed) socket.write(encodeFrame(payload, OPCODE.pong));
        return;
      }
      if (opcode !== OPCODE.close) return;
      peerClose ??= { code: payload.length >= 2 ? payload.readUInt16BE(0) : undefined, reason: payload.subarray(2).toString('utf8') };
      if (!closing && !socket.destroyed) {
        closing = true;
        socket.write(closeFrame());
        socket.end();
      }
    },
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  if (rest.length > 0) reader.push(rest);
  return link;
}

/** How long a reply may take before the system counts as not forwarding. */
export const REPLY_TIMEOUT_MS = 30000;

/** Resolves once `count` payload bytes have arrived on the link (replacing its onBytes). */
export function receive(link: Link, count: number, timeoutMs = REPLY_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const finish = (err: Error | undefined) => {
      clearTimeout(timer);
      link.socket.off('close', onClose);
      link.onBytes = () => undefined;
      if (err) reject(err);
      else resolve();
    };
    const onClose = () => finish(new Error(`connection closed after ${got} of ${count} expected bytes`));
    const timer = setTimeout(() => finish(new Error(`${got} of ${count} expected bytes after ${timeoutMs / 1000} s`)), timeoutMs);
    link.socket.once('close', onClose);
    link.onBytes = (chunk) => {
      got += chunk.length;
      if (got >= count) finish(undefined);
    };
  });
}
