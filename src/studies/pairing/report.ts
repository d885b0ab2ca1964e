// The pairing study's report (`pairing --json`, `--out DIR`, the text, and the app's Studies panel):
// each a_m/a's ground states (src/physics/pairing.ts) and the two rings' temperatures under the JSON
// names the CLI prints, and the two plots of the numerical ground state against eq. 46.
import { linePlot } from '../../io/svg.ts';
import { kPairingBoxLength, kPairingStep } from '../../physics/coulomb1d.ts';
import { kCpuDevice } from '../../io/formats.ts';
import { InputError } from '../../physics/input-error.ts';
import {
  kEq46MinRatio,
  kPairingRings,
  pairingRatioProblem,
  type PairingPoint,
  type RingReading,
  type RingTemperature,
} from '../../physics/pairing.ts';
import { kFermiReadingLabels, kFermiReadings, type FermiReading } from '../../physics/paper.ts';
import { markdownNumber as f, markdownTable } from '../markdown.ts';
import {
  fieldPath,
  joinShards,
  listLack,
  objectLack,
  sameInShards,
  savedStudyReport,
  shardJson,
  shardPointsLack,
  stoppedLine,
  studyReportHeader,
  sweepPlotTitle,
  sweepValuesLack,
  type FieldKind,
  type Shard,
  type StudyReport,
  type SweepStop,
} from '../study.ts';

/** What the plots draw of a point and a ring: a run's, or one read back from its JSON. */
export type PlottedPoint = Pick<
  PairingPoint,
  'ratio' | 'energyNumerical' | 'energyEq46' | 'energySmallThickness'
>;
export type PlottedRing = Pick<RingTemperature, 'name' | 'ratio'>;

export function pairingPointJson(point: PairingPoint) {
  const c = point.convergence;
  return {
    ratio: point.ratio,
    energy_numerical: point.energyNumerical,
    energy_eq46: point.energyEq46,
    relative_difference: point.relativeDifference,
    energy_ratio: point.energyNumerical / point.energyEq46,
    // Eq. 46 assumes a << a_m: below a_m/a = kEq46MinRatio the two columns above compare nothing.
    eq46_applies: point.ratio >= kEq46MinRatio,
    energy_exact: point.energyExact,
    energy_small_a_limit: point.energySmallThickness,
    cells: c.grid.cells,
    grid_energies: c.energies,
    grid_error_ratio: c.errorRatio,
    estimated_relative_error: c.estimatedRelativeError,
  };
}

export function pairingRingJson(ring: RingTemperature) {
  return {
    name: ring.name,
    fermi_energy_ev: ring.fermiEnergyEv,
    fermi_energy_source: 'free-electron E_F, Ashcroft & Mermin table 2.1',
    thickness_m: ring.thicknessMetres,
    thickness_source: ring.thicknessSource,
    a_m_m: ring.pairingRadiusMetres,
    ratio: ring.ratio,
    temperature_eq46_mk: ring.temperatureEq46 * 1e3,
    temperature_numerical_mk: ring.temperatureNumerical * 1e3,
    radius_m: ring.radiusMetres,
    radius_source: ring.radiusSource,
    circumference_m: 2 * Math.PI * ring.radiusMetres,
    readings: ring.readings.map(ringReadingJson),
  };
}

/** One reading of eq. 43 for one ring: the line's temperatures, then the pair on the ring (eq. 41). */
export function ringReadingJson(reading: RingReading) {
  const pair = reading.onRing;
  const am = reading.pairingRadiusMetres;
  const millikelvin = reading.energyUnitKelvin * 1e3;
  return {
    reading: reading.reading,
    z_f_definition: kFermiReadingLabels[reading.reading],
    z_f: reading.fermiParameter,
    a_m_m: am,
    ratio: reading.ratio,
    temperature_eq46_mk: reading.temperatureEq46 * 1e3,
    temperature_exact_mk: reading.temperatureExact * 1e3,
    on_ring: {
      radius_over_a_m: pair.radiusOverPairing,
      line_picture_fails: pair.linePictureFails,
      energy_periodic: pair.periodic.energy,
      energy_antiperiodic: pair.antiperiodic.energy,
      energy_line: pair.line.energy,
      temperature_mk: Math.abs(pair.periodic.energy) * millikelvin,
      temperature_line_mk: Math.abs(pair.line.energy) * millikelvin,
      rms_separation_m: pair.periodic.rmsSeparation * am,
      rms_separation_line_m: pair.line.rmsSeparation * am,
      rms_separation_uniform_m: pair.uniformRmsSeparation * am,
      j_squared_over_j_f_squared: pair.relativeMomentumRatio,
      flux_period_phi0: pair.fluxPeriod,
      radius_sweep: reading.radiusSweep.map((point) => ({
        radius_over_a_m: point.radiusOverPairing,
        energy_periodic: point.energy,
      })),
    },
  };
}

