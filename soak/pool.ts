/** Runs `task(0)` … `task(count - 1)` with at most `concurrency` of them in flight. Tasks handle their own errors. */
export async function forEachLimited(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(concurrency, count)) }, worker));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
