// `london`: the London moment (eq. 27-30) as a field map. A rigidly rotating sphere (or cylinder) of N
// surface charges, sized so that its continuous counterpart has the London field at its centre
// (N r_e / R = 3 for the sphere, eq. 30), has its Biot-Savart field summed over a grid of interior
// points in float64, which gives the centre field and the uniformity, and on the GPU, whose sum draws
// the map of B_z / B_London (the sphere's unevenness is its charges' discreteness; a finite cylinder's
// is mostly its lateral sheet's own, which the JSON gives beside); the float64 sum at the centre gives
// N r_e/R against N (-> 3 like N^-2). A thin adapter:
// the run is src/studies/london/run.ts, its limits spec.ts, the JSON, text and plots report.ts, which
// the app's Studies panel uses too.
import { gpuReducedField } from '../../engine/london.ts';
import { renamedError } from '../../physics/input-error.ts';
import { kLondonConvergenceNs, kLondonTailSpacing } from '../../physics/london.ts';
import { parseDevice } from '../../run/inputs.ts';
import {
  londonCheckWarning,
  londonFileNames,
  londonFiles,
  londonJson,
  londonMarkdown,
  londonShardFromJson,
  londonText,
  mergeLondon,
  type LondonJson,
} from '../../studies/london/report.ts';
import {
  cpuField,
  kLondonCheckTarget,
  runLondon,
  type FieldEvaluator,
  type LondonConvergence,
} from '../../studies/london/run.ts';
import type { LondonMap, LondonMapStudy } from '../../studies/london/run.ts';
import {
  kLondonDefaultGrid,
  kLondonDefaultNs,
  kLondonGrid,
  kMaxLondonElectrons,
  kMinLondonHalfHeight,
  londonHalfHeight,
  londonNs,
  parseLondonGeometry,
} from '../../studies/london/spec.ts';
import { integerRangeProblem, parseShard, shardOf } from '../../studies/study.ts';
import { openStudyEngine, threadsOption } from '../engine.ts';
import { refusalOf } from '../formats.ts';
import { kCommonOptions, parseCommandArgs, parseNumber } from '../options.ts';
import {
  checkStudyOutput,
  summaryFile,
  writeIntoDirectory,
  type OutputDirectory,
} from '../output-directory.ts';
import type { Progress } from '../progress.ts';
import type { Shards } from './merge.ts';
import { kStoppedHelp, studyOutput, type CommandOutput } from './summary.ts';