/** The study's table: the equation, its units, the grid, the points and the rings. */
export function pairingTable(points: readonly PairingPoint[], rings: readonly RingTemperature[]) {
  const summaries = points.map(pairingPointJson);
  return {
    equation: "-psi'' - 2 psi / (|x| + a/a_m) = E psi: eq. 45 with x in units of a_m, even ground state",
    units: {
      energy: '1/a_m^2 Hartree (the 3D ground state of eq. 44 is -1); a_m = 2/Z_F bohr (eq. 43-44)',
      ratio: 'a_m / a',
    },
    grid: {
      method:
        'finite volumes on |x| + a = a e^s with s uniform (second order); lowest eigenvalue by Sturm count',
      steps: [kPairingStep, kPairingStep / 2, kPairingStep / 4],
      box_length_a_m: kPairingBoxLength,
      boundary: "psi'(0) = 0 (even state), psi = 0 at x = L",
      reported: 'energy_numerical is the finest grid; grid_error_ratio -> 4 shows second order',
      max_estimated_relative_error: Math.max(...summaries.map((p) => p.estimated_relative_error)),
    },
    points: summaries,
    rings: rings.map(pairingRingJson),
    ring_units: {
      energy: '1/a_m^2 Hartree of the reading (energy_line is eq. 45 on the line at the same a/a_m)',
      on_ring:
        "-psi'' - 2 (a_m/R) V_phi^a(x a_m/R) psi = E psi on the circumference, V_phi^a = (1 + 3 cos phi) / " +
        "(4 (2|sin(phi/2)| + a/R)): eq. 45's r -> r + a on the chord; periodic psi for even centre-of-mass L, " +
        'antiperiodic for odd L; the pair carries 2e round the ring',
    },
  };
}

/** The real rings at the study's a_m/a: eq. 43's second form, Z_F = E_F/mc^2 (ringTemperature). */
function ringLines(rings: readonly PlottedRing[]) {
  return rings.map((ring) => ({
    value: ring.ratio,
    label: `${ring.name} ring, a_m/a = ${ring.ratio.toFixed(0)} (Z_F = E_F/mc²)`,
  }));
}

/** Both energies against a_m/a, log-log, with the rings marked. */
export function pairingEnergySvg(
  points: readonly PlottedPoint[],
  rings: readonly PlottedRing[],
  stop: SweepStop | null = null,
): string {
  const x = points.map((p) => p.ratio);
  return linePlot({
    title: sweepPlotTitle('Pair binding on a ring of thickness a (eq. 45): numerical vs eq. 46', stop),
    xLabel: 'a_m / a',
    yLabel: '−E  (1/a_m² Hartree)',
    logX: true,
    logY: true,
    series: [
      { label: 'eq. 46: [2 ln(a_m/a)]²', x, y: points.map((p) => -p.energyEq46), dashed: true },
      { label: 'finite differences (eq. 45)', x, y: points.map((p) => -p.energyNumerical), points: true },
      {
        label: 'small-a limit of the exact condition',
        x,
        y: points.map((p) => (p.energySmallThickness === null ? NaN : -p.energySmallThickness)),
        dashed: true,
      },
    ],
    vLines: ringLines(rings),
    legend: 'bottom-right',
  });
}

