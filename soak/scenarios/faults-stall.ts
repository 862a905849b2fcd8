/**
 * A backend that stops reading while its client floods: the gateway must stop reading the client too
 * (`maximum.pending.bytes`, 64000 by default), so its memory plateaus instead of queueing the flood. Afterwards the
 * backend reads again, must receive every byte the client sent, and a client close must end it cleanly.
 */
import type { Socket } from 'node:net';
import { openLink, type Endpoint } from '../../bench/client/link.js';
import type { StallingBackend } from '../backends.js';
import type { SoakGateway } from '../gateway.js';
import { judgePlateau } from '../growth.js';
import { sleep } from '../pool.js';
import type { Check, Figure } from '../report/types.js';
import { Sampler } from '../sampler.js';
import type { SoakContext } from './types.js';

const FRAME_PAYLOAD = 64 * 1024;
const SAMPLE_MS = 250;
/** The second half of the flood may go this much higher than the first half did. */
const PLATEAU_TOLERANCE_KIB = 4 * 1024;
/** What the gateway may hold for one stalled connection: the pending bytes, buffers of TLS and WebSocket, slack. */
const HELD_LIMIT_KIB = 32 * 1024;
const DRAIN_TIMEOUT_MS = 30000;

export const STALL_HOW =
  `For the stalled backend (it accepts and reads nothing) one client floods 64 KiB binary messages for the run's stall ` +
  `time while the gateway's VmRSS is sampled every ${SAMPLE_MS} ms: the second half of the samples may go at most ` +
  `${PLATEAU_TOLERANCE_KIB / 1024} MiB above the first half (a plateau), and the peak at most ${HELD_LIMIT_KIB / 1024} MiB above ` +
  `the value before the flood. Then the backend reads again: it must receive every byte, and the client's close must end ` +
  `the connection with 1000 and a FIN to the backend.`;

export interface StallResult {
  readonly checks: Check[];
  readonly figures: Figure[];
  /** A row of the faults table, without its outer bars. */
  readonly row: string;
}

function drainOrTimeout(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('drain', done);
  });
}

async function waitFor(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!what()) {
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export async function playStall(ctx: SoakContext, gw: SoakGateway, endpoint: Endpoint, backend: StallingBackend): Promise<StallResult> {
  const link = await openLink(endpoint, ctx.tls);
  const frame = link.frame(Buffer.alloc(FRAME_PAYLOAD, 0x73));
  await sleep(500);
  const before = gw.stats();
  const sampler = new Sampler(gw.pid, SAMPLE_MS);
  let frames = 0;
  const until = performance.now() + ctx.profile.stallSeconds * 1000;
  try {
    while (performance.now() < until && !link.socket.destroyed) {
      if (link.socket.write(frame)) {
        frames++;
        continue;
      }
      frames++;
      // The gateway stopped reading: 'drain' may never come while the backend stalls.
      await drainOrTimeout(link.socket, SAMPLE_MS);
    }
  } finally {
    sampler.stop();
  }
  const flooded = frames * FRAME_PAYLOAD;
  const rss = sampler.samples.map((s) => s.rssKiB);
  const plateau = judgePlateau(rss, PLATEAU_TOLERANCE_KIB);
  const held = sampler.peak.rssKiB - before.rssKiB;

  backend.resume();
  const delivered = await waitFor(() => backend.received >= flooded, DRAIN_TIMEOUT_MS);
  const endedBefore = backend.ended;
  await link.close();
  const finEnded = await waitFor(() => backend.ended > endedBefore, 10000);
  const closeCode = link.peerClose?.code;
  ctx.note(
    `faults: stall: ${(flooded / 1048576).toFixed(1)} MiB written by the client during ${ctx.profile.stallSeconds} s; gateway RSS ` +
      `${(before.rssKiB / 1024).toFixed(1)} → peak ${(sampler.peak.rssKiB / 1024).toFixed(1)} MiB; late growth ${(plateau.lateGrowth / 1024).toFixed(2)} MiB`,
  );
  const documented = 'memory plateaus while the client floods; every byte delivered once the backend reads; close 1000 and a FIN';
  const seen =
    `RSS +${(held / 1024).toFixed(1)} MiB at peak, second half ${plateau.lateGrowth >= 0 ? '+' : ''}${(plateau.lateGrowth / 1024).toFixed(2)} MiB; ` +
    `${delivered ? 'every byte delivered' : `${backend.received} of ${flooded} bytes delivered`}; close ${closeCode ?? 'none'}${finEnded ? ', FIN' : ', no FIN'}`;
  return {
    checks: [
      {
        goal: `stalled backend: gateway memory plateaus while the client floods (second half ≤ first half + ${PLATEAU_TOLERANCE_KIB / 1024} MiB, peak ≤ before + ${HELD_LIMIT_KIB / 1024} MiB)`,
        measured: `first half peak ${(plateau.firstHalfPeak / 1024).toFixed(1)} MiB, second half ${(plateau.secondHalfPeak / 1024).toFixed(1)} MiB; +${(held / 1024).toFixed(1)} MiB over before`,
        pass: plateau.pass && held <= HELD_LIMIT_KIB,
      },
      {
        goal: 'stalled backend: every byte delivered once it reads again, then close 1000 and a FIN to the backend',
        measured: `${delivered ? 'all' : `${backend.received} of ${flooded}`} bytes; close ${closeCode ?? 'none'}; ${finEnded ? 'FIN seen' : 'no FIN'}`,
        pass: delivered && backend.received === flooded && closeCode === 1000 && finEnded,
      },
    ],
    figures: [
      { metric: 'stall: bytes the client wrote while the backend read nothing', value: flooded / 1048576, unit: 'MiB' },
      { metric: 'stall: gateway RSS before the flood', value: before.rssKiB / 1024, unit: 'MiB' },
      { metric: 'stall: gateway RSS peak during the flood', value: sampler.peak.rssKiB / 1024, unit: 'MiB' },
      { metric: 'stall: second half of the samples above the first', value: plateau.lateGrowth / 1024, unit: 'MiB' },
      { metric: 'stall: RSS samples', value: rss.length, unit: 'samples' },
    ],
    row: `backend stalls (reads nothing) while the client floods | ${documented} | README.md, Proxy properties (maximum.pending.bytes) | 1 | ${checksOk(plateau.pass && held <= HELD_LIMIT_KIB, delivered && closeCode === 1000 && finEnded)} | ${seen}`,
  };
}

function checksOk(...ok: boolean[]): number {
  return ok.every(Boolean) ? 1 : 0;
}
