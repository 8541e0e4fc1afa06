// Spreads chart redraws over animation frames: at most ~4 ms of drawing per frame (usually one chart), so a step that updates
// every chart never becomes one long main-thread task. The latest draw per chart wins.

const FRAME_BUDGET_MS = 4;
const queue = new Map<object, () => void>();
let frame = 0;

function flush(): void {
  frame = 0;
  const start = performance.now();
  for (const [owner, draw] of queue) {
    queue.delete(owner);
    draw();
    if (performance.now() - start > FRAME_BUDGET_MS) break;
  }
  if (queue.size) frame = requestAnimationFrame(flush);
}

/** Runs `draw` in an upcoming frame; a later call for the same owner replaces an earlier one. */
export function drawSoon(owner: object, draw: () => void): void {
  queue.set(owner, draw);
  if (!frame) frame = requestAnimationFrame(flush);
}

export function cancelDraw(owner: object): void {
  queue.delete(owner);
}