/** E_numerical / E_eq.46 against a_m/a (log x). */
export function pairingRatioSvg(
  points: readonly PlottedPoint[],
  rings: readonly PlottedRing[],
  stop: SweepStop | null = null,
): string {
  return linePlot({
    title: sweepPlotTitle('Eq. 46 approaches the true ground state only logarithmically', stop),
    xLabel: 'a_m / a',
    yLabel: 'E_numerical / E_eq.46',
    logX: true,
    series: [
      {
        label: 'E_numerical / E_eq.46',
        x: points.map((p) => p.ratio),
        y: points.map((p) => p.energyNumerical / p.energyEq46),
        points: true,
      },
    ],
    hLines: [{ value: 1, label: 'eq. 46 exact' }],
    vLines: ringLines(rings),
    yRange: [0, 1.05],
    legend: 'bottom-right',
  });
}

/** The text report: the table of ground states, then the rings. */
export function pairingText(
  points: readonly ReturnType<typeof pairingPointJson>[],
  rings: readonly ReturnType<typeof pairingRingJson>[],
  files: readonly string[],
  stop: SweepStop | null = null,
): string {
  const lines = [
    'Pairing on a ring (eq. 45): ground-state energy in units of 1/a_m^2 Hartree',
    ...(stop ? [stoppedLine(stop)] : []),
    '',
    '     a_m/a    numerical (FD)        eq. 46   numerical/eq.46   exact (Whittaker)   grid ratio  est. error',
  ];
  for (const p of points) {
    lines.push(
      [
        p.ratio.toExponential(3).padStart(10),
        p.energy_numerical.toPrecision(9).padStart(17),
        p.energy_eq46.toPrecision(7).padStart(13),
        `${p.energy_ratio.toFixed(4)}${p.ratio < kEq46MinRatio ? '†' : ''}`.padStart(17),
        (p.energy_exact === null ? '-' : p.energy_exact.toPrecision(9)).padStart(19),
        p.grid_error_ratio.toFixed(3).padStart(12),
        p.estimated_relative_error.toExponential(1).padStart(11),
      ].join(' '),
    );
  }
  if (points.some((p) => p.ratio < kEq46MinRatio)) {
    lines.push(
      `† a_m/a < ${kEq46MinRatio}: eq. 46 assumes a << a_m (its leading logarithm of ln(a_m/a)), so there it is no ` +
        'estimate of the ground state; the numerical and exact energies still are',
    );
  }
  // The rings come after the ratios: a stopped run has none.
  lines.push(
    '',
    stop
      ? 'Pairing temperatures |E|/k_B: none, the run stopped before them'
      : 'Pairing temperatures |E|/k_B:',
  );
  for (const r of rings) {
    lines.push(
      `  ${r.name}: E_F = ${r.fermi_energy_ev.toFixed(2)} eV, a = ${(r.thickness_m * 1e9).toFixed(0)} nm ` +
        `(${r.thickness_source}), a_m = ${(r.a_m_m * 1e6).toFixed(3)} um, a_m/a = ${r.ratio.toFixed(1)}: ` +
        `eq. 46 ${r.temperature_eq46_mk.toFixed(3)} mK, numerical ${r.temperature_numerical_mk.toFixed(3)} mK`,
    );
    for (const reading of r.readings) {
      const ring = reading.on_ring;
      lines.push(
        `    ${reading.z_f_definition}: Z_F = ${reading.z_f.toExponential(4)}, a_m = ` +
          `${(reading.a_m_m * 1e6).toFixed(3)} um, a_m/a = ${reading.ratio.toFixed(1)}: eq. 46 ` +
          `${reading.temperature_eq46_mk.toFixed(3)} mK, eq. 45 exact ${reading.temperature_exact_mk.toFixed(3)} mK`,
        `      on the ring (R = ${(r.radius_m * 1e6).toFixed(3)} um, R/a_m = ${ring.radius_over_a_m.toFixed(4)}): ` +
          `E = ${ring.energy_periodic.toPrecision(6)} (line ${ring.energy_line.toPrecision(6)}, antiperiodic ` +
          `${ring.energy_antiperiodic.toPrecision(6)}) 1/a_m^2 Hartree, |E|/k_B = ${ring.temperature_mk.toFixed(3)} mK; ` +
          `rms separation ${(ring.rms_separation_m * 1e6).toFixed(3)} um (line ${(ring.rms_separation_line_m * 1e6).toFixed(3)}, ` +
          `spread evenly ${(ring.rms_separation_uniform_m * 1e6).toFixed(3)}); <J^2>/J_F^2 = ` +
          `${ring.j_squared_over_j_f_squared.toExponential(2)}; flux period ${ring.flux_period_phi0} Phi_0` +
          (ring.line_picture_fails ? '; a_m > circumference: the line picture fails' : ''),
      );
    }
  }
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}

