// The paper study's report: the rows as `paper --json` prints them with sec. II.D's flux results, the
// text table, and the flux plots of `paper --out DIR`.
import { kCpuDevice } from '../../io/formats.ts';
import { linePlot } from '../../io/svg.ts';
import { persistentCurrent, type RingCondition } from '../../physics/flux.ts';
import type { PaperRow } from '../../physics/paper.ts';
import type { RingTemperature } from '../../physics/pairing.ts';
import { kConditionEquations, kFluxLevels, ringLevelAt, type FluxStudy } from '../../physics/paper-flux.ts';
import { pairFluxEnergy } from '../../physics/ring-pair.ts';
import { markdownNumber, textTable } from '../markdown.ts';
import { studyReportHeader, type StudyReport } from '../study.ts';

/** The flux study under the JSON names `paper --json` prints (key "flux"). */
export function fluxJson(flux: FluxStudy) {
  return {
    units: {
      flux: 'Phi_0 = h/|e| (eq. 15); every period is found from sampled energies, not assumed',
      current:
        '(hbar^2 / 2 m R^2) / Phi_0 for fermi_seas (I = -dE/dPhi, eq. 9); amperes where the key ends in _a',
      splitting: 'hbar^2 / (4 m R^2), the centre-of-mass unit of the pair (mass 2m, charge 2e)',
    },
    spectra: flux.spectra.map((s) => ({
      condition: s.condition,
      equation: kConditionEquations[s.condition],
      levels: kFluxLevels,
      period_phi0: s.period,
    })),
    fermi_seas: flux.fermiSeas.map((sea) => ({
      condition: sea.condition,
      n: sea.n,
      period_phi0: sea.period,
      amplitude: sea.amplitude,
      amplitude_closed_form: sea.amplitudeClosedForm,
    })),
    metal_rings: flux.metalRings.map((ring) => ({
      name: ring.name,
      radius_m: ring.radiusMetres,
      n: ring.n,
      amplitude_scalar_a: ring.amplitudeScalar,
      amplitude_spinor_a: ring.amplitudeSpinor,
      e_vf_over_2_pi_r_a: ring.fermiCurrent,
      larmor_at_half_flux_quantum_a: ring.larmorAtHalfQuantum,
      measured_a: ring.measured,
      printed_a: ring.printed,
    })),
    pairs: flux.pairs.map((pair) => ({
      name: pair.name,
      reading: pair.reading,
      radius_over_a_m: pair.radiusOverPairing,
      period_phi0: pair.period,
      energy_periodic: pair.periodicEnergy,
      energy_antiperiodic: pair.antiperiodicEnergy,
      splitting: pair.splitting,
    })),
  };
}

export function paperJson(rows: readonly PaperRow[], flux: FluxStudy) {
  return {
    ...studyReportHeader({ command: 'paper' }),
    device: kCpuDevice,
    rows,
    flux: fluxJson(flux),
    files: [] as string[],
  } satisfies StudyReport;
}

/** A cell of the table: a number to six digits, as the other studies' text tables write theirs. */
function formatCell(value: number | string): string {
  return typeof value === 'string' ? value : markdownNumber(value, 6);
}

export function paperTable(rows: PaperRow[], files: readonly string[] = []): string {
  const table = [
    ['eq.', 'quantity', 'paper', 'computed', 'unit'],
    ...rows.map((r) => [r.equation, r.quantity, formatCell(r.paper), formatCell(r.computed), r.unit]),
  ];
  const lines = textTable(table);
  const notes = rows.filter((r) => r.note).map((r) => `  eq. ${r.equation}, ${r.quantity}: ${r.note}`);
  const written = files.length ? ['', 'wrote:', ...files.map((f) => `  ${f}`)] : [];
  return [...lines, '', 'Notes:', ...notes, ...written].join('\n') + '\n';
}

/** Flux samples on [0, 2) Phi_0: fine enough to draw the crossings' corners. */
const kFluxSamples = Array.from({ length: 801 }, (_, j) => (2 * j) / 800);

/** The lowest one-electron levels against flux, scalar (eq. 24) and spinor (eq. 26). */
export function fluxLevelsSvg(): string {
  const series = (['scalar', 'spinor'] as const).flatMap((condition) =>
    Array.from({ length: kFluxLevels }, (_, j) => ({
      label: j === 0 ? `${condition} condition (eq. ${kConditionEquations[condition]})` : '',
      x: kFluxSamples,
      y: kFluxSamples.map((n) => ringLevelAt(j, n, condition)),
      colour: condition === 'scalar' ? '#1f77b4' : '#d62728',
      dashed: condition === 'spinor',
    })),
  );
  return linePlot({
    title: 'One electron on a ring: levels against flux (sec. II.D)',
    xLabel: 'Φ / Φ₀',
    yLabel: 'E  (ħ²/2mR²)',
    series,
    legend: 'top-right',
  });
}

