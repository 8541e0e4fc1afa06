// The judge's rubric as data: items, each a yes/no question about one (instruction, response) pair, the LSP
// paper's seven by default, and their validation. No model here: prompt.ts words the question, score.ts turns the
// model's yes/no probabilities into scores.

/** One criterion of the judge: a yes/no question a chat model answers about an (instruction, response) pair. */
export interface JudgeItem {
  /** Stable key, used in metric names and URLs: lowercase letters, digits and '_'. */
  key: string;
  /** The question, asked as is; a 'yes' means the criterion is met. */
  question: string;
}

export class InvalidJudgeItemError extends Error {
  override name = 'InvalidJudgeItemError';
}

/**
 * The quality self-reward of Kuba et al., Language Self-Play for Data-Free Training (2025), Box 3 ("Self-Reward
 * Prompt"): an additive score of 0-7, one point per binary criterion met, over the user's instruction and the
 * response. The paper's criteria, in order: the task can be identified from the instruction; the instruction is
 * clear, specific and well structured; the user will be able to understand the response; the response covers a
 * significant part of the question, complete or not; it answers the question's core usefully and fully; it is
 * clearly written, concise, well organised and helpful; the user will probably like its form and style. The paper
 * asks for all seven at once and reads a total from a <Score> tag; here each is its own yes/no question, worded
 * anew, so each can be scored from next-token probabilities (score.ts).
 */
export const PAPER_JUDGE_ITEMS: readonly JudgeItem[] = [
  { key: 'task_identifiable', question: "Can the user's task be clearly identified from the instruction?" },
  { key: 'instruction_clear', question: 'Is the instruction clear, specific and well structured?' },
  { key: 'response_understandable', question: 'Will this user be able to understand the response?' },
  { key: 'addresses_request', question: "Does the response address a significant part of the user's request, even if it is not complete?" },
  { key: 'answers_core', question: 'Does the response answer the core of the request usefully and comprehensively?' },
  { key: 'clear_concise', question: 'Is the response clearly written, concise, well organised and helpful?' },
  { key: 'liked_form', question: 'Is this user likely to like the form and style of the response?' },
];

/**
 * The words whose first token ids the caller sums as 'yes' and as 'no' (score.ts): each casing, bare and after a
 * space, since a tokenizer gives ' Yes' and 'Yes' different ids and a model may put its mass on either.
 */
export const JUDGE_ANSWER_WORDS: Readonly<Record<'yes' | 'no', readonly string[]>> = {
  yes: ['Yes', 'yes', 'YES', ' Yes', ' yes', ' YES'],
  no: ['No', 'no', 'NO', ' No', ' no', ' NO'],
};

const KEY_PATTERN = /^[a-z][a-z0-9_]*$/u;

/** Throws InvalidJudgeItemError unless there is at least one item, keys are well-formed and unique, questions non-blank. */
export function validateJudgeItems(items: readonly JudgeItem[]): void {
  if (items.length === 0) throw new InvalidJudgeItemError('the judge needs at least one item: add a question, or use the paper\'s seven (PAPER_JUDGE_ITEMS)');
  const seen = new Set<string>();
  for (const item of items) {
    if (!KEY_PATTERN.test(item.key)) {
      throw new InvalidJudgeItemError(`judge item key '${item.key}' must start with a lowercase letter and hold only lowercase letters, digits and '_'`);
    }
    if (seen.has(item.key)) throw new InvalidJudgeItemError(`judge item key '${item.key}' is used twice: give each item its own key`);
    seen.add(item.key);
    if (item.question.trim() === '') throw new InvalidJudgeItemError(`judge item '${item.key}' has an empty question: write the yes/no question it asks`);
  }
}