/** The names of the files of `--out DIR`, the same for every run and shard. */
const kPairingFiles = { energy: 'pairing-energy.svg', ratio: 'pairing-ratio.svg' } as const;

/** The names pairingFiles gives, in its order. */
export const kPairingFileNames: readonly string[] = Object.values(kPairingFiles);

/** The files of `--out DIR`, name and text; the plots of a stopped sweep say so in their titles. */
export function pairingFiles(
  points: readonly PlottedPoint[],
  rings: readonly PlottedRing[],
  stop: SweepStop | null = null,
): [string, string][] {
  return [
    [kPairingFiles.energy, pairingEnergySvg(points, rings, stop)],
    [kPairingFiles.ratio, pairingRatioSvg(points, rings, stop)],
  ];
}

/**
 * A run's JSON as `pairing --json` prints it; a shard's also lists the run's ratios and says which
 * shard, a stopped one's how far it got ("stopped").
 */
export function pairingJson(run: {
  readonly points: readonly PairingPoint[];
  readonly rings: readonly RingTemperature[];
  readonly ratios: readonly number[];
  readonly shard: Shard | null;
  readonly stop?: SweepStop | null;
}) {
  return {
    // A merge's version is its shards' (mergePairing), null where they predate the key.
    ...studyReportHeader({ command: 'pairing', stop: run.stop }),
    device: kCpuDevice,
    ...(run.shard ? { ratios: run.ratios, shard: shardJson(run.shard) } : {}),
    ...pairingTable(run.points, run.rings),
    files: [] as string[],
  } satisfies StudyReport;
}

export type PairingJson = ReturnType<typeof pairingJson>;

/**
 * The shards of one `pairing --shard K/N` run joined into the JSON one run prints: the points back in
 * the order of a_m/a, the largest estimated error over all of them; the rings (every shard's) once.
 */
export function mergePairing(shards: readonly PairingJson[]): {
  readonly json: PairingJson;
  readonly plotted: { readonly points: PlottedPoint[]; readonly rings: PlottedRing[] };
} {
  const first = shards[0];
  sameInShards(shards, (json) => json.ratios, 'a_m/a');
  if (!first.ratios) throw new InputError('merge: the pairing shards list no a_m/a ("ratios")', 'shards');
  const points = joinShards(
    shards.map((json) => {
      if (!json.shard) throw new InputError('merge: a pairing JSON without "shard" is not a shard', 'shards');
      return { shard: json.shard, points: json.points };
    }),
  );
  const json: PairingJson = {
    // One program's: merge refuses shards whose "version" differs.
    ...studyReportHeader({ command: first.command, version: first.version ?? null }),
    device: first.device,
    equation: first.equation,
    units: first.units,
    grid: {
      ...first.grid,
      max_estimated_relative_error: Math.max(...points.map((p) => p.estimated_relative_error)),
    },
    points,
    rings: first.rings,
    ring_units: first.ring_units,
    files: [],
  };
  return { json, plotted: plottedFromJson(json) };
}

