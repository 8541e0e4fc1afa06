// One tab trains a run: the browser's Web Locks give each open run to one tab, and a BroadcastChannel tells the
// other tabs when it saved a checkpoint. Where the browser has neither, every tab may open every run (as before).

const lockName = (runId: string) => `sparring-run:${runId}`;

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void> | void): Promise<unknown>;
}

const lockManager = (): LockManagerLike | null => (navigator as unknown as { locks?: LockManagerLike }).locks ?? null;

export class RunLocks {
  private held: { runId: string; release: () => void } | null = null;
  private waiting: AbortController | null = null;

  /** Takes `runId` for this tab, letting go of the run held before; false when another tab holds it. */
  claim(runId: string): Promise<boolean> {
    this.cancelWait();
    if (this.held?.runId === runId) return Promise.resolve(true);
    this.release();
    const locks = lockManager();
    if (!locks) return Promise.resolve(true);
    return new Promise((resolve) => {
      void locks.request(lockName(runId), { ifAvailable: true }, (lock) => {
        if (!lock) return resolve(false);
        resolve(true);
        return new Promise<void>((release) => (this.held = { runId, release }));
      });
    });
  }

  /** Calls `onFree` once the tab holding `runId` lets go of it, with the run then held here. The next claim or wait cancels it. */
  waitFor(runId: string, onFree: () => void): void {
    this.cancelWait();
    const locks = lockManager();
    if (!locks) return;
    const waiting = new AbortController();
    this.waiting = waiting;
    locks
      .request(lockName(runId), { signal: waiting.signal }, () => {
        this.waiting = null;
        this.release();
        return new Promise<void>((release) => {
          this.held = { runId, release };
          onFree();
        });
      })
      .catch(() => {}); // an AbortError: the wait was cancelled
  }

  release(): void {
    this.held?.release();
    this.held = null;
  }

  private cancelWait(): void {
    this.waiting?.abort();
    this.waiting = null;
  }
}

/** Tells other tabs that a run's checkpoint was saved, and hears when they do. */
export class RunChannel {
  private readonly channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('sparring-runs');

  saved(runId: string, step: number): void {
    this.channel?.postMessage({ type: 'saved', runId, step });
  }

  onSaved(listener: (runId: string, step: number) => void): void {
    this.channel?.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: string; runId?: unknown; step?: unknown } | null;
      if (data?.type === 'saved' && typeof data.runId === 'string' && typeof data.step === 'number') listener(data.runId, data.step);
    });
  }
}
