// The judge's prompt: the user message that asks a chat model one yes/no question about an (instruction,
// response) pair, from a template a run may reword. Text only; the chat template around it is the tokenizer's.

import { InvalidJudgeItemError, type JudgeItem } from './items.ts';

export class InvalidJudgeTemplateError extends Error {
  override name = 'InvalidJudgeTemplateError';
}

/** The slots a judge template fills, each written once: `{instruction}`, `{response}`, `{question}`. */
export const JUDGE_TEMPLATE_SLOTS = ['instruction', 'response', 'question'] as const;
export type JudgeTemplateSlot = (typeof JUDGE_TEMPLATE_SLOTS)[number];

/**
 * The instruction and the response, each between tags, then the item's question and the request to answer Yes or
 * No alone, so the model's next token carries the verdict (score.ts).
 */
export const DEFAULT_JUDGE_TEMPLATE = [
  'Below is an instruction a user gave to an AI assistant, and the assistant\'s response.',
  '',
  '<instruction>',
  '{instruction}',
  '</instruction>',
  '',
  '<response>',
  '{response}',
  '</response>',
  '',
  '{question}',
  'Answer with Yes or No alone.',
].join('\n');

/** The longest template a run may hold (a link carries it): ten times the default is room for any rewording. */
export const MAX_JUDGE_TEMPLATE_LENGTH = 4000;

const SLOT_PATTERN = /\{(instruction|response|question)\}/gu;

/** Throws InvalidJudgeTemplateError unless the template holds each slot exactly once and fits the length limit. */
export function validateJudgeTemplate(template: string): void {
  if (template.length > MAX_JUDGE_TEMPLATE_LENGTH) {
    throw new InvalidJudgeTemplateError(`the judge's prompt is ${template.length} characters; keep it within ${MAX_JUDGE_TEMPLATE_LENGTH}`);
  }
  for (const slot of JUDGE_TEMPLATE_SLOTS) {
    const count = template.split(`{${slot}}`).length - 1;
    if (count !== 1) {
      throw new InvalidJudgeTemplateError(
        `the judge's prompt must hold {${slot}} exactly once (it holds it ${count} times): it marks where the ${slot} goes`,
      );
    }
  }
  if (!/(yes|no)/iu.test(template.replace(SLOT_PATTERN, ''))) {
    throw new InvalidJudgeTemplateError("the judge's prompt never says Yes or No: ask for a Yes or No answer, or the model's next token says nothing");
  }
}

/**
 * The user message for one item: `template` with its slots filled in one pass, so a response that itself contains
 * '{question}' stays as written.
 */
export function judgePrompt(item: JudgeItem, instruction: string, response: string, template: string = DEFAULT_JUDGE_TEMPLATE): string {
  const question = item.question.trim();
  if (question === '') throw new InvalidJudgeItemError(`judge item '${item.key}' has an empty question: write the yes/no question it asks`);
  validateJudgeTemplate(template);
  const values: Record<JudgeTemplateSlot, string> = { instruction, response, question };
  return template.replace(SLOT_PATTERN, (_, slot: JudgeTemplateSlot) => values[slot]);
}
