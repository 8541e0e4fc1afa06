// The results table for a chat model on 'instructions', in the paper's shape (Base, GRPO with data, LSP-Zero, LSP):
// held-out constraint satisfaction strict and loose, at the prompt and the instruction level, as IFEval reports it,
// and the win rate against the base model with the judge (the base model itself, asked the paper's seven questions)
// deciding each pair. Reads the summary lines of `selfplay --json` runs; writes markdown.

/** The rows of the paper's table, by `results` row key. */
export const PAPER_ROW_KEYS: readonly string[] = ['base', 'grpo-data', 'lsp-zero', 'lsp'];

/** The settings a chat model's runs share: untuned starting points (no machine here has real weights to tune on).
 *  Answers of up to 256 tokens hold the generator's longest reference answers (678 characters); the judge gives LSP
 *  its Q; 200 held-out tasks and 64 queries per evaluation keep one evaluation to a few minutes on a GPU. */
export const CHAT_RESULT_SETTINGS = {
  steps: 200,
  flags: [
    '--n', '8', '--g', '4', '--temperature', '0.7', '--lr', '1e-4', '--norm-std', '--completion-tokens', '256',
    '--quality-reward', 'judge', '--eval-count', '200', '--query-count', '64',
  ],
};

type Summary = Record<string, number | string>;

const pct = (x: unknown) => (100 * Number(x)).toFixed(1);

/** The markdown table: one row per algorithm, the mean over its seeds' final evaluations (and prompt-level strict per seed). */
export function chatResultsTable(title: string, rows: readonly { label: string; runs: readonly Summary[] }[]): string {
  const lines = [
    title,
    '',
    '| | prompt-level strict % by seed | prompt strict / loose % (mean) | instruction strict / loose % (mean) | judged win rate vs Base % (mean) | valid queries % | mean query difficulty | minutes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { label, runs } of rows) {
    const mean = (key: string) => runs.reduce((sum, r) => sum + Number(r[key]), 0) / runs.length;
    const bySeed = runs.map((r) => pct(r['eval/prompt_strict'])).join(' / ');
    // GRPO with data never trains its Challenger, so the run reports no queries of its own.
    const queries = runs[0]['eval/query_valid_rate'] === undefined ? '– | –' : `${pct(mean('eval/query_valid_rate'))} | ${mean('eval/query_difficulty').toFixed(2)}`;
    lines.push(
      `| ${label} | ${bySeed} | ${pct(mean('eval/prompt_strict'))} / ${pct(mean('eval/prompt_loose'))} | ${pct(mean('eval/instruction_strict'))} / ${pct(mean('eval/instruction_loose'))} | ` +
        `${pct(mean('eval/judge_win_rate'))} | ${queries} | ${(mean('seconds') / 60).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
