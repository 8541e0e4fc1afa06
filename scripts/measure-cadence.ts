// npm run measure-cadence: the measurement behind the writing rubric's cadence band (envs/writing/cadence.ts).
// Surprisal statistics, under the shipped writing base model, of answers that should pass (the generator's
// own, the model's greedy and sampled ones) and of answers that should not (random letters, theme-word spam,
// the generator's words shuffled), with the share of each that the current band passes.

import { runMain, type FlagSpec } from './lib/cli.ts';
import { loadPolicy, startBackend } from './lib/node-env.ts';
import { surprisalStats } from '../src/core/analysis/cadence-stats.ts';
import { completionSurprisal } from '../src/core/train/surprisal.ts';
import { answerCharacterSurprisal, CADENCE_SPIKE_K, cadenceInBand } from '../src/core/envs/writing/cadence.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { parseWritingQuery } from '../src/core/envs/writing/query.ts';
import { sampleBatch, DEFAULT_SAMPLE_OPTIONS } from '../src/core/model/sample.ts';
import { Rng } from '../src/core/random.ts';
import { heldOutSet, solveGreedy } from '../src/core/train/evaluate.ts';
import type { Policy } from '../src/core/model/policy.ts';

const FLAGS: Record<string, FlagSpec> = {
  count: { kind: 'number', help: 'held-out tasks', default: 60 },
  from: { kind: 'string', help: 'model file (default: the shipped writing-small)' },
  help: { kind: 'boolean', help: 'show this help' },
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function characterSurprisal(policy: Policy, query: string, answer: string): Promise<readonly number[]> {
  const [all] = await completionSurprisal(policy, [{ prompt: policy.codec.solverPrompt(writingEnv, query), completion: policy.codec.encodeCompletion(answer, false) }]);
  return answerCharacterSurprisal(answer, all);
}

function junkLike(answer: string, rng: Rng): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return [...answer].map((char) => (char === ' ' || char === '/' ? char : letters[rng.int(0, 25)])).join('');
}

function spamLike(answer: string, theme: string): string {
  return answer.split('/').map((line) => line.split(' ').map(() => theme).join(' ')).join('/');
}

function shuffledLike(answer: string, rng: Rng): string {
  const words = answer.split(/[ /]/);
  for (let i = words.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [words[i], words[j]] = [words[j], words[i]];
  }
  const shapes = answer.split('/').map((line) => line.split(' ').length);
  let at = 0;
  return shapes.map((n) => words.slice(at, (at += n)).join(' ')).join('/');
}

await runMain('measure-cadence', FLAGS, async (f) => {
  await startBackend('wasm');
  const policy = loadPolicy(writingEnv, 'small', f.from as string | undefined);
  const examples = heldOutSet(writingEnv, f.count as number);
  const queries = examples.map((e) => e.query);
  const greedy = await solveGreedy(policy, writingEnv, queries);
  const prompts = queries.map((q) => policy.codec.solverPrompt(writingEnv, q));
  const sampledRows = await sampleBatch(policy, prompts, { ...DEFAULT_SAMPLE_OPTIONS, temperature: 1, maxNewTokens: writingEnv.maxAnswerLength + 1 }, policy.codec, new Rng(5));
  const sampled = sampledRows.map((row) => policy.codec.decodeCompletion(row.tokens));
  const rng = new Rng(9);
  const sets: Record<string, string[]> = {
    generator: examples.map((e) => e.answer),
    greedy,
    sampled,
    junk: examples.map((e) => junkLike(e.answer, rng)),
    spam: examples.map((e) => spamLike(e.answer, parseWritingQuery(e.query)!.theme)),
    shuffled: examples.map((e) => shuffledLike(e.answer, rng)),
  };
  for (const [name, answers] of Object.entries(sets)) {
    const stats: { mean: number; rate: number; peak: number; pass: boolean }[] = [];
    for (let i = 0; i < answers.length; i++) {
      if (answers[i].length === 0) continue;
      const s = await characterSurprisal(policy, queries[i], answers[i]);
      const st = surprisalStats(s, CADENCE_SPIKE_K);
      stats.push({ mean: st.mean, rate: st.spikeRate, peak: Math.max(...s), pass: cadenceInBand(s) });
    }
    const row = (key: 'mean' | 'rate' | 'peak') => [0.1, 0.5, 0.9].map((q) => quantile(stats.map((s) => s[key]), q).toFixed(3)).join(' / ');
    console.log(`${name.padEnd(9)} n=${stats.length}  mean ${row('mean')}  spike rate ${row('rate')}  peak ${row('peak')}  in band ${(100 * stats.filter((s) => s.pass).length / Math.max(1, stats.length)).toFixed(0)} %`);
  }
  console.log('(each statistic: 10th / 50th / 90th percentile over answers; surprisal in nats per character)');
  policy.dispose();
});
