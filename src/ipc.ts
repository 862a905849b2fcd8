/**
 * Questions a worker of `start --workers` puts to the primary over the cluster's IPC channel (the metrics of every
 * worker, the management API's answers): typed messages, each request numbered, each answer awaited with a
 * deadline. One message listener serves every request in flight, and none is left once they are answered.
 */

/** A message `{ type, … }` of the given type. */
export function isMessage<T extends { readonly type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

interface Reply {
  readonly type: string;
  readonly id: number;
}

/** Requests waiting for the primary, by the type of their reply and their id (`type#id`). */
const waiting = new Map<string, (reply: Reply) => void>();
let nextId = 0;

function onMessage(message: unknown): void {
  if (typeof message !== 'object' || message === null) return;
  const { type, id } = message as Partial<Reply>;
  if (typeof type === 'string' && typeof id === 'number') waiting.get(`${type}#${id}`)?.(message as Reply);
}

export interface PrimaryQuestion {
  /** The request; its `id` is filled in. */
  readonly request: { readonly type: string } & Record<string, unknown>;
  /** The type of the primary's reply, which carries the same `id`. */
  readonly replyType: string;
  readonly deadlineMs: number;
  /** The error when the primary does not reply in time. */
  late(): Error;
  /** The error when this process has no primary to ask (not a worker, or its channel closed). */
  unreachable(): Error;
}

/** In a worker: puts a question to the primary and resolves with its reply. */
export function askPrimary<R extends Reply>(question: PrimaryQuestion): Promise<R> {
  if (!process.connected || !process.send) return Promise.reject(question.unreachable());
  const send = process.send.bind(process);
  return new Promise<R>((resolve, reject) => {
    const id = nextId++;
    const key = `${question.replyType}#${id}`;
    const done = (): void => {
      clearTimeout(timer);
      waiting.delete(key);
      if (waiting.size === 0) process.off('message', onMessage);
    };
    const timer = setTimeout(() => {
      done();
      reject(question.late());
    }, question.deadlineMs);
    if (waiting.size === 0) process.on('message', onMessage);
    waiting.set(key, (reply) => {
      done();
      resolve(reply as R);
    });
    send({ ...question.request, id });
  });
}
