// Where models come from and how the page may read them: the hub's address (a setting kept in this browser,
// defaulting to the public hub like HF_ENDPOINT, and overridden by the page address's `?hub=`, so a mirror, a
// company proxy or a local server can serve models), and a gated or private model's access token, kept for this
// tab's session only (sessionStorage: it survives a reload of the tab, never another tab, a link, an export, a
// stored run or a log). The token is read only when a request to the hub is made.

import { HubClient, HubError, normalizeHubAddress, PUBLIC_HUB } from '../../core/hub/hub-api.ts';

export const HUB_PARAM = 'hub';
const ADDRESS_KEY = 'sparring:hub-address';
const TOKEN_KEY = 'sparring:hub-token';

/** The page's `?hub=`, normalised; null when absent; HubError when it is not a web address. */
function pageHub(): string | null {
  const given = new URLSearchParams(location.search).get(HUB_PARAM);
  return given === null ? null : normalizeHubAddress(given);
}

export class HubAccess {
  /** The hub the page downloads from now. */
  address = $state(PUBLIC_HUB);
  /** Where the address comes from: the page's address (`?hub=`), this browser's setting, or the default. */
  source = $state<'page' | 'setting' | 'default'>('default');
  /** Why the page's `?hub=` was not used, when it was not. */
  problem = $state<string | null>(null);
  /** Whether a token is set for this tab (the token itself is not page state). */
  hasToken = $state(false);

  constructor() {
    this.hasToken = sessionStorage.getItem(TOKEN_KEY) !== null;
    const stored = localStorage.getItem(ADDRESS_KEY);
    if (stored !== null) [this.address, this.source] = [stored, 'setting'];
    try {
      const fromPage = pageHub();
      if (fromPage !== null) [this.address, this.source] = [fromPage, 'page'];
    } catch (err) {
      this.problem = `The page's ?${HUB_PARAM}= is not used: ${(err as HubError).message}.`;
    }
  }

  /** A new hub address for this browser (''/the public hub: back to the default). Throws HubError when it is not one. */
  setAddress(text: string): void {
    const address = text.trim() === '' ? PUBLIC_HUB : normalizeHubAddress(text);
    if (address === PUBLIC_HUB) localStorage.removeItem(ADDRESS_KEY);
    else localStorage.setItem(ADDRESS_KEY, address);
    this.address = address;
    this.source = address === PUBLIC_HUB ? 'default' : 'setting';
    this.problem = null;
  }

  /** Keeps `token` for this tab's session ('' forgets it). */
  setToken(token: string): void {
    const value = token.trim();
    if (value === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
    this.hasToken = value !== '';
  }

  /** A client for the hub at the current address, reading the tab's token at each request. */
  client(): HubClient {
    return new HubClient(this.address, (url, init) => fetch(url, { ...init, cache: 'no-store' }), () => sessionStorage.getItem(TOKEN_KEY));
  }
}
