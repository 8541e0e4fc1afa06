// Bringing a part of the page into view: scrolled to in whichever column holds it, focused (so keyboard and
// screen-reader users land there too) and outlined for a moment, so the eye finds it.

const OUTLINE_MS = 1400;

/** Scrolls `target` into view, focuses it without a second scroll, and outlines it briefly. */
export function revealPanel(target: HTMLElement | null): void {
  if (!target) return;
  const calm = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
  target.scrollIntoView({ block: 'start', behavior: calm ? 'auto' : 'smooth' });
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: true });
  target.dataset.revealed = '';
  window.setTimeout(() => delete target.dataset.revealed, OUTLINE_MS);
}

/** The element with this id, revealed (see revealPanel). */
export function revealById(id: string): void {
  revealPanel(document.getElementById(id));
}
