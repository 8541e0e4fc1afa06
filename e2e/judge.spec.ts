// The judge and the instructions environment in the page: a built-in model cannot take instructions (the settings
// say what to do), and a chat model's run shows the judge's questions and prompt in the rubric editor, where an edit
// enters the share link and a prompt that breaks a rule is refused with it. A chat model brought from a hub and
// self-playing with the judge is e2e/hub-judge.spec.ts.

import { test, expect } from '@playwright/test';
import { decodeShareLink } from '../src/app/state/share-link.ts';
import { PAPER_JUDGE_ITEMS } from '../src/core/judge/items.ts';
import { linkFor, openApp } from './helpers.ts';

test('a built-in model cannot take the instructions environment, and the settings say what to do', async ({ page }) => {
  await openApp(page, linkFor());
  await page.locator('select[name=env]').selectOption('instructions');
  await expect(page.locator('.settings .error')).toContainText('is for chat models only');
  await expect(page.locator('.settings .error')).toContainText('choose a hub chat model');
  // The run stays as it was: its link still names arithmetic.
  const url = await page.getByTestId('share-url').inputValue();
  expect(decodeShareLink(new URL(url).hash).env).toBe('arithmetic');
});

test("a chat model's run shows the judge's questions and prompt; an edit enters the link, a broken prompt is refused", async ({ page }) => {
  const chatRun = { env: 'instructions', hubModel: 'fixtures/tiny-qwen2-chat-long', hubRevision: 'test', qualityReward: 'judge' as const, numQueries: 2, groupSize: 2 };
  await page.goto(linkFor(chatRun));
  const editor = page.getByTestId('judge-editor');
  await expect(editor).toBeVisible();
  // Instructions has no per-kind held-out series: the held-out chart offers no view to switch to.
  await expect(page.getByTestId('learning-charts')).toBeVisible();
  await expect(page.getByTestId('heldout-view-kinds')).toHaveCount(0);
  for (const item of PAPER_JUDGE_ITEMS) await expect(editor.getByTestId(`judge-item-${item.key}`).locator('textarea')).toHaveValue(item.question);
  await expect(editor.getByTestId('judge-template')).toHaveValue(/\{instruction\}[\s\S]*\{response\}[\s\S]*\{question\}/);

  const question = editor.getByTestId('judge-item-liked_form').locator('textarea');
  await question.fill('Does the response meet every requirement of the instruction?');
  await question.blur();
  const shared = () => page.getByTestId('share-url').inputValue().then((url) => decodeShareLink(new URL(url).hash));
  await expect.poll(async () => (await shared()).judge.items?.[6]).toEqual({ key: 'liked_form', question: 'Does the response meet every requirement of the instruction?' });

  const template = editor.getByTestId('judge-template');
  await template.fill('Is this good? {instruction} {response} Yes or No.');
  await template.blur();
  await expect(page.getByTestId('rubric-editor').getByRole('alert')).toContainText('{question} exactly once');
  expect((await shared()).judge.template).toBeUndefined();
});
