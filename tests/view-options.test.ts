// Workshop options of a share link: round trip, plain links unchanged, and clear errors for unknown names.

import { describe, expect, it } from 'vitest';
import LZString from 'lz-string';
import { defaultRunConfig } from '../src/core/train/run-config.ts';
import { decodeShareLink, encodeShareLink, ShareLinkError } from '../src/app/state/share-link.ts';
import { CONTROL_NAMES, VIEW_ONLY_PANELS, controlView, decodeViewOptions, encodeViewPart, NO_VIEW_OPTIONS, type ViewOptions } from '../src/app/state/view-options.ts';
import { RUN_PROPERTY_KEYS } from '../src/app/state/run-properties.ts';
import { LESSON_KEYS } from '../src/app/lessons/index.ts';

const settings = () => encodeShareLink({ ...defaultRunConfig('lsp-zero'), seed: 77 });
/** A hash with these settings and a view part holding this JSON text. */
const withView = (json: string) => `${settings()}.${LZString.compressToEncodedURIComponent(json)}`;

function rejection(hash: string): ShareLinkError {
  try {
    decodeViewOptions(hash);
  } catch (err) {
    expect(err).toBeInstanceOf(ShareLinkError);
    return err as ShareLinkError;
  }
  throw new Error(`expected ${hash} to be rejected`);
}

describe('workshop view options in a share link', () => {
  it('names every run property and the buttons and panels, once each', () => {
    for (const key of RUN_PROPERTY_KEYS) expect(CONTROL_NAMES).toContain(key);
    for (const name of ['play', 'step', 'reset', 'evaluate', 'backend', 'runs', 'settings', 'rubric', 'compare']) expect(CONTROL_NAMES).toContain(name);
    expect(new Set(CONTROL_NAMES).size).toBe(CONTROL_NAMES.length);
    for (const name of VIEW_ONLY_PANELS) expect(CONTROL_NAMES).toContain(name);
    expect(LESSON_KEYS).toEqual(['advantage', 'kl-leash', 'hacking', 'judge']);
  });

  it('round-trips lock, hide and lesson, and the settings part still decodes to the same config', () => {
    const view: ViewOptions = { lock: ['seed', 'algorithm'], hide: ['backend', 'runs', 'reset'], lesson: 'kl-leash' };
    const hash = settings() + encodeViewPart(view);
    expect(hash.split('.')).toHaveLength(3);
    expect(decodeViewOptions(hash)).toEqual({ lock: ['algorithm', 'seed'], hide: ['backend', 'reset', 'runs'], lesson: 'kl-leash' });
    expect(decodeShareLink(hash)).toEqual(decodeShareLink(settings()));
    expect(decodeShareLink(hash).seed).toBe(77);
  });

  it('adds nothing for empty options; a plain link has none', () => {
    expect(encodeViewPart(NO_VIEW_OPTIONS)).toBe('');
    expect(decodeViewOptions(settings())).toEqual(NO_VIEW_OPTIONS);
    expect(decodeViewOptions('')).toEqual(NO_VIEW_OPTIONS);
    expect(decodeViewOptions(withView('{"lesson":"advantage"}'))).toEqual({ lock: [], hide: [], lesson: 'advantage' });
  });

  it('rejects an unknown control, naming it and the field', () => {
    const err = rejection(withView('{"lock":["seed","sead"]}'));
    expect(err.problem).toBe('invalid');
    expect(err.message).toContain('"lock.1"');
    expect(err.message).toContain('unknown control "sead"');
    expect(err.message).toContain('play');
    expect(rejection(withView('{"hide":["everything"]}')).message).toMatch(/"hide.0".*unknown control "everything"/);
  });

  it('rejects an unknown lesson, listing the lessons', () => {
    const err = rejection(withView('{"lesson":"chess"}'));
    expect(err.problem).toBe('invalid');
    expect(err.message).toMatch(/"lesson".*unknown lesson "chess"; the lessons are advantage, kl-leash, hacking/);
  });

  it('rejects unknown keys, wrong types, a damaged part and extra parts', () => {
    expect(rejection(withView('{"lokc":["seed"]}')).message).toContain('lokc');
    expect(rejection(withView('{"lock":"seed"}')).problem).toBe('invalid');
    expect(rejection(`${settings()}.%%%`).problem).toBe('damaged');
    expect(rejection(`${withView('{"lock":["seed"]}').slice(0, -4)}`).problem).toBe('damaged');
    expect(rejection(`${withView('{}')}.abc`).problem).toBe('malformed');
  });

  it('hides before it locks', () => {
    const view = controlView({ lock: ['seed', 'play'], hide: ['play'], lesson: null });
    expect(view.locked('seed')).toBe(true);
    expect(view.hidden('seed')).toBe(false);
    expect(view.hidden('play')).toBe(true);
    expect(view.locked('play')).toBe(false);
    expect(view.locked('step')).toBe(false);
  });
});
