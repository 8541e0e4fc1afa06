// Workshop options of a link: controls to lock (shown, disabled) or hide (not rendered), and a lesson to
// open. They ride after the run's settings as a second compressed part, `#v1.<settings>.<view>`, so a plain
// `#v1.` link is unchanged and the settings part is read exactly as before (lz-string never writes a '.').

import * as v from 'valibot';
import LZString from 'lz-string';
import { LESSON_KEYS } from '../lessons/index.ts';
import { RUN_PROPERTY_KEYS } from './run-properties.ts';
import { readLinkPart, ShareLinkError } from './share-link.ts';

/** Buttons and panels that are not run properties. */
export const PANEL_CONTROLS = [
  'play', // Play and Pause
  'step',
  'reset',
  'evaluate',
  'share', // the share link box
  'settings', // the whole settings form
  'backend',
  'runs',
  'charts',
  'evaluation',
  'rollouts',
  'rubric',
  'compare',
  'alarms',
  'export',
  'workshop', // the workshop link builder itself
  'lessons', // the list of lessons (a lesson named by the link still opens)
  'model', // the model picker (built-in, hub, folder) and its download
  'storage', // the models kept in this browser
] as const;

/** Panels with nothing to press: a link may hide them; locking them changes nothing. */
export const VIEW_ONLY_PANELS: readonly string[] = ['charts', 'evaluation', 'rollouts', 'alarms', 'lessons', 'workshop'];

/** Every name a link may lock or hide: one per run property, then the buttons and panels. */
export const CONTROL_NAMES: readonly string[] = [...new Set<string>([...RUN_PROPERTY_KEYS, ...PANEL_CONTROLS])];

export interface ViewOptions {
  lock: string[];
  hide: string[];
  lesson: string | null;
}

export const NO_VIEW_OPTIONS: ViewOptions = { lock: [], hide: [], lesson: null };

const controlName = v.picklist(CONTROL_NAMES as string[], (issue) => `unknown control ${issue.received}; the names are ${CONTROL_NAMES.join(', ')}`);
const ViewSchema = v.strictObject({
  lock: v.optional(v.array(controlName)),
  hide: v.optional(v.array(controlName)),
  lesson: v.optional(v.picklist(LESSON_KEYS as string[], (issue) => `unknown lesson ${issue.received}; the lessons are ${LESSON_KEYS.join(', ')}`)),
});

export function isEmptyView(view: ViewOptions): boolean {
  return view.lock.length === 0 && view.hide.length === 0 && view.lesson === null;
}

/** The '.<view>' part to append to a settings hash; '' when there are no options. Names are sorted and unique. */
export function encodeViewPart(view: ViewOptions): string {
  if (isEmptyView(view)) return '';
  const json: { lock?: string[]; hide?: string[]; lesson?: string } = {};
  if (view.lock.length) json.lock = [...new Set(view.lock)].sort();
  if (view.hide.length) json.hide = [...new Set(view.hide)].sort();
  if (view.lesson !== null) json.lesson = view.lesson;
  return `.${LZString.compressToEncodedURIComponent(JSON.stringify(json))}`;
}

/**
 * The workshop options of a hash (none when it has no view part). Throws ShareLinkError, like a bad settings
 * part, for a damaged part, an unknown control or an unknown lesson, naming what is wrong.
 */
export function decodeViewOptions(hash: string): ViewOptions {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const parts = text.split('.');
  // parts: ['v1', settings, view?]
  if (parts.length < 3) return NO_VIEW_OPTIONS;
  if (parts.length > 3) throw new ShareLinkError('malformed', 'This link has more parts than Sparring writes (settings, then workshop options).');
  const options = readLinkPart(parts[2], ViewSchema, {
    damaged: 'This link’s workshop options are incomplete or damaged: was it cut off when it was copied?',
    invalid: (field, detail) => `This link’s workshop option ${field ? `"${field}" ` : ''}is not valid: ${detail}.`,
  });
  return { lock: options.lock ?? [], hide: options.hide ?? [], lesson: options.lesson ?? null };
}

/** What a component asks: is this control hidden, is it locked? Hidden wins over locked. */
export interface ControlView {
  hidden(control: string): boolean;
  locked(control: string): boolean;
}

export function controlView(view: ViewOptions): ControlView {
  const hidden = new Set(view.hide);
  const locked = new Set(view.lock);
  return { hidden: (control) => hidden.has(control), locked: (control) => locked.has(control) && !hidden.has(control) };
}

export const OPEN_VIEW: ControlView = controlView(NO_VIEW_OPTIONS);
