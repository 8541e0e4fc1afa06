// The page's link: the run's settings (and the workshop options) in the URL hash, read on arrival and on every
// hash change the user makes, written back as the run changes. A bad link shows its notice and the defaults.

import type { BackendName } from '../../core/backend-names.ts';
import { defaultRunConfig, type RunConfig } from '../../core/train/run-config.ts';
import { describeTrainedOn } from '../storage/run-record.ts';
import type { Notices } from './notices.svelte.ts';
import { HUB_PARAM } from './hub-access.svelte.ts';
import { encodeShareLink, readShareLink, ShareLinkError, type LinkProvenance } from './share-link.ts';
import { decodeViewOptions, encodeViewPart, NO_VIEW_OPTIONS, type ViewOptions } from './view-options.ts';

export interface LinkRead {
  config: RunConfig;
  /** 'none': no link (the defaults); 'invalid': a bad link, reported, read as the defaults. */
  given: 'none' | 'valid' | 'invalid';
  provenance: LinkProvenance | null;
}

/**
 * What a link's provenance means on this backend: null when the run trained here only (a step reproduces it bit
 * for bit), otherwise a sentence saying it is reproduced within float tolerance.
 */
export function provenanceNote(provenance: LinkProvenance | null, backend: BackendName): string | null {
  if (!provenance || provenance.trainedOn.every((name) => name === backend)) return null;
  return `This run trained on ${describeTrainedOn(provenance.trainedOn)}; this page runs on ${backend.toUpperCase()}, so it reproduces the run within float tolerance, not bit for bit (each backend rounds differently; choose ${provenance.trainedOn[0].toUpperCase()} under Compute for the same numbers).`;
}

export class LinkSync {
  /** Workshop options from the link (locked and hidden controls, the open lesson); they stay in the hash. */
  view = $state.raw<ViewOptions>(NO_VIEW_OPTIONS);
  private written = '';

  constructor(private readonly notices: Notices) {}

  /** The link the page is on now. */
  read(): LinkRead {
    const hash = location.hash;
    try {
      const { config, provenance, notes } = readShareLink(hash);
      this.view = decodeViewOptions(hash);
      if (notes.length) this.notices.show('link', 'info', notes.join(' '));
      return { config, provenance, given: hash.length > 1 ? 'valid' : 'none' };
    } catch (err) {
      if (!(err instanceof ShareLinkError)) throw err;
      this.notices.show('link', 'error', `${err.message} The default settings are shown instead.`);
      return { config: defaultRunConfig(), provenance: null, given: 'invalid' };
    }
  }

  /** Calls `onLink` with each good link the user brings (hash changes this page did not write). */
  listen(onLink: (link: LinkRead) => void): void {
    window.addEventListener('hashchange', () => {
      if (location.hash === this.written) return;
      const link = this.read();
      if (link.given === 'invalid') return;
      this.notices.clear('link');
      onLink(link);
    });
  }

  /** Puts `config` (and the workshop options) in the address bar, without a history entry. */
  write(config: RunConfig): void {
    this.written = encodeShareLink(config) + encodeViewPart(this.view);
    window.history.replaceState(null, '', `${location.pathname}${location.search}${this.written}`);
  }

  setView(view: ViewOptions, config: RunConfig): void {
    this.view = view;
    this.write(config);
  }

  /** The link to share: the settings, the backends the run trained on, and the workshop options; with `hub`, the
   *  hub address the page was given in its own address (a mirror or local server), so the link downloads from it too. */
  shareUrl(config: RunConfig, trainedOn: BackendName[], hub: string | null = null): string {
    const search = hub === null ? '' : `?${HUB_PARAM}=${encodeURIComponent(hub)}`;
    return `${location.origin}${location.pathname}${search}${encodeShareLink(config, { trainedOn })}${encodeViewPart(this.view)}`;
  }
}
