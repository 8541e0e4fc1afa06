import { test, expect, type Page } from '@playwright/test';
import LZString from 'lz-string';
import { ALARM_WINDOW } from '../src/core/analysis/alarms.ts';
import { getEnv } from '../src/core/envs/registry.ts';
import { button, linkFor, openApp, stepOnce } from './helpers.ts';
import { LINK_VERSION } from '../src/app/state/share-link.ts';

const CRITERIA = getEnv('arithmetic').rubric.map((c) => c.key);

interface Row {
  reward: number;
  quality: number;
  advantage: number;
  passes: boolean[];
}

/** The open group's tables as numbers: R, Q, A per answer, and each quality criterion's verdict, in rubric order
 *  (the checks table has a row per criterion and a column per answer). */
async function groupRows(page: Page): Promise<Row[]> {
  const detail = page.getByTestId('group-detail');
  const cellsOf = (trs: Element[]) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
  const answers = await detail.getByTestId('group-answers').locator('tbody tr').evaluateAll(cellsOf);
  const checks = new Map<string, string[]>();
  for (const key of CRITERIA) checks.set(key, (await detail.getByTestId(`check-${key}`).evaluateAll(cellsOf))[0].slice(1));
  return answers.map((cells, j) => ({
    reward: Number(cells[2]),
    quality: Number(cells[3]),
    advantage: Number(cells[4]),
    passes: CRITERIA.map((key) => checks.get(key)![j].trim() === '✓'),
  }));
}

/** Q with every criterion of weight 1 and those in `off` switched off: an independent recomputation. */
function expectedQuality(passes: boolean[], off: Set<number>): number {
  const on = passes.map((p, i) => (off.has(i) ? null : p)).filter((p) => p !== null);
  return on.filter(Boolean).length / on.length;
}

async function openGroup(page: Page, index: number): Promise<void> {
  await page.getByTestId('rollout-group').nth(index).click();
  await expect(page.getByTestId('group-detail')).toBeVisible();
}

async function closeGroup(page: Page): Promise<void> {
  await page.getByRole('button', { name: '← All queries' }).click();
}

/** Steps searched for an answer that fails one criterion and passes another (the tiny model's answers mostly pass all). */
const SEARCH_STEPS = 12;

test('switching a criterion off re-scores the last step at once, enters the link, and trains the next step', async ({ page }) => {
  await openApp(page, linkFor({ numQueries: 8, groupSize: 4 }));
  await expect(page.getByTestId('rubric-editor')).toBeVisible();
  const hashBefore = await page.getByTestId('share-url').inputValue();

  // A group where some answer fails a criterion and passes others, so switching that criterion off moves its Q.
  let found: { group: number; criterion: number; before: Row[] } | null = null;
  for (let step = 1; step <= SEARCH_STEPS && !found; step++) {
    await stepOnce(page, step);
    const groups = await page.getByTestId('rollout-group').count();
    for (let g = 0; g < groups && !found; g++) {
      await openGroup(page, g);
      const rows = await groupRows(page);
      for (let c = 0; c < CRITERIA.length && !found; c++) {
        if (rows.some((r) => !r.passes[c] && r.passes.some((p, i) => p && i !== c))) found = { group: g, criterion: c, before: rows };
      }
      if (!found) await closeGroup(page);
    }
  }
  expect(found, `no answer failed a criterion in ${SEARCH_STEPS} steps`).not.toBeNull();
  const { criterion, before } = found!;
  const key = CRITERIA[criterion];
  const stepShown = Number(await page.getByTestId('step').innerText());

  // The quality rewards re-scored from the verdicts, with the group's detail still open.
  await page.getByTestId(`rubric-row-${key}`).getByRole('checkbox').uncheck();
  const off = new Set([criterion]);
  await expect.poll(async () => (await groupRows(page)).map((r) => r.quality)).toEqual(before.map((r) => Number(expectedQuality(r.passes, off).toFixed(2))));
  const after = await groupRows(page);
  expect(after.map((r) => r.quality)).not.toEqual(before.map((r) => r.quality));
  // Advantages follow: S = R + wQ Q (wQ = 1), centred in the group (within the table's rounding).
  const scores = after.map((r) => r.reward + r.quality);
  const meanScore = scores.reduce((a, b) => a + b, 0) / scores.length;
  after.forEach((r, j) => expect(Math.abs(r.advantage - (scores[j] - meanScore))).toBeLessThan(0.011));
  await expect(page.getByTestId(`rubric-share-${key}`)).toHaveText('0%');
  await expect(page.getByTestId(`rubric-share-${CRITERIA[(criterion + 1) % CRITERIA.length]}`)).toHaveText('20%');
  // Still the same run and step: a rubric edit does not start a new run.
  await expect(page.getByTestId('step')).toHaveText(String(stepShown));

  // The link holds the change, and only it.
  const shareUrl = await page.getByTestId('share-url').inputValue();
  expect(shareUrl).not.toBe(hashBefore);
  const payload = JSON.parse(LZString.decompressFromEncodedURIComponent(shareUrl.split(`#v${LINK_VERSION}.`)[1])!);
  expect(payload.rubric).toEqual({ enabled: { [key]: false } });

  // The next step is scored by the trainer with the criterion off.
  await closeGroup(page);
  await stepOnce(page, stepShown + 1);
  await openGroup(page, 0);
  for (const r of await groupRows(page)) expect(r.quality).toBeCloseTo(expectedQuality(r.passes, off), 2);

  // A reload of the link resumes the run with its rubric.
  await page.reload();
  await expect(page.getByTestId('status')).toHaveText(/ready|paused/, { timeout: 120_000 });
  await expect(page.getByTestId('step')).toHaveText(String(stepShown + 1));
  await expect(page.getByTestId(`rubric-row-${key}`).getByRole('checkbox')).not.toBeChecked();
});