// What merge, pairingText, pairingMarkdown, the plots and the app's card read of a point, a ring, a
// reading of eq. 43 and its pair on the ring: a file lacking one would stop them halfway with a
// TypeError, or show a card with holes.
const kPointFields: Record<string, FieldKind> = {
  ratio: 'number',
  energy_numerical: 'number',
  energy_eq46: 'number',
  energy_ratio: 'number',
  energy_exact: 'number?',
  energy_small_a_limit: 'number?',
  grid_error_ratio: 'number',
  estimated_relative_error: 'number',
};
const kRingFields: Record<string, FieldKind> = {
  name: 'string',
  fermi_energy_ev: 'number',
  thickness_m: 'number',
  thickness_source: 'string',
  a_m_m: 'number',
  ratio: 'number',
  temperature_eq46_mk: 'number',
  temperature_numerical_mk: 'number',
  radius_m: 'number',
  circumference_m: 'number',
};
const kReadingFields: Record<string, FieldKind> = {
  reading: 'string',
  z_f_definition: 'string',
  z_f: 'number',
  a_m_m: 'number',
  ratio: 'number',
  temperature_eq46_mk: 'number',
  temperature_exact_mk: 'number',
};
const kOnRingFields: Record<string, FieldKind> = {
  radius_over_a_m: 'number',
  line_picture_fails: 'boolean',
  energy_periodic: 'number',
  energy_antiperiodic: 'number',
  energy_line: 'number',
  temperature_mk: 'number',
  temperature_line_mk: 'number',
  rms_separation_m: 'number',
  rms_separation_line_m: 'number',
  rms_separation_uniform_m: 'number',
  j_squared_over_j_f_squared: 'number',
  flux_period_phi0: 'number?',
};
const kGridFields: Record<string, FieldKind> = { max_estimated_relative_error: 'number' };

/** What a reading of eq. 43 lacks, its pair on the ring with it; null if nothing. */
function readingLack(reading: unknown, path: string): string | null {
  const lack =
    objectLack(reading, path, kReadingFields) ??
    objectLack((reading as Record<string, unknown>).on_ring, fieldPath(path, 'on_ring'), kOnRingFields);
  if (lack !== null) return lack;
  const name = (reading as Record<string, unknown>).reading;
  return (kFermiReadings as readonly unknown[]).includes(name)
    ? null
    : `${fieldPath(path, 'reading')} is ${JSON.stringify(name)}, not one of ${kFermiReadings.join(', ')}`;
}

/** What a ring lacks, its readings with it; null if nothing. The card has a row for each of kPairingRings. */
function ringLack(ring: unknown, path: string): string | null {
  const lack =
    objectLack(ring, path, kRingFields) ??
    listLack(ring as Record<string, unknown>, path, 'readings', readingLack);
  if (lack !== null) return lack;
  const names = kPairingRings.map((known) => known.name);
  const name = (ring as Record<string, unknown>).name as string;
  return names.includes(name)
    ? null
    : `${fieldPath(path, 'name')} is ${JSON.stringify(name)}, not one of ${names.join(', ')}`;
}

/**
 * What a pairing run's JSON lacks of what is read from it (its points, grid and rings, each field of
 * its kind; the points at a_m/a that --ratios takes, ascending as it sorts them), the first such
 * field in words; null if nothing.
 */
function pairingLack(json: Record<string, unknown>): string | null {
  // A run stopped before its rings (runPairing computes them after every point) has none.
  const ringsToCome = json.stopped != null && Array.isArray(json.rings) && json.rings.length === 0;
  const ratios = (points: unknown) => (points as { ratio: number }[]).map((point) => point.ratio);
  return (
    listLack(json, '', 'points', (point, path) => objectLack(point, path, kPointFields)) ??
    sweepValuesLack(ratios(json.points), (k) => `points[${k}].ratio`, pairingRatioProblem, {
      ascending: true,
    }) ??
    objectLack(json.grid, 'grid', kGridFields) ??
    (ringsToCome ? null : listLack(json, '', 'rings', ringLack))
  );
}

/**
 * One shard of `pairing --shard K/N --json` read for merge (`name`, its file): the run's a_m/a and
 * what pairingLack reads, each point at the a_m/a the run's list gives it. A file that lacks a field
 * merge, the text, the table or the plots read is refused in one line that names it (field 'shards');
 * its "shard" is merge's, already read as {index, count}.
 */
export function pairingShardFromJson(json: Record<string, unknown>, name: string): PairingJson {
  const lack =
    listLack(json, '', 'ratios', () => null) ??
    sweepValuesLack(json.ratios as unknown[], (k) => `ratios[${k}]`, pairingRatioProblem, {
      ascending: true,
    }) ??
    pairingLack(json) ??
    shardPointsLack(
      json.points as Record<string, unknown>[],
      'points',
      'ratio',
      json.ratios as number[],
      0,
      json.shard as Shard,
    );
  if (lack !== null) throw new InputError(`${name}: not a pairing shard (${lack})`, 'shards');
  return json as unknown as PairingJson;
}

