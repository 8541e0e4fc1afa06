// The training errors a caller may meet, as plain classes without tensors, so the page can tell them apart (see
// workers/errors.ts) without loading the engine.

/** The loss of an update was not a finite number; the weights were left as they were. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** A session was asked for something its state does not allow (no run yet, no base model yet, ...). */
export class SessionStateError extends Error {
  override name = 'SessionStateError';
}

/** The run needs a chat model (a hub model with a chat template) and was given another: a built-in model, or a base
 *  model without a template. */
export class ChatModelRequiredError extends Error {
  override name = 'ChatModelRequiredError';
}

/** A model whose context is shorter than the run's prompts and completions need (a Challenger's prompt and its query,
 *  a Solver's prompt with the longest query and its answer). */
export class ContextLengthError extends Error {
  override name = 'ContextLengthError';
}

/** A judge prompt longer than the judge model reads. */
export class JudgePromptLengthError extends Error {
  override name = 'JudgePromptLengthError';
}
