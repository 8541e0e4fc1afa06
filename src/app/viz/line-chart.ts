// A line chart over steps: a small class around uPlot that knows nothing about metrics or Svelte.
// uPlot draws on a canvas and redraws only on setData, so thousands of points stay cheap.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cancelDraw } from './frame-budget.ts';

export interface LineSeries {
  label: string;
  color: string;
}

export interface LineChartOptions {
  series: LineSeries[];
  width: number;
  height: number;
  xLabel: string;
  /** Fixed y range; auto-scaled when absent. */
  range?: [number, number];
  digits: number;
}

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
    const format = (_: uPlot, value: number | null) => (value == null ? '-' : value.toFixed(options.digits));
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
          x: { time: false },
          y: range ? { range: (_u, min, max) => [Math.min(range[0], min ?? range[0]), Math.max(range[1], max ?? range[1])] } : { auto: true },
        },
        axes: [
          { label: options.xLabel, labelSize: 14, size: 32, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, font: '11px system-ui, sans-serif', labelFont: '11px system-ui, sans-serif' },
          { size: 50, stroke: '#6b7280', grid: { stroke: '#eef0f3' }, ticks: { stroke: '#e5e7eb' }, font: '11px system-ui, sans-serif' },
        ],
        series: [
          { label: options.xLabel, value: (_u, v) => (v == null ? '-' : String(v)) },
          ...options.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: true, points: { show: false }, value: format })),
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
