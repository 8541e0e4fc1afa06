// Chat self-play with the model as its own judge, in Chromium: the page brings the tiny Qwen2 chat checkpoint from a
// local server that answers as the hub does, sets the environment to instructions with the judge as the quality
// reward, trains LoRA steps, and shows each answer's judged items (Q their mean) and the evaluation's strict and loose
// constraint satisfaction and judged win rate. (The checkpoint is tiny-qwen2-chat with a 2,048-position context: the
// instructions Challenger prompt is 517 tokens in its small tokenizer, past the plain one's 512.)

import { LocalHub } from '../scripts/lib/hub-server.ts';
import { fixtureFolder } from '../scripts/lib/hub-fixtures.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';
import { readShareLink } from '../src/app/state/share-link.ts';
import { button, openApp, stepOnce, test } from './helpers.ts';
import { checkHubModel, expect, hubPage } from './hub-helpers.ts';

const ID = 'sparring/tiny-qwen2-chat-long';
const hub = new LocalHub([{ id: ID, files: fixtureFolder('tiny-qwen2-chat-long') }]);
let address = '';

test.beforeAll(async () => {
  address = await hub.start();
});
test.afterAll(() => hub.stop());

/** A percentage as the evaluation panel writes it ("37.5%"), as a fraction. */
const fraction = (text: string) => Number(/^([\d.]+)%$/.exec(text.trim())![1]) / 100;

test('a chat model on instructions, judged by itself: judged items per answer, strict/loose and the judged win rate', async ({ page }) => {
  test.setTimeout(900_000);
  await openApp(page, hubPage(address, { seed: 74 }));
  await checkHubModel(page, ID);
  await expect(page.getByTestId('model-fit')).toContainText('Fits this device');
  await page.getByRole('button', { name: /^Download and use/ }).click();
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });

  // The environment, then the judge as the quality reward (each change starts a new run of the same model).
  const linked = async () => readShareLink(new URL(await page.getByTestId('share-url').inputValue()).hash).config;
  await page.locator('select[name=env]').selectOption('instructions');
  await expect.poll(async () => (await linked()).env).toBe('instructions');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  await page.locator('.settings details summary').click();
  await page.locator('select[name=qualityReward]').selectOption('judge');
  await expect.poll(async () => (await linked()).qualityReward).toBe('judge');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  expect(await linked()).toMatchObject({ hubModel: ID, hubRevision: hub.commitOf(ID), env: 'instructions', qualityReward: 'judge' });
  await expect(page.getByTestId('judge-editor')).toBeVisible();

  await stepOnce(page, 1);
  await stepOnce(page, 2);

  // An answer's judged items: one row per question of the judge, a score in [0, 1] per answer, Q their mean.
  await page.getByTestId('rollout-group').first().click();
  const detail = page.getByTestId('group-detail');
  await expect(detail).toBeVisible();
  const answers = await detail.getByTestId('group-answers').locator('tbody tr').count();
  expect(answers).toBe(2);
  const scores: number[][] = [];
  for (const item of PAPER_JUDGE_ITEMS) {
    const cells = await detail.getByTestId(`judged-${item.key}`).locator('td.score').allInnerTexts();
    expect(cells, item.key).toHaveLength(answers);
    scores.push(cells.map(Number));
  }
  for (const row of scores) for (const s of row) expect(s >= 0 && s <= 1, `score ${s}`).toBe(true);
  const q = (await detail.getByTestId('group-answers').locator('tbody tr td:nth-child(4)').allInnerTexts()).map(Number);
  for (let j = 0; j < answers; j++) {
    const mean = scores.reduce((sum, row) => sum + row[j], 0) / scores.length;
    expect(Math.abs(q[j] - mean), `answer ${j + 1}: Q ${q[j]}, mean of its judged items ${mean}`).toBeLessThanOrEqual(0.01);
  }
  // The answers are model text, shown as text (plain, or a character strip of its surprisal): nothing in their cells
  // but spans of text, whatever the model wrote.
  const cells = detail.getByTestId('group-answers').locator('td.text');
  await expect(cells).toHaveCount(answers);
  const shown = await cells.evaluateAll((tds) => tds.map((td) => ({ tags: [...td.querySelectorAll('*')].map((e) => e.tagName), text: td.textContent ?? '' })));
  for (const cell of shown) {
    expect(cell.tags.length).toBeGreaterThan(0);
    expect(new Set(cell.tags)).toEqual(new Set(['SPAN']));
    expect(cell.text.trim().length).toBeGreaterThan(0);
  }

  // The evaluation: strict and loose constraint satisfaction against the base model, and the judged win rate.
  await button(page, 'Evaluate').click();
  const evaluation = page.getByTestId('evaluation');
  await expect(evaluation).toContainText('at step 2', { timeout: 600_000 });
  for (const level of ['prompt-level', 'instruction-level']) {
    const cells = (await evaluation.getByTestId(`constraints-${level}`).locator('td').allInnerTexts()).slice(1).map(fraction);
    const [strictBase, strictNow, looseBase, looseNow] = cells;
    expect(cells.every((x) => x >= 0 && x <= 1)).toBe(true);
    // Loose accepts every answer strict accepts.
    expect(looseBase).toBeGreaterThanOrEqual(strictBase);
    expect(looseNow).toBeGreaterThanOrEqual(strictNow);
  }
  const judged = evaluation.getByTestId('judge-win-rate');
  await expect(judged).toBeVisible();
  const counts = /\((\d+) wins, (\d+) ties, (\d+) losses on (\d+) held-out instructions/.exec(await judged.innerText());
  expect(counts).not.toBeNull();
  const [wins, ties, losses, count] = counts!.slice(1).map(Number);
  expect(wins + ties + losses).toBe(count);
  expect(count).toBeGreaterThan(0);
  // A tie counts half.
  expect(fraction(await judged.getByTestId('judge-win-rate-value').innerText())).toBeCloseTo((wins + ties / 2) / count, 2);
});
