// Alarms over a run's metric history: the signs that a small policy is gaming its reward or collapsing,
// written as plain checks with named thresholds, so a person can read why one fired. Pure functions over
// columns of numbers keyed by step (the TRL-style metric names of selfplay.ts); nothing here draws or stores.

/** The metric history as alarms read it: steps, and one column per metric aligned with them (null: not reported). */
export interface MetricTable {
  readonly steps: readonly number[];
  column(key: string): readonly (number | null)[];
}

export type AlarmKind = 'invalid-premium' | 'query-diversity' | 'query-validity' | 'length-drift' | 'kl-spike' | 'criterion-saturation' | 'entropy-collapse';

export interface Alarm {
  /** Unique per alarm and what it watches, e.g. 'kl-spike/challenger'. */
  key: string;
  kind: AlarmKind;
  /** The first step at which it fired. */
  step: number;
  /** One plain line with the numbers. */
  message: string;
  /** The metric keys it is about (for marking the charts that show them). */
  metrics: string[];
}

/**
 * Steps averaged for "now" and for "the start". One step samples N = 16 queries (128 answers), so a rate
 * moves by 1/16 from step to step at random; over ten steps that noise falls to a few points, well under
 * the drops below, while a drift is still caught within about ten steps of starting.
 */
export const ALARM_WINDOW = 10;
/** The distinct-query rate falling this far (absolute) below its start: the Challenger repeats itself. */
export const DIVERSITY_DROP = 0.2;
/** The valid-query rate falling this far below its start: the Challenger drifts to junk nobody can solve. */
export const VALIDITY_DROP = 0.25;
/** Mean completion length moving by this fraction of its start, and by at least LENGTH_DRIFT_MIN_TOKENS. */
export const LENGTH_DRIFT = 0.5;
/** Short completions (arithmetic answers are 2-4 tokens) make small absolute changes big fractions. */
export const LENGTH_DRIFT_MIN_TOKENS = 2;
/**
 * A step's KL at least this many times the median of the ALARM_WINDOW steps before it, and at least
 * KL_SPIKE_MIN nats per token, on KL_SPIKE_HOLD steps in a row. The median ignores a single earlier outlier; the
 * floor ignores the first steps, where KL rises from exactly 0 and every ratio is large; the hold ignores a
 * single step's batch that happened to be far from the base model (the default link's Solver read 0.31 at one
 * step and 0.02 two steps later), while a policy that has left the base model stays away (see the README's
 * Alarms for the false alarms and detections measured with one step and with two).
 */
export const KL_SPIKE_RATIO = 2.5;
export const KL_SPIKE_MIN = 0.3;
export const KL_SPIKE_HOLD = 2;
/** A criterion passed by at least this share of answers counts as saturated... */
export const SATURATED = 0.95;
/** ...and is suspicious when another criterion's pass rate fell this far below its start meanwhile. */
export const CRITERION_FALL = 0.25;
/** Mean per-token entropy below this fraction of its start: the role stopped exploring (mode collapse). */
export const ENTROPY_COLLAPSE = 0.4;

/**
 * Unparseable queries earning the Challenger at least this much more than valid ones, on average over the
 * steps of a window that had both (at least INVALID_PREMIUM_MIN_STEPS of them, holding at least
 * INVALID_PREMIUM_MIN_QUERIES unparseable queries between them): it is being paid to break the task, and its valid
 * rate will fall. Writing with wQ = 1 starts at about +0.46. The count keeps a premium read off a few stray
 * queries from firing: arithmetic's LSP preset on seed 2 wrote one unparseable query in 16 on three steps of ten
 * (+0.15 to +0.34 each, the tiny Solver solving most valid ones) and stayed 98% valid to step 300.
 */
export const INVALID_PREMIUM = 0.1;
export const INVALID_PREMIUM_MIN_STEPS = 3;
export const INVALID_PREMIUM_MIN_QUERIES = 6;

const ROLES = ['solver', 'challenger'] as const;

/** Mean of the non-null values in the `width` entries ending at index `end`; null when fewer than half are there. */
export function windowMean(column: readonly (number | null)[], end: number, width: number): number | null {
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, end - width + 1); i <= end; i++) {
    const v = column[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) {
      sum += v;
      count += 1;
    }
  }
  return count * 2 >= width && count > 0 ? sum / count : null;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
const fixed = (x: number, digits: number) => x.toFixed(digits);

/** Steps covered by the window that ends at index `end`, for messages: 'steps 41-50'. */
function span(table: MetricTable, end: number, width = ALARM_WINDOW): string {
  return `steps ${table.steps[Math.max(0, end - width + 1)]}-${table.steps[end]}`;
}

/**
 * The first index from which the window ending there differs from the starting window as `fires` says.
 * Returns that index with both means, or null. The start is the first ALARM_WINDOW steps, close to the base model.
 */