/** What the plots draw, from a run's JSON (pairingEnergySvg, pairingRatioSvg). */
function plottedFromJson(json: Pick<PairingJson, 'points' | 'rings'>): {
  readonly points: PlottedPoint[];
  readonly rings: PlottedRing[];
} {
  return {
    points: json.points.map((p) => ({
      ratio: p.ratio,
      energyNumerical: p.energy_numerical,
      energyEq46: p.energy_eq46,
      energySmallThickness: p.energy_small_a_limit,
    })),
    rings: json.rings.map((ring) => ({ name: ring.name, ratio: ring.ratio })),
  };
}

/**
 * A whole run's `pairing --json` read back (the app's Files › load): the JSON, checked field by
 * field as pairingShardFromJson checks a shard, and what its plots draw. A shard, or a file that is
 * not what the command writes, is refused in one line that names the field (field 'result').
 */
export function pairingFromJson(
  json: Record<string, unknown>,
  name: string,
): { readonly json: PairingJson; readonly plotted: ReturnType<typeof plottedFromJson> } {
  savedStudyReport(json, name, 'pairing');
  const lack = pairingLack(json);
  if (lack !== null)
    throw new InputError(`${name}: not a pairing run as pairing --json writes it (${lack})`, 'result');
  // What the card saves again is the run's JSON, not the CLI's list of its files or its table.
  const saved = { ...json, markdown: undefined, files: [] } as unknown as PairingJson;
  return { json: saved, plotted: plottedFromJson(saved) };
}

/** The short names of eq. 43's readings of Z_F in the table's cells (kFermiReadingLabels in full). */
const kFermiReadingCells: Record<FermiReading, string> = {
  'fermi-energy': 'E_F/mc²',
  'fermi-momentum': '2E_F/mc²',
};

/** A ring's source says ASSUMED where the paper gives no such number (kPairingRings), then why. */
const kAssumed = 'ASSUMED: ';
const assumed = (source: string) => source.startsWith(kAssumed);
const why = (source: string) => source.slice(kAssumed.length);

/**
 * The README's table: per ring and per reading of eq. 43's Z_F, the pairing temperature by eq. 46, by
 * eq. 45's exact ground state on the line (the Whittaker root) and by the pair solved on the ring of
 * radius R itself, then what the columns hold and why the a or R marked assumed is.
 */
export function pairingMarkdown(rings: readonly ReturnType<typeof pairingRingJson>[]): string {
  const mark = (value: string, source: string) => (assumed(source) ? `${value} (assumed)` : value);
  const table = markdownTable(
    [
      'ring',
      'E_F (eV)',
      'a (nm)',
      'R (µm)',
      'Z_F (eq. 43)',
      'a_m (µm)',
      'T eq. 46 (mK)',
      'T eq. 45, line (mK)',
      'T on the ring (mK)',
    ],
    rings.flatMap((r) =>
      r.readings.map((reading) => [
        r.name,
        f(r.fermi_energy_ev, 3),
        mark(f(r.thickness_m * 1e9, 3), r.thickness_source),
        mark(f(r.radius_m * 1e6, 3), r.radius_source),
        kFermiReadingCells[reading.reading],
        f(reading.a_m_m * 1e6, 4),
        f(reading.temperature_eq46_mk, 3),
        f(reading.temperature_exact_mk, 3),
        f(reading.on_ring.temperature_mk, 3),
      ]),
    ),
  );
  const assumptions = rings.flatMap((r) => [
    ...(assumed(r.thickness_source) ? [` ${r.name}'s a assumed: ${why(r.thickness_source)}.`] : []),
    ...(assumed(r.radius_source) ? [` ${r.name}'s R assumed: ${why(r.radius_source)}.`] : []),
  ]);
  return [
    table,
    '',
    "Z_F: eq. 43's second form, E_F/mc², and its first, (J_F²/mR²)/mc² = 2E_F/mc² (J_F = mRv_F by " +
      'eq. 37-40), which halves a_m = 2a₀/Z_F (eq. 44). T eq. 45, line: ' +
      "|E|/k_B of eq. 45's exact ground state (eq. 46 is its leading logarithm); on the ring: of the pair " +
      'solved on the ring of radius R itself (periodic).' +
      assumptions.join(''),
  ].join('\n');
}
