// The judge's prompt: the user message that asks a chat model one yes/no question about an (instruction,
// response) pair. Text only; the chat template around it is the tokenizer's.

import { InvalidJudgeItemError, type JudgeItem } from './items.ts';

/**
 * The user message for one item: the instruction and the response, each between tags, then the item's question
 * and the request to answer Yes or No alone, so the model's next token carries the verdict (score.ts).
 */
export function judgePrompt(item: JudgeItem, instruction: string, response: string): string {
  const question = item.question.trim();
  if (question === '') throw new InvalidJudgeItemError(`judge item '${item.key}' has an empty question: write the yes/no question it asks`);
  return [
    'Below is an instruction a user gave to an AI assistant, and the assistant\'s response.',
    '',
    '<instruction>',
    instruction,
    '</instruction>',
    '',
    '<response>',
    response,
    '</response>',
    '',
    question,
    'Answer with Yes or No alone.',
  ].join('\n');
}