function firstDrift(
  table: MetricTable,
  key: string,
  fires: (now: number, start: number) => boolean,
): { index: number; now: number; start: number } | null {
  const col = table.column(key);
  const start = windowMean(col, ALARM_WINDOW - 1, ALARM_WINDOW);
  if (start === null) return null;
  for (let end = 2 * ALARM_WINDOW - 1; end < table.steps.length; end++) {
    const now = windowMean(col, end, ALARM_WINDOW);
    if (now !== null && fires(now, start)) return { index: end, now, start };
  }
  return null;
}

/** Fires before the valid rate falls: the incentive to break the task is visible in the first steps. */
export function invalidPremiumAlarm(table: MetricTable): Alarm | null {
  const key = 'challenger/invalid_premium';
  const col = table.column(key);
  const invalid = table.column('query/invalid_count');
  for (let end = 0; end < table.steps.length; end++) {
    const start = Math.max(0, end - ALARM_WINDOW + 1);
    const seen = col.slice(start, end + 1).filter((v): v is number => v !== null && Number.isFinite(v));
    if (seen.length < INVALID_PREMIUM_MIN_STEPS) continue;
    // Runs recorded before the count was kept have none: there the steps alone decide, as they did then.
    const counts = invalid.slice(start, end + 1).filter((v): v is number => v !== null && Number.isFinite(v));
    if (counts.length && counts.reduce((a, b) => a + b, 0) < INVALID_PREMIUM_MIN_QUERIES) continue;
    const premium = seen.reduce((a, b) => a + b, 0) / seen.length;
    if (premium >= INVALID_PREMIUM) {
      return {
        key: 'invalid-premium',
        kind: 'invalid-premium',
        step: table.steps[end],
        message: `Broken queries pay: an unparseable query earned the Challenger ${fixed(premium, 2)} more than a valid one (${span(table, end)}, ${seen.length} steps with both${counts.length ? `, ${counts.reduce((a, b) => a + b, 0)} unparseable queries` : ''}). Its valid rate will fall. Raise wQ, or the weight of 'parses' in the rubric, until the quality reward outweighs the Solver's typical reward on valid queries.`,
        metrics: [key, 'query/valid_rate'],
      };
    }
  }
  return null;
}

export function queryDiversityAlarm(table: MetricTable): Alarm | null {
  const key = 'query/distinct_rate';
  const hit = firstDrift(table, key, (now, start) => now <= start - DIVERSITY_DROP);
  if (!hit) return null;
  return {
    key: 'query-diversity',
    kind: 'query-diversity',
    step: table.steps[hit.index],
    message: `Query diversity fell: ${percent(hit.now)} of the Challenger's queries are distinct (${span(table, hit.index)}), down from ${percent(hit.start)} at the start. It is repeating the queries that pay.`,
    metrics: [key],
  };
}

export function queryValidityAlarm(table: MetricTable): Alarm | null {
  const key = 'query/valid_rate';
  const hit = firstDrift(table, key, (now, start) => now <= start - VALIDITY_DROP);
  if (!hit) return null;
  return {
    key: 'query-validity',
    kind: 'query-validity',
    step: table.steps[hit.index],
    message: `The Challenger drifts to junk: ${percent(hit.now)} of its queries parse (${span(table, hit.index)}), down from ${percent(hit.start)} at the start. Unsolvable queries pay it most when nothing rewards quality.`,
    metrics: [key],
  };
}

export function lengthDriftAlarms(table: MetricTable): Alarm[] {
  const alarms: Alarm[] = [];
  for (const role of ROLES) {
    const key = `${role}/completions/mean_length`;
    const hit = firstDrift(table, key, (now, start) => Math.abs(now - start) >= Math.max(LENGTH_DRIFT * start, LENGTH_DRIFT_MIN_TOKENS));
    if (!hit) continue;
    const change = (hit.now - hit.start) / hit.start;
    alarms.push({
      key: `length-drift/${role}`,
      kind: 'length-drift',
      step: table.steps[hit.index],
      message: `The ${role}'s ${role === 'solver' ? 'answers' : 'queries'} ${change > 0 ? 'grew' : 'shrank'} from ${fixed(hit.start, 1)} to ${fixed(hit.now, 1)} tokens on average (${change > 0 ? '+' : ''}${Math.round(change * 100)}%, ${span(table, hit.index)}): length is paying, not content.`,
      metrics: [key],
    });
  }
  return alarms;
}

/**
 * KL spikes: from step i on, `hold` steps in a row at least KL_SPIKE_MIN and KL_SPIKE_RATIO times the median of
 * the ALARM_WINDOW steps before step i. The alarm is raised at the last of those steps, when the spike is known
 * to hold. `hold` 1 is the rule before KL_SPIKE_HOLD, kept for measuring the two against each other.
 */
