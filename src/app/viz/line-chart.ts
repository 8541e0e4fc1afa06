// A line chart over steps: a small class around uPlot that knows nothing about metrics or Svelte.
// uPlot draws on a canvas and redraws only on setData, so thousands of points stay cheap.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cancelDraw } from './frame-budget.ts';
import { axisLabels } from './charts.ts';

export interface LineSeries {
  label: string;
  color: string;
  /** Drawn dashed: a reference level rather than a measurement of this run. */
  dashed?: boolean;
  /** Each value marked with a dot: for series measured every few steps. */
  points?: boolean;
}

export interface LineChartOptions {
  series: LineSeries[];
  width: number;
  height: number;
  xLabel: string;
  /** Fixed y range; auto-scaled when absent. */
  range?: [number, number];
  digits: number;
  /** Values are shares: the axis and the legend show percent. */
  percent?: boolean;
}

/** Steps are whole numbers: ticks only at whole steps, however few points there are. */
const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];

function showLatest(plot: uPlot): void {
  const n = plot.data[0]?.length ?? 0;
  if (n > 0) plot.setLegend({ idx: n - 1 }, false);
}

/** Alarm markers: dashed vertical lines at steps (drawn over the series). */
const MARKER_COLOR = '#8a6100';

export class LineChart {
  private readonly plot: uPlot;
  private markers: readonly number[] = [];

  constructor(target: HTMLElement, options: LineChartOptions) {
    const digits = options.percent ? Math.max(0, options.digits - 2) : options.digits;
    const format = (_: uPlot, value: number | null) => (value == null ? '-' : options.percent ? `${(value * 100).toFixed(digits)}%` : value.toFixed(digits));
    const yValues = options.percent ? (_: uPlot, splits: number[]) => splits.map((v) => `${Math.round(v * 100)}%`) : (_: uPlot, splits: number[]) => axisLabels(splits);
    const range = options.range;
    this.plot = new uPlot(
      {
        width: options.width,
        height: options.height,
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        legend: { live: true },
        // Away from the cursor the legend shows the latest values rather than dashes.
        hooks: { setCursor: [(u) => (u.cursor.idx == null ? showLatest(u) : undefined)], draw: [(u) => this.drawMarkers(u)] },
        scales: {
          // One point alone gets a step of room, not uPlot's hundred.
          x: { time: false, range: (_u, min, max) => [min ?? 0, max !== null && min !== null && max > min ? max : (min ?? 0) + 1] },
          y: range ? { range: (_u, min, max) => [Math.min(range[0], min ?? range[0]), Math.max(range[1], max ?? range[1])] } : { auto: true },
        },
        axes: [
          { label: options.xLabel, labelSize: 14, size: 32, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, font: '11px system-ui, sans-serif', labelFont: '11px system-ui, sans-serif', incrs: STEP_INCREMENTS },
          { size: 50, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, font: '11px system-ui, sans-serif', values: yValues },
        ],
        series: [
          { label: options.xLabel, value: (_u, v) => (v == null ? '-' : String(v)) },
          ...options.series.map((s) => ({ label: s.label, stroke: s.color, width: s.dashed ? 1.25 : 1.5, dash: s.dashed ? [5, 4] : undefined, spanGaps: true, points: s.points ? { show: true, size: 5, fill: s.color } : { show: false }, value: format })),
        ],
      },
      [[], ...options.series.map(() => [])],
      target,
    );
  }

  /** x and one column per series, all the same length. */
  setData(x: readonly number[], columns: readonly (readonly (number | null)[])[]): void {
    this.plot.setData([x as number[], ...(columns as (number | null)[][])]);
    if (this.plot.cursor.idx == null) showLatest(this.plot);
  }

  /** Steps to mark with a dashed vertical line (alarms); redraws only when they change. */
  setMarkers(steps: readonly number[]): void {
    if (steps.length === this.markers.length && steps.every((s, i) => s === this.markers[i])) return;
    this.markers = [...steps];
    this.plot.redraw(false, false);
  }

  private drawMarkers(u: uPlot): void {
    if (this.markers.length === 0) return;
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = MARKER_COLOR;
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    for (const step of this.markers) {
      const x = Math.round(u.valToPos(step, 'x', true));
      if (!Number.isFinite(x) || x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  }

  resize(width: number, height: number): void {
    if (width > 0 && (width !== this.plot.width || height !== this.plot.height)) this.plot.setSize({ width, height });
  }

  destroy(): void {
    this.plot.destroy();
  }
}

/**
 * A chart as wide as `container` that follows its width. The returned function (for a component's teardown)
 * stops following, drops a draw still queued for it, and removes it.
 */
export function chartInContainer(container: HTMLElement, options: Omit<LineChartOptions, 'width'>): [LineChart, () => void] {
  const chart = new LineChart(container, { ...options, width: container.clientWidth || 320 });
  const observer = new ResizeObserver(() => chart.resize(container.clientWidth, options.height));
  observer.observe(container);
  return [
    chart,
    () => {
      cancelDraw(chart);
      observer.disconnect();
      chart.destroy();
    },
  ];
}