export const kLondonHelp = `Usage: darwin-breit london [--geometry sphere|cylinder] [--n N[,N...]] [--grid G]
                          [--half-height H] [--device gpu|cpu] [--threads K] [--shard K/N]
                          [--out DIR] [--markdown] [--json]

The London moment (eq. 27-30) of a rigidly rotating body of N surface charges +|e| (the lattice charge
the superconducting electrons leave behind, sec. III.A), sized so that its continuous counterpart has
the London field B = 2 m Omega/|e| at its centre: N r_e/R = 3 for the sphere (eq. 30), 2 sqrt(1 + h^2)
for the cylinder. The Biot-Savart field is summed at every point of a G x G grid in the x-z plane
inside the body scaled by 0.9 (the sphere's r <= 0.9 R; the cylinder's |x| <= 0.9 R, |z| <= 0.9 h R)
in float64, which gives the centre field ("centre_field_ratio", "n_re_over_r_plain_sum") and the
uniformity max |B - B_centre|/|B_centre| over the grid and over its inner half (scaled by 0.45), each
with its B_z part (what the map draws) and its transverse part; and on the GPU (float32), whose sum
draws the maps ("check": its largest B_z error |B_z,gpu - B_z,64| over the inner half's B_z spread
max |B_z,64 - B_z,centre|, held to "check_target" ${kLondonCheckTarget}: "within_target", and a warning
on stderr past it; 0 with --device cpu, whose float64 sum draws them: the remedy past N = 2000 or so,
where float32's rounding, some 3e-7 |B| on any grid, nears a tenth of the inner spread, which falls like
N^-2; the default N stop below). The continuous sphere's field is
uniform inside (eq. 29), so its map shows the charges' discreteness; a finite cylinder's lateral sheet
is no London body: its own field is not uniform, and the JSON gives the continuous sheet's uniformity
on the same grid beside the map's.
N r_e/R at which the centre field equals the London field is also listed for
N = ${kLondonConvergenceNs.join(', ')} (float64, compensated sum; each deviation printed
to the digits its rounding leaves), with the power law of its deviation fitted where it holds: N with
axial spacing 2h/N (the sphere's 2/N) at most R/${1 / kLondonTailSpacing} and a deviation over 100 times its rounding
(a long cylinder's coarse N lie above the continuum: their own colour in the plot). A cylinder needs
N >= h (axial spacing at most 2 R; fewer charges make a sparse line along the axis): smaller --n is
refused, and the list keeps its N >= h.

  --geometry G      sphere (Fibonacci points) | cylinder (lateral surface rho = R, |z| <= h R)  [sphere]
  --n N[,N...]      electrons; a list, or the flag repeated, for several bodies        [${kLondonDefaultNs.join(', ')}]
  --grid G          field points per side of the map (${kLondonGrid.min}..${kLondonGrid.max})                        [${kLondonDefaultGrid}]
  --half-height H   cylinder only: half-length h in units of R, ${kMinLondonHalfHeight.toExponential(0)}..${kMaxLondonElectrons} (N >= h) [1]
  --device gpu|cpu  the WebGPU Biot-Savart kernel, or the float64 CPU sum             [gpu]
  --threads K       threads of each map's float64 sum (its numbers; with --device cpu
                    its drawing too): the same numbers bit for bit with any K  [every core]
  --shard K/N       run every N-th point (the maps, then the convergence list) from the K-th;
                    'merge' joins the shards' JSON into the whole run's (a shard fits no law)
  --out DIR         write the maps of B_z / B_London (london-<geometry>-n<N>.svg) and beside
                    each the deviation from London's uniform field, log10 |B_z / B_London - 1|
                    (london-<geometry>-n<N>-deviation.svg; a cell where B_z = B_London exactly
                    at the scale's floor), the convergence plot (london-<geometry>-convergence.svg)
                    and london.json (the --json summary; a shard: its maps and
                    london-shard<K>of<N>.json, merge --out plots the convergence) into DIR,
                    created with any missing parents
  --markdown        the maps' table in Markdown (with --json: the field "markdown")
  --json            {"command", "stopped" (a stopped run's), "version", "device": {"kind", "description"},
                    "geometry", "half_height" (null for the sphere), "grid", "ns" and "shard" (a
                    shard's: the run's N and {"index", "count"}), "map" (where the uniformity is
                    taken, in words): {"plane", "extent", "inner_extent", "region", "units"},
                    "continuum_n_re_over_r", "continuum_n_re_over_l" (cylinder),
                    "continuum_uniformity", "continuum_uniformity_inner", "london_field" (what
                    B_London is), "studies": [{"n", "n_re_over_r", "n_re_over_l" (cylinder),
                    "n_re_over_r_plain_sum" (the same from the map's float64 plain sum at the
                    centre, whatever --device), "centre_field_ratio", "uniformity",
                    "uniformity_axial", "uniformity_transverse", "uniformity_inner",
                    "uniformity_inner_axial", "uniformity_inner_transverse", "check",
                    "check_target", "within_target", "field_points" (the points its field was
                    summed at), "field_ms" (the map's sum: on the GPU upload, pipeline and
                    readback included)}], "convergence": {"continuum", "rounding", "points":
                    [{"n", "n_re_over_r", "deviation" (continuum - N r_e/R)}], "fit":
                    {"exponent", "coefficient", "ns"} or null, "law"}, "files": [...]}

${kStoppedHelp}`;

const kOptions = {
  ...kCommonOptions,
  geometry: { type: 'string', default: 'sphere' },
  n: { type: 'string', multiple: true },
  grid: { type: 'string', default: String(kLondonDefaultGrid) },
  'half-height': { type: 'string' },
  device: { type: 'string', default: 'gpu' },
  threads: { type: 'string' },
  shard: { type: 'string' },
  markdown: { type: 'boolean', default: false },
  out: { type: 'string' },
} as const;

