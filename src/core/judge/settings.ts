// The judge as a run setting: its items and its prompt's wording, as overrides of the defaults (the paper's seven
// items, the default prompt), so a run that keeps them stores and links nothing. Pure data and validation.

import { InvalidJudgeItemError, PAPER_JUDGE_ITEMS, validateJudgeItems, type JudgeItem } from './items.ts';
import { DEFAULT_JUDGE_TEMPLATE, validateJudgeTemplate } from './prompt.ts';

/** What a run changes of the judge: absent fields keep the defaults. */
export interface JudgeOverrides {
  items?: readonly JudgeItem[];
  template?: string;
}

/** The judge a run uses: its items, in order, and its prompt template. */
export interface JudgeSettings {
  items: readonly JudgeItem[];
  template: string;
}

export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = { items: PAPER_JUDGE_ITEMS, template: DEFAULT_JUDGE_TEMPLATE };

/** Each item is one prompt per answer per step: 16 already costs 16 forward passes over every answer. */
export const MAX_JUDGE_ITEMS = 16;
/** A question is one sentence or two; a link carries every one. */
export const MAX_JUDGE_QUESTION_LENGTH = 400;

export function judgeSettingsOf(overrides: JudgeOverrides): JudgeSettings {
  return { items: overrides.items ?? DEFAULT_JUDGE_SETTINGS.items, template: overrides.template ?? DEFAULT_JUDGE_SETTINGS.template };
}

const sameItems = (a: readonly JudgeItem[], b: readonly JudgeItem[]) =>
  a.length === b.length && a.every((item, i) => item.key === b[i].key && item.question === b[i].question);

/** The short form: only what differs from the defaults (items as plain { key, question } records). */
export function canonicalJudgeOverrides(overrides: JudgeOverrides): JudgeOverrides {
  const out: JudgeOverrides = {};
  if (overrides.items !== undefined && !sameItems(overrides.items, DEFAULT_JUDGE_SETTINGS.items)) {
    out.items = overrides.items.map(({ key, question }) => ({ key, question }));
  }
  if (overrides.template !== undefined && overrides.template !== DEFAULT_JUDGE_SETTINGS.template) out.template = overrides.template;
  return out;
}

/** Throws InvalidJudgeItemError or InvalidJudgeTemplateError (prompt.ts) for the first rule broken. */
export function validateJudgeSettings(settings: JudgeSettings): JudgeSettings {
  validateJudgeItems(settings.items);
  if (settings.items.length > MAX_JUDGE_ITEMS) {
    throw new InvalidJudgeItemError(`the judge has ${settings.items.length} items; at most ${MAX_JUDGE_ITEMS} (each is a forward pass over every answer)`);
  }
  const long = settings.items.find((item) => item.question.length > MAX_JUDGE_QUESTION_LENGTH);
  if (long) throw new InvalidJudgeItemError(`judge item '${long.key}' asks a question of ${long.question.length} characters; keep it within ${MAX_JUDGE_QUESTION_LENGTH}`);
  validateJudgeTemplate(settings.template);
  return settings;
}

/** Overrides with item `index`'s question reworded (canonical). */
export function withJudgeQuestion(overrides: JudgeOverrides, index: number, question: string): JudgeOverrides {
  const items = judgeSettingsOf(overrides).items.map((item, i) => (i === index ? { key: item.key, question } : item));
  return canonicalJudgeOverrides({ ...overrides, items });
}

/** Overrides without item `index` (canonical). */
export function withoutJudgeItem(overrides: JudgeOverrides, index: number): JudgeOverrides {
  return canonicalJudgeOverrides({ ...overrides, items: judgeSettingsOf(overrides).items.filter((_, i) => i !== index) });
}

/** Overrides with a new item at the end, keyed `custom_<n>` with the first n free (canonical). */
export function withNewJudgeItem(overrides: JudgeOverrides, question: string): JudgeOverrides {
  const items = judgeSettingsOf(overrides).items;
  let n = 1;
  while (items.some((item) => item.key === `custom_${n}`)) n += 1;
  return canonicalJudgeOverrides({ ...overrides, items: [...items, { key: `custom_${n}`, question }] });
}

/** Overrides with the prompt reworded (canonical). */
export function withJudgeTemplate(overrides: JudgeOverrides, template: string): JudgeOverrides {
  return canonicalJudgeOverrides({ ...overrides, template });
}
