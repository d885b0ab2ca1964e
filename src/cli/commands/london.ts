// `london`: the London moment (eq. 27-30) as a field map. A rigidly rotating sphere (or cylinder) of N
// surface charges, sized so that its continuous counterpart has the London field at its centre
// (N r_e / R = 3 for the sphere, eq. 30), has its Biot-Savart field summed on the GPU over a grid of
// interior points; the map of B_z / B_London shows how uniform the discrete body's field is, and the
// float64 sum at the centre gives N r_e / R against N (-> 3 like N^-2). The computation is
// src/engine/london.ts and the plots src/io/london.ts, which the app's Studies panel runs too; this file
// parses the options and writes the JSON, the text and the files.
import { releaseDevice, type GpuContext } from '../../gpu/device.ts';
import {
  londonConvergenceSummary,
  londonFieldMap,
  type LondonConvergenceSummary,
  type LondonStudy,
} from '../../engine/london.ts';
import { InputError } from '../../physics/input-error.ts';
import {
  fieldMapGrid,
  isLondonGeometry,
  kLondonConvergenceNs,
  kLondonGeometries,
  kMapExtent,
  londonBody,
  type LondonGeometry,
} from '../../physics/london.ts';
import { kCpuDevice, type DeviceSummary } from '../../io/formats.ts';
import { londonConvergenceSvg, londonMapSvg } from '../../io/london.ts';
import { openGpu } from '../device.ts';
import { kCommonOptions, parseCommandArgs, parseNumber, positive, positiveInteger } from '../options.ts';
import { prepareOutputDirectory, writeIntoDirectory } from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { CommandOutput } from './summary.ts';

export const kLondonHelp = `Usage: darwin-breit london [--geometry sphere|cylinder] [--n N ...] [--grid G] [--out DIR] [--json]

The London moment (eq. 27-30) of a rigidly rotating body of N surface charges +|e| (the lattice charge
the superconducting electrons leave behind, sec. III.A), sized so that its continuous counterpart has
the London field B = 2 m Omega/|e| at its centre: N r_e/R = 3 for the sphere (eq. 30), 2 sqrt(1 + h^2)
for the cylinder. The Biot-Savart field is summed on the GPU (float32) at every point of a G x G grid
in the x-z plane inside 0.9 R, checked against the float64 magneticField at a few points ("check": the
largest normwise relative error), and reported as its uniformity max |B - B_centre|/|B_centre| over the
grid and over its inner half (inside 0.45 R). N r_e/R at which the centre field equals the London field
is also listed for N = ${kLondonConvergenceNs.join(', ')} (float64), with the power law of its deviation.

  --geometry G      sphere (Fibonacci points) | cylinder (lateral surface rho = R, |z| <= h R)  [sphere]
  --n N             electrons; repeat the flag for several bodies                     [250, 1000, 4000]
  --grid G          field points per side of the map (3..1001)                        [61]
  --half-height H   cylinder only: half-length h in units of R                        [1]
  --device gpu|cpu  the WebGPU Biot-Savart kernel, or the float64 CPU sum             [gpu]
  --out DIR         write the maps (london-<geometry>-n<N>.svg) and the convergence plot
                    (london-<geometry>-convergence.svg) into DIR
  --json            {"command", "device", "geometry", "grid", "studies": [{"n", "n_re_over_r",
                    "centre_field_ratio", "uniformity", "uniformity_inner", "check", "field_ms"
                    (upload, pipeline and readback included), ...}], "convergence": {"points",
                    "fit": {"exponent", "coefficient"}, "law"}, "files": [...]}
`;

const kOptions = {
  ...kCommonOptions,
  geometry: { type: 'string', default: 'sphere' },
  n: { type: 'string', multiple: true },
  grid: { type: 'string', default: '61' },
  'half-height': { type: 'string' },
  device: { type: 'string', default: 'gpu' },
  out: { type: 'string' },
} as const;

const kDefaultNs = [250, 1000, 4000];
/** Sources on the GPU: 32 bytes each, well inside a 128 MiB storage binding. */
const kMaxElectrons = 1_000_000;
const kMaxGrid = 1001;

type LondonValues = ReturnType<typeof parseCommandArgs<typeof kOptions>>['values'];