export function klSpikeAlarms(table: MetricTable, hold = KL_SPIKE_HOLD): Alarm[] {
  const alarms: Alarm[] = [];
  for (const role of ROLES) {
    const key = `${role}/kl`;
    const col = table.column(key);
    for (let i = ALARM_WINDOW; i + hold <= table.steps.length; i++) {
      const held = col.slice(i, i + hold);
      if (!held.every((v): v is number => v !== null && v !== undefined && Number.isFinite(v))) continue;
      const before = col.slice(i - ALARM_WINDOW, i).filter((v): v is number => v !== null && Number.isFinite(v));
      if (before.length * 2 < ALARM_WINDOW) continue;
      const typical = median(before);
      const threshold = Math.max(KL_SPIKE_MIN, KL_SPIKE_RATIO * typical);
      if (held.every((value) => value >= threshold)) {
        const last = i + hold - 1;
        const lowest = Math.min(...held);
        const steps = hold > 1 ? `steps ${table.steps[i]}-${table.steps[last]}` : `step ${table.steps[i]}`;
        alarms.push({
          key: `kl-spike/${role}`,
          kind: 'kl-spike',
          step: table.steps[last],
          message: `KL spike (${role}): ${hold > 1 ? 'at least ' : ''}${fixed(lowest, 2)} nats per token at ${steps}, ${fixed(lowest / Math.max(typical, 1e-9), 1)}x the median ${fixed(typical, 2)} of the ${ALARM_WINDOW} steps before. The ${role} left the base model's behaviour suddenly${hold > 1 ? ', and stayed away' : ''}.`,
          metrics: [key],
        });
        break;
      }
    }
  }
  return alarms;
}

/**
 * One criterion saturated (passed by nearly every answer) while another falls: the policy satisfies what is
 * easy to satisfy and drops the rest. `criteria` are the rubric keys, read as `rubric/<key>` pass rates.
 */
export function criterionSaturationAlarm(table: MetricTable, criteria: readonly string[]): Alarm | null {
  const columns = criteria.map((key) => ({ key, col: table.column(`rubric/${key}`) }));
  const starts = columns.map(({ col }) => windowMean(col, ALARM_WINDOW - 1, ALARM_WINDOW));
  for (let end = 2 * ALARM_WINDOW - 1; end < table.steps.length; end++) {
    const rates = columns.map(({ key, col }, i) => ({ key, now: windowMean(col, end, ALARM_WINDOW), start: starts[i] }));
    const saturated = rates.find((r) => r.now !== null && r.start !== null && r.now >= SATURATED && r.now >= r.start);
    const falling = rates
      .filter((r) => r.now !== null && r.start !== null && r.now <= r.start - CRITERION_FALL)
      .sort((a, b) => a.now! - a.start! - (b.now! - b.start!))[0];
    if (saturated && falling) {
      return {
        key: 'criterion-saturation',
        kind: 'criterion-saturation',
        step: table.steps[end],
        message: `'${saturated.key}' passes ${percent(saturated.now!)} while '${falling.key}' fell from ${percent(falling.start!)} to ${percent(falling.now!)} (${span(table, end)}): the policy keeps the easy criterion and drops the rest.`,
        metrics: [`rubric/${saturated.key}`, `rubric/${falling.key}`],
      };
    }
  }
  return null;
}

export function entropyCollapseAlarms(table: MetricTable): Alarm[] {
  const alarms: Alarm[] = [];
  for (const role of ROLES) {
    const key = `${role}/entropy`;
    const hit = firstDrift(table, key, (now, start) => start > 0 && now <= ENTROPY_COLLAPSE * start);
    if (!hit) continue;
    alarms.push({
      key: `entropy-collapse/${role}`,
      kind: 'entropy-collapse',
      step: table.steps[hit.index],
      message: `Entropy collapse (${role}): ${fixed(hit.now, 2)} nats per token (${span(table, hit.index)}), ${percent(hit.now / hit.start)} of the ${fixed(hit.start, 2)} at the start. It stopped exploring and writes nearly the same thing every time.`,
      metrics: [key],
    });
  }
  return alarms;
}

/** Every alarm that fired, earliest first. `criteria` are the rubric criterion keys of the run's environment; `klHold`
 *  how many steps a KL spike must hold (see klSpikeAlarms). */
export function detectAlarms(table: MetricTable, criteria: readonly string[], klHold = KL_SPIKE_HOLD): Alarm[] {
  const alarms = [
    invalidPremiumAlarm(table),
    queryDiversityAlarm(table),
    queryValidityAlarm(table),
    ...lengthDriftAlarms(table),
    ...klSpikeAlarms(table, klHold),
    criterionSaturationAlarm(table, criteria),
    ...entropyCollapseAlarms(table),
  ].filter((a): a is Alarm => a !== null);
  return alarms.sort((a, b) => a.step - b.step || a.key.localeCompare(b.key));
}

/** A table from rows of metrics (as stored, or as the CLI prints them), sorted by step. */
export function metricTable(rows: readonly { step: number; values: Readonly<Record<string, number>> }[]): MetricTable {
  const sorted = [...rows].sort((a, b) => a.step - b.step);
  const steps = sorted.map((r) => r.step);
  return {
    steps,
    column: (key) => sorted.map((r) => (key in r.values ? r.values[key] : null)),
  };
}