test('a bad weight shows the rule and changes nothing', async ({ page }) => {
  await openApp(page, linkFor({ numQueries: 4, groupSize: 3 }));
  const shareUrl = await page.getByTestId('share-url').inputValue();
  const weight = page.getByTestId('rubric-row-parses').getByRole('spinbutton');
  await weight.fill('-1');
  await weight.press('Tab');
  await expect(page.getByTestId('rubric-editor').getByRole('alert')).toContainText('rubric.weights.parses (-1) must be a number from 0 to 100');
  expect(await page.getByTestId('share-url').inputValue()).toBe(shareUrl);
  await expect(page.getByTestId('rubric-share-parses')).toHaveText('17%');
});

test('the reward-hacking preset raises alarms for LSP-Zero within a minute or two, and none for LSP', async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page, linkFor({ numQueries: 4, groupSize: 3 }));
  await page.getByTestId('preset-hacking-lsp-zero').click();
  await expect(page.locator('select[name=algorithm]')).toHaveValue('lsp-zero');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  let started = Date.now();
  await button(page, 'Play').click();
  const alarm = page.getByTestId('alarm').first();
  await expect(alarm).toBeVisible({ timeout: 240_000 });
  const step = Number(await alarm.getAttribute('data-step'));
  console.log(`LSP-Zero: first alarm ${await alarm.getAttribute('data-key')} at step ${step}, ${((Date.now() - started) / 1000).toFixed(0)} s after Play`);
  await button(page, 'Pause').click();
  // The earliest an alarm can fire: a KL spike is measured against the ALARM_WINDOW steps before it (the other
  // alarms compare the latest window with the first, from step 2 x ALARM_WINDOW).
  expect(step).toBeGreaterThan(ALARM_WINDOW);
  await expect(page.getByTestId('chart-alarms').first()).toContainText('alarm at step');

  // The same push with LSP: past the step where LSP-Zero's alarm fired, none.
  await page.getByTestId('preset-hacking-lsp').click();
  await expect(page.locator('select[name=algorithm]')).toHaveValue('lsp');
  await expect(page.getByTestId('status')).toHaveText(/ready/, { timeout: 120_000 });
  started = Date.now();
  await button(page, 'Play').click();
  const target = step + 10;
  await expect.poll(async () => Number(await page.getByTestId('step').innerText()), { timeout: 240_000 }).toBeGreaterThanOrEqual(target);
  await button(page, 'Pause').click();
  console.log(`LSP: step ${target} reached ${((Date.now() - started) / 1000).toFixed(0)} s after Play, alarms: ${await page.getByTestId('alarm').count()}`);
  await expect(page.getByTestId('alarm')).toHaveCount(0);
  await expect(page.getByTestId('alarms-panel')).toContainText('none fired');
});