function checkOptions(values: LondonValues) {
  if (!isLondonGeometry(values.geometry)) {
    throw new InputError(
      `--geometry must be one of ${kLondonGeometries.join('|')}, got '${values.geometry}'`,
    );
  }
  const geometryName: LondonGeometry = values.geometry;
  const ns = (values.n ?? kDefaultNs.map(String)).map((text) =>
    parseNumber(
      'n',
      text,
      (x) => positiveInteger(x) ?? (x > kMaxElectrons ? `must be at most ${kMaxElectrons}` : null),
    ),
  );
  const grid = parseNumber('grid', values.grid, (x) =>
    Number.isInteger(x) && x >= 3 && x <= kMaxGrid ? null : `must be an integer in 3..${kMaxGrid}`,
  );
  if (values['half-height'] !== undefined && geometryName !== 'cylinder') {
    throw new InputError('--half-height applies only to --geometry cylinder');
  }
  const halfHeight = parseNumber('half-height', values['half-height'] ?? '1', positive);
  if (values.device !== 'gpu' && values.device !== 'cpu') {
    throw new InputError(`--device must be gpu or cpu, got '${values.device}'`);
  }
  return { geometryName, ns, grid, halfHeight, device: values.device };
}

export async function londonCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kLondonHelp };
  const { geometryName, ns, grid, halfHeight, device: deviceKind } = checkOptions(values);
  if (values.out !== undefined) prepareOutputDirectory(values.out);

  let context: GpuContext | null = null;
  let device: DeviceSummary = kCpuDevice;
  if (deviceKind === 'gpu') ({ context, device } = await openGpu());
  const studies: LondonStudy[] = [];
  const files: string[] = [];
  try {
    for (const n of ns) {
      const body = londonBody(geometryName, n, halfHeight);
      const map = fieldMapGrid(body, grid);
      progress.update(`london: ${geometryName}, N = ${n}, ${map.points.length / 3} field points`);
      const result = await londonFieldMap(context, body, map);
      studies.push(result.study);
      if (values.out !== undefined) {
        files.push(
          writeIntoDirectory(
            values.out,
            `london-${geometryName}-n${n}.svg`,
            londonMapSvg(body, map, result.ratios),
          ),
        );
      }
    }
  } finally {
    if (context) releaseDevice(context);
  }

  progress.update(`london: N r_e/R for N = ${kLondonConvergenceNs.join(', ')}`);
  const convergence = londonConvergenceSummary(geometryName, halfHeight);
  if (values.out !== undefined) {
    const svg = londonConvergenceSvg(
      geometryName,
      convergence,
      studies.map((s) => s.n),
    );
    files.push(writeIntoDirectory(values.out, `london-${geometryName}-convergence.svg`, svg));
  }
  progress.done();

  const summary = {
    command: 'london',
    device,
    geometry: geometryName,
    half_height: geometryName === 'cylinder' ? halfHeight : null,
    grid,
    map: {
      plane: 'x-z (y = 0), through the rotation axis',
      extent: kMapExtent,
      inner_extent: kMapExtent / 2,
      units: 'R (the sphere or cylinder radius)',
    },
    continuum_n_re_over_r: convergence.continuum,
    london_field: 'B_London = 2 m Omega / |e| (eq. 27 in SI)',
    studies,
    convergence,
    files,
  };
  return { json: values.json, summary, text: londonText(summary.geometry, studies, convergence, files) };
}

function londonText(
  geometryName: string,
  studies: LondonStudy[],
  convergence: LondonConvergenceSummary,
  files: string[],
): string {
  const lines = [
    `London moment, rotating ${geometryName}: B_z / B_London on the map, N r_e/R = ${convergence.continuum.toPrecision(6)}`,
    '',
    '       N   N r_e/R (f64)   B_c/B_London    uniformity   inner half        check',
  ];
  for (const s of studies) {
    lines.push(
      [
        String(s.n).padStart(8),
        s.n_re_over_r.toPrecision(9).padStart(15),
        s.centre_field_ratio.toPrecision(8).padStart(14),
        s.uniformity.toExponential(3).padStart(13),
        s.uniformity_inner.toExponential(3).padStart(12),
        s.check.toExponential(2).padStart(12),
      ].join(' '),
    );
  }
  lines.push('', '       N   N r_e/R          continuum - N r_e/R');
  for (const p of convergence.points) {
    lines.push(
      `${String(p.n).padStart(8)}   ${p.n_re_over_r.toPrecision(12).padEnd(15)}  ${p.deviation.toExponential(4)}`,
    );
  }
  lines.push('', `fit: ${convergence.law}`);
  if (files.length) lines.push('', 'wrote:', ...files.map((f) => `  ${f}`));
  return lines.join('\n') + '\n';
}
