// Leaving the page (a reload, a closed tab) or hiding it (another tab, a minimised window): the page stores its
// newest checkpoint at once, and this tab remembers whether its run was playing, so a reload plays on.

const PLAYING_KEY = 'sparring:playing';

/** Calls `onLeave` when the page is hidden or left (whichever comes first; both may come). */
export function watchPageLeave(onLeave: () => void): void {
  window.addEventListener('pagehide', onLeave);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') onLeave();
  });
}

/** Remembers for this tab (a reload keeps it, a new tab does not) which run was playing, or that none was. */
export function rememberPlaying(runId: string | null): void {
  if (runId) sessionStorage.setItem(PLAYING_KEY, runId);
  else sessionStorage.removeItem(PLAYING_KEY);
}

/** The run that was playing when this tab last left its page, once: reading it forgets it. */
export function takePlaying(): string | null {
  const runId = sessionStorage.getItem(PLAYING_KEY);
  sessionStorage.removeItem(PLAYING_KEY);
  return runId;
}
