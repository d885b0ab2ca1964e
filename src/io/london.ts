// The London study's plots (`london --out DIR`, and the app's Studies panel): the map of B_z / B_London
// over the x-z plane of one body, and the distance of N r_e/R from its continuum value against N.
import type { LondonConvergenceSummary } from '../engine/london.ts';
import type { FieldMapGrid, LondonBody, LondonGeometry } from '../physics/london.ts';
import { heatMap, linePlot } from './svg.ts';

export function londonMapSvg(body: LondonBody, map: FieldMapGrid, ratios: Float64Array): string {
  const shape = body.geometry === 'sphere' ? 'sphere' : `cylinder, h = ${body.halfHeight} R`;
  return heatMap({
    title: `London field map: rotating ${shape}, N = ${body.n}, N r_e/R = ${body.continuumParameter.toPrecision(4)}`,
    xLabel: 'x / R',
    yLabel: 'z / R (rotation axis)',
    xRange: map.xRange,
    yRange: [map.zRange[0], map.zRange[1]],
    columns: map.size,
    rows: map.size,
    values: ratios,
    colourLabel: 'B_z / B_London',
  });
}

/** The convergence plot, with a vertical line at each N that has a map. */
export function londonConvergenceSvg(
  name: LondonGeometry,
  convergence: Pick<LondonConvergenceSummary, 'points' | 'fit'>,
  mapNs: readonly number[],
): string {
  const { points, fit } = convergence;
  const ns = points.map((p) => p.n);
  return linePlot({
    title: `${name}: N r_e/R at the London field, distance to the continuum value`,
    xLabel: 'N (electrons)',
    yLabel: '|continuum − N r_e/R|',
    logX: true,
    logY: true,
    series: [
      { label: 'discrete body (float64)', x: ns, y: points.map((p) => Math.abs(p.deviation)), points: true },
      {
        label: `fit ${fit.coefficient.toPrecision(3)} N^${fit.exponent.toFixed(2)}`,
        x: ns,
        y: ns.map((n) => fit.coefficient * n ** fit.exponent),
        dashed: true,
      },
    ],
    vLines: mapNs.map((n) => ({ value: n, label: `map N = ${n}` })),
    legend: 'bottom-left',
  });
}
