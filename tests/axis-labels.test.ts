// The value axis's tick labels: as many decimals as the ticks' spacing needs, never several ticks reading the same.

import { describe, expect, it } from 'vitest';
import { axisLabels } from '../src/app/viz/charts.ts';

describe('axisLabels', () => {
  it('writes whole, decimal and tiny tick spacings so that neighbouring ticks differ', () => {
    expect(axisLabels([0, 0.5, 1, 1.5])).toEqual(['0.0', '0.5', '1.0', '1.5']);
    expect(axisLabels([0, 0.02, 0.04])).toEqual(['0.00', '0.02', '0.04']);
    expect(axisLabels([0, 5, 10])).toEqual(['0', '5', '10']);
    expect(axisLabels([5.77, 5.7701, 5.7702])).toEqual(['5.7700', '5.7701', '5.7702']);
    // A KL of a few millionths (the first steps of a run): the default formatter read 0, 0, 0.
    expect(axisLabels([0, 0.000005, 0.00001])).toEqual(['0', '5e-6', '1e-5']);
    expect(axisLabels([0, 0.0000025, 0.000005])).toEqual(['0', '2.5e-6', '5e-6']);
    for (const ticks of [[0, 1e-7, 2e-7, 3e-7], [0.1, 0.2, 0.3], [100, 200, 300]]) expect(new Set(axisLabels(ticks)).size).toBe(ticks.length);
  });

  it('leaves a lone tick as written', () => {
    expect(axisLabels([0.25])).toEqual(['0.25']);
    expect(axisLabels([])).toEqual([]);
  });
});