type LondonValues = ReturnType<typeof parseCommandArgs<typeof kOptions>>['values'];

function checkOptions(values: LondonValues) {
  let geometry;
  try {
    geometry = parseLondonGeometry(values.geometry);
  } catch (error) {
    throw renamedError(error, '--geometry');
  }
  const halfHeight = londonHalfHeight(geometry, values['half-height'], '--half-height', '--geometry');
  // Repeated, or a list as pairing's --ratios and response's --n take it.
  const ns = londonNs(values.n, geometry, halfHeight, '--n');
  const grid = parseNumber('grid', values.grid, (x) => integerRangeProblem(kLondonGrid, x));
  const device = parseDevice(values.device, '--device');
  const threads = threadsOption(values.threads);
  const shard = values.shard === undefined ? null : parseShard(values.shard, '--shard');
  return { geometry, ns, grid, halfHeight, device, threads, shard };
}

export async function londonCommand(argv: string[], progress: Progress): Promise<CommandOutput> {
  const { values } = parseCommandArgs(argv, kOptions);
  if (values.help) return { help: kLondonHelp };
  const options = checkOptions(values);
  const { geometry, ns, grid, halfHeight, shard } = options;
  // The maps of the shard's bodies, as runLondon takes them; the convergence of the whole list is
  // merge's to plot.
  const names = londonFileNames(geometry, shardOf(ns, shard), shard === null);
  const out = checkStudyOutput(values.out, 'london', shard, names);

  const engine = await openStudyEngine(options.device, options.threads);
  const { gpu, device } = engine;
  const field: FieldEvaluator = gpu ? (body, points) => gpuReducedField(gpu, body, points) : cpuField;
  let run;
  try {
    run = await runLondon(
      field,
      { geometry, ns, grid, halfHeight, convergenceNs: kLondonConvergenceNs },
      progress.studyHooks(),
      shard,
      engine.pool(),
    );
  } finally {
    engine.dispose();
  }
  progress.done();
  const stop = progress.sweepStop(run.stopped);

  const studies = run.maps.map((map) => map.study);
  const warning = londonCheckWarning(studies);
  if (warning) progress.log(warning);
  const summary = londonJson({
    device,
    geometry,
    halfHeight,
    grid,
    ns,
    studies,
    convergence: run.convergence,
    shard,
    stop,
  });
  return londonOutput(summary, run.maps, studies, run.convergence, values, out);
}

/**
 * The command's output for a run or a merge: the JSON, the text, and with `out` the plots (a merge
 * has no maps: each shard's --out holds its own).
 */
function londonOutput(
  summary: LondonJson,
  maps: readonly LondonMap[],
  studies: readonly LondonMapStudy[],
  convergence: LondonConvergence,
  values: { readonly json?: boolean; readonly markdown?: boolean },
  out: OutputDirectory | null,
): CommandOutput {
  const geometry = parseLondonGeometry(summary.geometry);
  const outFailure = out
    ? refusalOf(() => {
        // A shard's part of the list is merge's to plot with the rest: its --out holds its maps
        // alone, as does a run stopped before the list (or a cylinder too long for any N of it).
        const files = londonFiles(
          { geometry, halfHeight: summary.half_height ?? 1 },
          maps,
          summary.shard || convergence.points.length === 0 ? null : convergence,
          studies.map((s) => s.n),
          summary.stopped ?? null,
        );
        summary.files.push(...writeIntoDirectory(out, [...files, summaryFile(summary)]));
      })
    : undefined;
  return studyOutput(
    values,
    summary,
    {
      markdown: () => londonMarkdown(geometry, studies, summary.device),
      text: () => londonText(summary, studies, convergence),
    },
    outFailure,
  );
}

/** merge's: the convergence plot of the whole list; each shard's --out holds its own maps. */
export const kLondonShards: Shards = {
  fromJson: londonShardFromJson,
  merge(shards, values) {
    const { json, studies, convergence } = mergeLondon(shards as unknown as LondonJson[]);
    const names = londonFileNames(parseLondonGeometry(json.geometry), []);
    const out = checkStudyOutput(values.out, 'london', null, names);
    return londonOutput(json, [], studies, convergence, values, out);
  },
};
