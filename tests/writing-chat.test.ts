// Writing for chat models: the task rendered as a plain-language request, each token's surprisal spread over its
// characters (hand-computed; the counts of each tokenizer kind summing to the decoded text), and a chat model's
// writing step judging cadence from the reference's per-token surprisal so spread.

import { beforeAll, describe, expect, it } from 'vitest';
import { backend } from './helpers.ts';
import { CharacterSurprisalError, spreadOverCharacters } from '../src/core/analysis/character-surprisal.ts';
import { writingEnv } from '../src/core/envs/writing/index.ts';
import { writingRequest } from '../src/core/envs/writing/chat-prompts.ts';
import { parseWritingQuery } from '../src/core/envs/writing/query.ts';
import { chatPromptsOf } from '../src/core/envs/env.ts';
import { HubCodec } from '../src/core/tokenizer/hub-codec.ts';
import { Tokenizer, EOS } from '../src/core/tokenizer/tokenizer.ts';
import { MemoryFiles } from '../src/core/hub/model-files.ts';
import { TrainingSession, type SessionEvent } from '../src/core/train/session.ts';
import { defaultRunConfig, normalizeRunConfig } from '../src/core/train/run-config.ts';
import type { StepReport } from '../src/core/train/selfplay.ts';
import { byteLevelFixture, fixtureFiles, sentencePieceFixture } from '../scripts/lib/tokenizer-fixtures.ts';
import { chatFolder, randomChatWeights, SYNTHETIC_CHAT_ARCH } from './synthetic-chat.ts';

describe('surprisal per character', () => {
  it("spreads each token's nats evenly over its characters, carries a characterless token's on, keeps the stop token's", () => {
    // 'ab' (2 nats), a byte with no character of its own (1 nat), 'c' (3 nats), then the stop token (0.5).
    expect(spreadOverCharacters([2, 1, 3, 0.5], [2, 0, 1])).toEqual([1, 1, 4, 0.5]);
    expect(spreadOverCharacters([2, 1], [2, 0])).toEqual([1, 2]); // trailing nats join the last character
    expect(spreadOverCharacters([0.3, 0.6], [1, 1])).toEqual([0.3, 0.6]); // a character tokenizer: unchanged
    expect(spreadOverCharacters([], [])).toEqual([]);
    const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(total(spreadOverCharacters([1.5, 4, 0.25], [3, 4, 1]))).toBeCloseTo(5.75, 12);
    expect(() => spreadOverCharacters([1, 2, 3], [1])).toThrow(CharacterSurprisalError);
  });

  it('counts characters per token: one per character id, a subword token its length, summing to the decoded text', () => {
    const chars = Tokenizer.fit('abc ');
    expect(chars.characterCounts([...chars.encode('ab c'), EOS, ...chars.encode('a')])).toEqual([1, 1, 1, 1]);
    for (const fixture of [byteLevelFixture('chatml'), byteLevelFixture('llama3'), sentencePieceFixture('metaspace')]) {
      const codec = new HubCodec(fixtureFiles(fixture), { completionTokens: 64 });
      for (const text of ['The rain falls, and the world is quiet .', 'café ☕ ok', 'the sea rolls slow/the tide turns']) {
        const ids = codec.encodeCompletion(text, true);
        const counts = codec.characterCounts(ids);
        expect(counts).toHaveLength(ids.length - 1); // up to the stop token
        expect(counts.reduce((a, b) => a + b, 0)).toBe(codec.decodeCompletion(ids).length);
        expect(counts.every((c) => c >= 0)).toBe(true);
      }
    }
    // Byte-level ASCII: each token's count is its own text's length ('Ġthe' is ' the', 4).
    const codec = new HubCodec(fixtureFiles(byteLevelFixture('chatml')), { completionTokens: 64 });
    const ids = codec.encodeCompletion('Hello the world', false);
    expect(codec.characterCounts(ids)).toEqual(ids.map((id) => codec.tokenText(id).length));
    // 'é' is two byte tokens: its character counts at the first, the second has none.
    const accented = codec.encodeCompletion('é', false);
    expect(codec.characterCounts(accented)).toEqual([1, 0]);
  });
});

describe('writing for chat models', () => {
  it('asks the Solver in plain language for what the task rubric checks', () => {
    const request = writingRequest(parseWritingQuery('theme:rain|lines:3|use:cloud|rhyme')!);
    expect(request).toMatch(/^Write three short lines about rain, each of two to eight words, using the word "rain" exactly once in all\. Use the word "cloud"\. The last words of the lines must all differ and end in the same two letters\./);
    expect(request).toContain('Do not repeat a pair of words');
    expect(request).toContain('separated by "/" with no spaces around it');
    expect(request).toMatch(/from this list: the rain sea snow .* far afar ahead instead spread\./);
    expect(writingRequest(parseWritingQuery('theme:sea|lines:2|no:salt')!)).toContain('Do not use the word "salt".');
    const prompts = chatPromptsOf(writingEnv);
    expect(prompts.solver('theme:rain|lines:3|use:cloud|rhyme')).toBe(request);
    expect(prompts.solver('junk')).toBe('Write a few short lines for this task: junk\nReply with the lines alone.');
    expect(prompts.challenger).toContain('theme:<theme>|lines:<n>');
    expect(prompts.challenger).toContain('"ember"');
  });

  it("judges a chat model's cadence per character from the reference's per-token surprisal", async () => {
    await backend('wasm');
    const steps: StepReport[] = [];
    const session = new TrainingSession((e: SessionEvent) => void (e.type === 'step' && steps.push(e.report)), { every: 0, count: 0 });
    // GRPO with data: the generator's tasks, which parse, so the rubric judges every answer.
    const config = normalizeRunConfig({ ...defaultRunConfig('grpo-data'), env: 'writing', numQueries: 2, groupSize: 2, hubModel: 'test/synthetic-chat', hubRevision: 'test', completionTokens: 12 });
    await session.init(config, new MemoryFiles(chatFolder(SYNTHETIC_CHAT_ARCH, randomChatWeights(SYNTHETIC_CHAT_ARCH, 8)), 'synthetic-chat'));
    await session.step();
    let judged = 0;
    for (const group of steps[0].groups) {
      expect(group.valid).toBe(true);
      for (const answer of group.answers) {
        expect(answer.surprisal).toHaveLength(answer.text.length + (answer.finished ? 1 : 0));
        // Where the answer has words, cadence is judged (true or false), not left out.
        if (/[a-z]/.test(answer.text)) {
          expect(typeof answer.rewardPasses!.cadence).toBe('boolean');
          judged += 1;
        }
      }
    }
    expect(judged).toBeGreaterThan(0);
    await session.dispose();
  });
});