/** The sawtooth I = -dE/dPhi (eq. 9) of N = 9 and 10 spinless electrons, over its closed-form peak. */
export function persistentCurrentSvg(): string {
  const cases: [number, RingCondition][] = [
    [9, 'scalar'],
    [10, 'scalar'],
    [9, 'spinor'],
  ];
  return linePlot({
    title: 'Persistent current of a Fermi sea on a ring (eq. 9)',
    xLabel: 'Φ / Φ₀',
    yLabel: 'I / (N ħ²/(2mR² Φ₀))',
    series: cases.map(([n, condition]) => ({
      label: `N = ${n}, ${condition}`,
      x: kFluxSamples,
      y: kFluxSamples.map((f) => persistentCurrent(n, f, condition) / n),
      dashed: condition === 'spinor',
    })),
    hLines: [{ value: 0 }],
    legend: 'bottom-right',
  });
}

/** The pair's ground-state energy against flux, each ring in its centre-of-mass unit hbar^2/(4 m R^2). */
export function pairFluxSvg(flux: FluxStudy): string {
  const shown = flux.pairs.filter((pair) => pair.reading !== 'fermi-momentum');
  return linePlot({
    title: 'The bound pair (charge 2e) threaded by flux',
    xLabel: 'Φ / Φ₀',
    yLabel: '(E₀ − E_min) / (ħ²/4mR²)',
    series: shown.map((pair) => {
      const r = pair.radiusOverPairing;
      const energies = kFluxSamples.map(
        (n) => pairFluxEnergy(n, r, pair.periodicEnergy, pair.antiperiodicEnergy) * 4 * r * r,
      );
      const least = Math.min(...energies);
      return {
        label: `${pair.name}: period ${pair.period ?? '?'} Φ₀`,
        x: kFluxSamples,
        y: energies.map((e) => e - least),
      };
    }),
    legend: 'top-right',
  });
}

/**
 * The pair's relative energy on rings of radius R at each real ring's a/a_m (eq. 41, periodic state),
 * against eq. 45's line: the ring reaches the line only once R >> a_m; the real rings are marked.
 */
export function pairRingSvg(rings: readonly RingTemperature[]): string {
  const readings = rings.map((ring) => ({ ring, reading: ring.readings[0] }));
  return linePlot({
    title: 'The pair on a ring of radius R (eq. 41) against the line (eq. 45)',
    xLabel: 'R / a_m',
    yLabel: '−E  (1/a_m² Hartree)',
    logX: true,
    series: readings.flatMap(({ ring, reading }, k) => {
      const x = reading.radiusSweep.map((p) => p.radiusOverPairing);
      const colour = k === 0 ? '#1f77b4' : '#d62728';
      return [
        {
          label: `${ring.name}: a/a_m = ${(1 / reading.ratio).toPrecision(3)} (Z_F = E_F/mc²), on the ring`,
          x,
          y: reading.radiusSweep.map((p) => -p.energy),
          points: true,
          colour,
        },
        {
          label: `${ring.name}: eq. 45 on the line`,
          x,
          y: x.map(() => -reading.onRing.line.energy),
          dashed: true,
          colour,
        },
      ];
    }),
    markers: readings.map(({ ring, reading }) => ({
      x: reading.onRing.radiusOverPairing,
      y: -reading.onRing.periodic.energy,
      label: `${ring.name} ring`,
    })),
    vLines: [{ value: 1 / (2 * Math.PI), label: 'circumference = a_m' }],
    legend: 'top-right',
  });
}

/** The names of the files of `paper --out DIR`, known before the run. */
const kPaperFiles = {
  fluxLevels: 'paper-flux-levels.svg',
  persistentCurrent: 'paper-persistent-current.svg',
  pairFlux: 'paper-pair-flux.svg',
  pairRing: 'paper-pair-ring.svg',
} as const;

/** The names paperFiles gives, in its order. */
export const kPaperFileNames: readonly string[] = Object.values(kPaperFiles);

/** The files of `paper --out DIR`, name and text. */
export function paperFiles(flux: FluxStudy, rings: readonly RingTemperature[]): [string, string][] {
  return [
    [kPaperFiles.fluxLevels, fluxLevelsSvg()],
    [kPaperFiles.persistentCurrent, persistentCurrentSvg()],
    [kPaperFiles.pairFlux, pairFluxSvg(flux)],
    [kPaperFiles.pairRing, pairRingSvg(rings)],
  ];
}
