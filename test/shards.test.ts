// A sweep split into shards (`--shard K/N`) and joined back (`merge`): the shards' points interleave back
// into the sweep's order, and the merged JSON and text are the whole run's, timings aside; the one Stop
// rule of src/studies/study.ts drops a point that Stop cut short.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kShardedCommands } from '../src/cli/commands/index.ts';
import { londonCommand } from '../src/cli/commands/london.ts';
import { pairingCommand } from '../src/cli/commands/pairing.ts';
import { scalingCommand } from '../src/cli/commands/scaling.ts';
import { Progress } from '../src/cli/progress.ts';
import { kProgramVersion, toJson } from '../src/io/formats.ts';
import { InputError } from '../src/physics/input-error.ts';
import { londonText, mergeLondon, type LondonJson } from '../src/studies/london/report.ts';
import { mergePairing, pairingText, type PairingJson } from '../src/studies/pairing/report.ts';
import {
  mergeScaling,
  scalingRunFromJson,
  scalingText,
  type ScalingJson,
} from '../src/studies/scaling/report.ts';
import { runScaling } from '../src/studies/scaling/run.ts';
import { joinShards, parseShard, shardOf, sweep, sweepOfRun } from '../src/studies/study.ts';
import { cpuBackend } from '../src/run/backend.ts';
import type { ScalingGeometry } from '../src/physics/scaling.ts';
import { cliMerge } from './helpers/commands.ts';

const quiet = new Progress({ quiet: true });

/** The JSON as printed and read back, without its timings. */
function printed(summary: unknown): unknown {
  return JSON.parse(toJson(summary), (key, value) =>
    ['ms', 'field_ms', 'timing_ms'].includes(key) ? undefined : value,
  );
}

describe('shards of a list of points', () => {
  it('parses K/N and refuses what is not a shard', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const text of ['0/3', '4/3', '1/0', '1.5/3', '-1/3', '2', 'a/b', '']) {
      expect(() => parseShard(text), text).toThrow(InputError);
    }
  });

  it('every N-th point from the K-th, joined back in order', () => {
    const points = [10, 11, 12, 13, 14, 15, 16];
    const shards = [1, 2, 3].map((index) => ({
      shard: { index, count: 3 },
      points: shardOf(points, { index, count: 3 }),
    }));
    expect(shards.map((s) => s.points)).toEqual([
      [10, 13, 16],
      [11, 14],
      [12, 15],
    ]);
    expect(joinShards([shards[2], shards[0], shards[1]])).toEqual(points);
    expect(shardOf(points, null)).toEqual(points);
  });

  it('refuses a missing or repeated shard', () => {
    const shard = (index: number, count = 3) => ({ shard: { index, count }, points: [index] });
    expect(() => joinShards([shard(1), shard(2)])).toThrow(/exactly once/);
    expect(() => joinShards([shard(1), shard(1), shard(3)])).toThrow(/exactly once/);
    expect(() => joinShards([shard(1), shard(2, 2)])).toThrow(/exactly once/);
  });
});

describe('the one Stop rule', () => {
  it('drops the point Stop cut short and measures none after it', async () => {
    let stop = false;
    const measured: number[] = [];
    const { results, stopped } = await sweep([1, 2, 3, 4], { stopped: () => stop }, async (x) => {
      measured.push(x);
      if (x === 2) stop = true;
      return x * x;
    });
    expect(stopped).toBe(true);
    expect(results).toEqual([1]);
    expect(measured).toEqual([1, 2]);
  });

  it('a point that throws once Stop is asked is the stop; a throw without Stop is an error', async () => {
    let stop = false;
    const stoppedRun = await sweep([1, 2, 3], { stopped: () => stop }, async (x) => {
      if (x === 2) {
        stop = true;
        throw new Error('stopped between two pieces');
      }
      return x;
    });
    expect(stoppedRun).toEqual({ results: [1], stopped: true });
    const failing = sweep([1, 2], {}, async (x) => {
      if (x === 2) throw new Error('device lost');
      return x;
    });
    await expect(failing).rejects.toThrow('device lost');
  });

  it('tells the point hooks each start, of the whole run, and each end: finished, or dropped', async () => {
    let stop = false;
    const heard: string[] = [];
    const hooks = sweepOfRun(
      {
        stopped: () => stop,
        pointStarted: (index, count) => heard.push(`start ${index} of ${count}`),
        pointEnded: (finished) => heard.push(finished ? 'finished' : 'dropped'),
      },
      5,
      9,
    );
    // A point that throws without Stop ends dropped, and the error ends the sweep.
    const failing = sweep([1, 2, 3, 4], hooks, async (x) => {
      if (x === 2) throw new Error('never measured');
      return x;
    });
    await expect(failing).rejects.toThrow('never measured');
    expect(heard).toEqual(['start 5 of 9', 'finished', 'start 6 of 9', 'dropped']);
    heard.length = 0;
    const stopped = await sweep([1, 2, 3, 4], hooks, async (x) => {
      if (x === 2) stop = true;
      return x;
    });
    expect(stopped).toEqual({ results: [1], stopped: true });
    // The point Stop came to in its last stretch is dropped, though it returned.
    expect(heard).toEqual(['start 5 of 9', 'finished', 'start 6 of 9', 'dropped']);
  });

  it('runs every point when nobody stops, pausing before each', async () => {
    let pauses = 0;
    const { results, stopped } = await sweep(
      [1, 2, 3],
      { pause: async () => void pauses++ },
      async (x) => -x,
    );
    expect({ results, stopped, pauses }).toEqual({ results: [-1, -2, -3], stopped: false, pauses: 3 });
  });
});

describe('the Stop rule in a sweep on a backend', () => {
  it('Stop inside the second Lanczos run keeps the first point alone', async () => {
    let stop = false;
    const points: number[] = [];
    const { runs, stopped } = await runScaling(
      async (system) => cpuBackend(system),
      { geometries: ['sphere', 'ring'], model: 'vector', ns: [12, 24, 48] },
      {
        stopped: () => stop,
        lanczos: (n, iteration) => {
          if (n === 24 && iteration >= 2) stop = true;
        },
        point: (_geometry, point) => points.push(point.n),
      },
    );
    expect(stopped).toBe(true);
    expect(runs).toHaveLength(1);
    expect(runs[0].stopped).toBe(true);
    expect(runs[0].study.points.map((p) => p.n)).toEqual([12]);
    expect(points).toEqual([12]);
  });

  it("the sphere's sweep builds M at its points' eps = 1 alone, and a Stop after its last point leaves it complete", async () => {
    const ns = [12, 24, 48];
    /** The sphere's sweep, Stop asked once the point hook hears `stopAt`; each eps an M was built at. */
    async function sphere(stopAt: number | null) {
      let stop = false;
      const built: number[] = [];
      const heard: number[][] = [];
      const {
        runs: [run],
        stopped,
      } = await runScaling(
        async (system) => {
          built.push(system.epsilon);
          return cpuBackend(system);
        },
        { geometries: ['sphere'], model: 'vector', ns },
        {
          stopped: () => stop,
          point: (_geometry, point, points) => {
            heard.push(points.map((p) => p.n));
            if (point.n === stopAt) stop = true;
          },
        },
      );
      return { run, stopped, built, heard };
    }
    const late = await sphere(48);
    expect(late.heard).toEqual([[12], [12, 24], [12, 24, 48]]);
    // London's ratio at eps = 3/N is each point's 1 + (3/N) q: no M at eps = 3/N, no work after the last point.
    expect(late.built).toEqual([1, 1, 1]);
    expect([late.stopped, late.run.stopped]).toEqual([false, false]);
    const whole = await sphere(null);
    expect(whole.built).toEqual([1, 1, 1]);
    expect(whole.run.study.points.map((p) => p.londonInertiaRatio)).toEqual(
      late.run.study.points.map((p) => p.londonInertiaRatio),
    );
  });

  it("Stop after a geometry's last point: complete where no work follows, stopped before the next geometry", async () => {
    /** The run of `geometries`, Stop asked once the point hook hears the first geometry's N = 24. */
    async function stoppedAfterRing(geometries: ScalingGeometry[]) {
      let stop = false;
      return runScaling(
        async (system) => cpuBackend(system),
        { geometries, model: 'vector', ns: [12, 24] },
        {
          stopped: () => stop,
          point: (geometry, point) => {
            if (geometry === 'ring' && point.n === 24) stop = true;
          },
        },
      );
    }
    // The ring alone: its sweep ran every point and nothing follows it, so the run is whole.
    const alone = await stoppedAfterRing(['ring']);
    expect(alone.stopped).toBe(false);
    expect(alone.runs.map((run) => [run.study.geometry, run.stopped, run.study.points.length])).toEqual([
      ['ring', false, 2],
    ]);
    // A ball to come: its sweep hears the Stop before its first point, and has nothing to report.
    const before = await stoppedAfterRing(['ring', 'ball']);
    expect(before.stopped).toBe(true);
    expect(before.runs.map((run) => [run.study.geometry, run.stopped, run.study.points.length])).toEqual([
      ['ring', false, 2],
    ]);
  });
});

describe('shards merged equal the whole run', () => {
  it('has a case below for every command whose sweep shards', () => {
    expect(
      [...kShardedCommands.keys()].sort(),
      "a new sharded command needs a case here: its shards merged equal to its whole run's JSON",
    ).toEqual(['london', 'pairing', 'scaling']);
  });

  it.each(['vector', 'azimuthal'])(
    'scaling, %s model: ring and sphere over 4 N in 3 shards',
    async (model) => {
      const argv = [
        '--model',
        model,
        '--geometries',
        'ring,sphere',
        '--n-min',
        '8',
        '--n-max',
        '40',
        '--points',
        '4',
        '--device',
        'cpu',
      ];
      const whole = (await scalingCommand(argv, quiet)).summary as ScalingJson;
      const shards: ScalingJson[] = [];
      for (const k of [3, 1, 2]) {
        const shard = (await scalingCommand([...argv, '--shard', `${k}/3`], quiet)).summary as ScalingJson;
        expect(shard.shard).toEqual({ index: k, count: 3 });
        expect(shard.studies.flatMap((study) => study.points)).toHaveLength(
          k === 1 ? 3 : 3 - (k === 3 ? 1 : 0),
        );
        shards.push(JSON.parse(toJson(shard)) as ScalingJson);
      }
      const merged = mergeScaling(shards);
      expect(printed(merged.json)).toEqual(printed(whole));
      expect(merged.json).not.toHaveProperty('shard');
      // The timings, left out above, are summed over the shards (merge's help: "timings summed").
      const timed = shards.map((json, k) => ({
        ...json,
        studies: json.studies.map((study, g) => ({ ...study, ms: 100 * (k + 1) + g })),
        timing_ms: { total_ms: 1000 * (k + 1) },
      }));
      const mergedTimes = mergeScaling(timed).json;
      expect(mergedTimes.studies.map((study) => study.ms)).toEqual([600, 603]);
      expect(mergedTimes.timing_ms.total_ms).toBe(6000);
      expect(scalingText(merged.studies, [], merged.json.device)).toBe(
        (await scalingCommand(argv, quiet)).text,
      );
    },
    120_000,
  );

  it('london: three bodies and the convergence list in 2 shards', async () => {
    const argv = ['--n', '60', '--n', '20', '--n', '40', '--grid', '7', '--device', 'cpu'];
    const wholeRun = await londonCommand(argv, quiet);
    const whole = wholeRun.summary as LondonJson;
    const shards = await Promise.all(
      ['2/2', '1/2'].map(async (shard) => {
        const summary = (await londonCommand([...argv, '--shard', shard], quiet)).summary as LondonJson;
        return JSON.parse(toJson(summary)) as LondonJson;
      }),
    );
    expect(shards[1].studies.map((study) => study.n)).toEqual([60, 40]);
    // A shard holds part of the list: it fits no law that could pass for the whole run's.
    for (const shard of shards) {
      expect(shard.convergence.fit).toBeNull();
      expect(shard.convergence.law).toBe(
        "3.00000 - N r_e/R: not fitted: a shard's part of the list: merge fits the whole",
      );
    }
    const merged = mergeLondon(shards);
    expect(printed(merged.json)).toEqual(printed(whole));
    // Shards saved while the centre's float64 plain sum was named n_re_over_r_device merge the same,
    // through the command as a user runs it on their files.
    const older = shards.map((shard) => ({
      ...shard,
      studies: shard.studies.map(({ n_re_over_r_plain_sum: plainSum, ...rest }) => ({
        ...rest,
        n_re_over_r_device: plainSum,
      })),
    }));
    const directory = mkdtempSync(join(tmpdir(), 'darwin-breit-older-shards-'));
    try {
      const paths = older.map((shard, k) => {
        const path = join(directory, `london-${k + 1}.json`);
        writeFileSync(path, toJson(shard));
        return path;
      });
      const mergedOlder = (await cliMerge(paths)).summary as LondonJson;
      expect(mergedOlder.studies.map((study) => study.n_re_over_r_plain_sum)).toEqual(
        whole.studies.map((study) => study.n_re_over_r_plain_sum),
      );
      expect(printed(mergedOlder)).toEqual(printed(whole));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    expect(merged.json.convergence.fit?.ns).toEqual([30, 100, 300, 1000, 3000, 10_000, 30_000]);
    expect(londonText(merged.json, merged.studies, merged.convergence)).toBe(wholeRun.text);
  }, 120_000);

  it("london: merge's convergence plot is the whole run's, byte for byte", async () => {
    // The whole run draws its bodies' maps before the plot, merge draws the plot alone: ids numbered
    // per process made the two differ.
    const argv = ['--geometry', 'cylinder', '--half-height', '2', '--n', '20,40,60', '--grid', '7'];
    const directory = mkdtempSync(join(tmpdir(), 'darwin-breit-london-plot-'));
    try {
      const run = async (args: string[]) =>
        (await londonCommand([...argv, ...args, '--device', 'cpu'], quiet)).summary as LondonJson;
      await run(['--out', join(directory, 'whole')]);
      const paths = await Promise.all(
        ['2/3', '3/3', '1/3'].map(async (shard, k) => {
          const path = join(directory, `london-${k + 1}.json`);
          writeFileSync(path, toJson(await run(['--shard', shard])));
          return path;
        }),
      );
      await cliMerge([...paths, '--out', join(directory, 'merged')]);
      const plot = (folder: string) =>
        readFileSync(join(directory, folder, 'london-cylinder-convergence.svg'));
      expect(plot('merged').equals(plot('whole'))).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 120_000);

  it('pairing: five a_m/a in 2 shards', async () => {
    const argv = ['--ratios', '3,30,300,3e3,3e4'];
    const wholeRun = await pairingCommand(argv, quiet);
    const shards = await Promise.all(
      ['1/2', '2/2'].map(async (shard) => {
        const summary = (await pairingCommand([...argv, '--shard', shard], quiet)).summary as PairingJson;
        return JSON.parse(toJson(summary)) as PairingJson;
      }),
    );
    expect(shards[0].points.map((p) => p.ratio)).toEqual([3, 300, 3e4]);
    const merged = mergePairing(shards);
    expect(printed(merged.json)).toEqual(printed(wholeRun.summary));
    expect(pairingText(merged.json.points, merged.json.rings, [])).toBe(wholeRun.text);
    // Shards of two runs are named by what differs, as scaling's and london's are.
    expect(() => mergePairing([shards[0], { ...shards[1], ratios: [3, 30] }])).toThrow(
      /^merge: the shards differ in a_m\/a \(\[3,30,300,3000,30000\], \[3,30\]\): not one run$/,
    );
    expect(() => mergePairing(shards.map(({ ratios: _, ...rest }) => rest as PairingJson))).toThrow(
      'merge: the pairing shards list no a_m/a ("ratios")',
    );
  });
});

describe('merge refuses what is not the shards of one run, in one line', () => {
  const argv = ['--geometries', 'ring', '--n-min', '8', '--n-max', '16', '--points', '2', '--device', 'cpu'];
  let directory: string;
  let shards: ScalingJson[];
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'merge-'));
    shards = [];
    for (const k of [1, 2]) {
      const summary = (await scalingCommand([...argv, '--shard', `${k}/2`], quiet)).summary;
      shards.push(JSON.parse(toJson(summary)) as ScalingJson);
    }
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  let files = 0;
  const file = (text: string) => {
    const path = join(directory, `shard-${++files}.json`);
    writeFileSync(path, text);
    return path;
  };
  const refusal = async (paths: string[], pattern: RegExp) => {
    const out = join(directory, `out-${files}`);
    const error = await cliMerge([...paths, '--out', out]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toMatch(/\n/);
    // Nothing written: not even the --out directory.
    expect(existsSync(out)).toBe(false);
  };

  it('merges the two shards', async () => {
    const merged = (await cliMerge(shards.map((shard) => file(toJson(shard))))).summary as ScalingJson;
    expect(merged.studies[0].points.map((point) => point.n)).toEqual([8, 16]);
    // Each N's storage, the CPU's dense M named as solve --device cpu names it.
    expect(shards.map((shard) => shard.studies[0].matrix)).toEqual([{ 8: 'dense' }, { 16: 'dense' }]);
    expect(merged.studies[0].matrix).toEqual({ 8: 'dense', 16: 'dense' });
    // The CPU's default Lanczos tolerance, as applied.
    expect(shards[0].sweep).toEqual({
      tol: 1e-10,
      max_iter: null,
      seed: 1,
      matrix: 'auto',
      tree_tolerance: 1e-5,
      // The dense M at every N: the same bits on any count of threads.
      threads: null,
    });
  });

  it("a whole run and the merge record the sweep's options; a file from before reads back as null", async () => {
    const merged = (await cliMerge(shards.map((shard) => file(toJson(shard))))).summary as ScalingJson;
    expect(merged.sweep).toEqual(shards[0].sweep);
    const given = ['--tol', '1e-6', '--seed', '7', '--max-iter', '500', '--tree-tol', '1e-3'];
    const whole = JSON.parse(
      toJson((await scalingCommand([...argv, ...given], quiet)).summary),
    ) as ScalingJson;
    expect(whole.sweep).toEqual({
      tol: 1e-6,
      max_iter: 500,
      seed: 7,
      matrix: 'auto',
      tree_tolerance: 1e-3,
      threads: null,
    });
    expect(scalingRunFromJson(whole, 'w.json').sweep).toEqual(whole.sweep);
    // A sweep written before it recorded "threads": none recorded.
    const { threads, ...threadless } = whole.sweep!;
    expect(threads).toBeNull();
    expect(scalingRunFromJson({ ...whole, sweep: threadless }, 'w.json').sweep).toEqual(whole.sweep);
    const older: Partial<ScalingJson> = { ...whole };
    delete older.sweep;
    expect(scalingRunFromJson(older, 'w.json').sweep).toBeNull();
    expect(() =>
      scalingRunFromJson({ ...whole, sweep: { ...whole.sweep, seed: '7' } }, 'w.json'),
    ).toThrowError(
      new InputError('w.json: sweep.seed is not a finite number, not what scaling --json writes', 'result'),
    );
  });

  it("shards of two program versions are refused, naming both; the merge names the shards' version", async () => {
    const ofVersion = (shard: ScalingJson, version: string | null) => file(toJson({ ...shard, version }));
    await refusal(
      [ofVersion(shards[0], kProgramVersion), ofVersion(shards[1], '0.0.9')],
      exactly(
        `merge: the shards differ in version ("${kProgramVersion}", "0.0.9"): not one run; ` +
          `rerun the older shards with this version (${kProgramVersion})`,
      ),
    );
    // A shard written before "version" was recorded is of an older version than any that names one.
    const unnamed = (shard: ScalingJson) => {
      const older: Partial<ScalingJson> = { ...shard };
      delete older.version;
      return file(toJson(older));
    };
    await refusal(
      [file(toJson(shards[0])), unnamed(shards[1])],
      exactly(
        `merge: the shards differ in version ("${kProgramVersion}", null: written before files named ` +
          `their version): not one run; rerun the older shards with this version (${kProgramVersion})`,
      ),
    );
    // Not the version that merged them: the merged file, and --out's scaling.json, name the shards'.
    const out = join(directory, 'older-version');
    const merged = (
      await cliMerge([ofVersion(shards[0], '0.0.9'), ofVersion(shards[1], '0.0.9'), '--out', out])
    ).summary as ScalingJson;
    expect(merged.version).toBe('0.0.9');
    expect(JSON.parse(readFileSync(join(out, 'scaling.json'), 'utf8')).version).toBe('0.0.9');
    const older = (await cliMerge(shards.map(unnamed))).summary as ScalingJson;
    expect(older.version).toBeNull();
    expect(older.studies[0].points.map((point) => point.n)).toEqual([8, 16]);
  });

  it("london and pairing merges name their shards' version", async () => {
    const ofVersion = (summary: unknown) => file(toJson({ ...(summary as object), version: '0.0.9' }));
    const london = ['--n', '20,40', '--grid', '5', '--device', 'cpu'];
    const londonShards = await Promise.all(
      ['1/2', '2/2'].map(async (k) =>
        ofVersion((await londonCommand([...london, '--shard', k], quiet)).summary),
      ),
    );
    expect(((await cliMerge(londonShards)).summary as LondonJson).version).toBe('0.0.9');
    const pairingShards = await Promise.all(
      ['1/2', '2/2'].map(async (k) =>
        ofVersion((await pairingCommand(['--ratios', '10,100', '--shard', k], quiet)).summary),
      ),
    );
    expect(((await cliMerge(pairingShards)).summary as PairingJson).version).toBe('0.0.9');
  });

  it('a shard given the default tolerance by name is of the same run', async () => {
    const named = (await scalingCommand([...argv, '--shard', '2/2', '--tol', '1e-10'], quiet)).summary;
    const merged = (await cliMerge([file(toJson(shards[0])), file(toJson(named))])).summary as ScalingJson;
    expect(merged.studies[0].points.map((point) => point.n)).toEqual([8, 16]);
  });

  it('a file that is not JSON, a binary one, JSON of something else', async () => {
    await refusal([file('not json\nat all')], /shard-\d+\.json: not valid JSON$/);
    // A shard stopped before it printed, its --json redirected to the file.
    await refusal([file('')], /shard-\d+\.json is empty: did its shard finish\?$/);
    await refusal([file('PK\u0003\u0004\u0014\u0000\u0000binary')], /: not valid JSON$/);
    await refusal([file('null')], /: not a JSON object$/);
    await refusal([file('[1, 2]')], /: not a JSON object$/);
    await refusal([file('{"command": "solve"}')], /is not the JSON of a london, pairing or scaling run/);
  });

  it('a whole run given as a shard', async () => {
    const whole = (await pairingCommand(['--ratios', '3,30'], quiet)).summary;
    await refusal(
      [file(toJson(whole))],
      /is a whole pairing run, not a shard: run each part with --shard K\/N/,
    );
  });

  /** A value no run writes: the literal 1e400, which JSON.parse reads as Infinity. */
  const kOverflow = '<1e400>';
  /** `json`'s file with the value at `path` set to `value` (undefined: deleted; kOverflow: 1e400). */
  const changed = (json: unknown, path: (string | number)[], value: unknown) => {
    const copy = structuredClone(json);
    let at = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    if (value === undefined) delete at[path[path.length - 1]];
    else at[path[path.length - 1]] = value;
    return file(JSON.stringify(copy).replace(`"${kOverflow}"`, '1e400'));
  };
  const exactly = (message: string) => new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

  it('a scaling shard that lacks a field merge or its reports read, or holds it as another type', async () => {
    // Each merged exit 0 with NaN in the table, or stopped with JavaScript's own words
    // ("Cannot read properties of undefined (reading 'map')", "p.lambdaMax.toPrecision is not a function").
    const cases: [(string | number)[], unknown, string][] = [
      [
        ['studies', 0, 'points', 0, 'lambda_max'],
        null,
        'studies[0].points[0].lambda_max is not a finite number',
      ],
      [
        ['studies', 0, 'points', 0, 'lambda_max'],
        '1.5',
        'studies[0].points[0].lambda_max is not a finite number',
      ],
      [['studies', 0, 'points', 0, 'lanczos'], undefined, 'studies[0].points[0].lanczos is missing'],
      [
        ['studies', 0, 'points', 0, 'lanczos', 'converged'],
        1,
        'studies[0].points[0].lanczos.converged is not a boolean',
      ],
      [
        ['studies', 0, 'points', 0, 'overlaps', 'rotation'],
        '0',
        'studies[0].points[0].overlaps.rotation is not a finite number or null',
      ],
      [['studies', 0, 'points'], undefined, 'studies[0].points is missing'],
      [
        ['studies', 0, 'geometry'],
        'cube',
        'studies[0].geometry is "cube", not one of the scaling geometries',
      ],
      [['studies'], undefined, 'studies is missing'],
      [['ns'], [8, '16'], 'ns[1] is not a finite number'],
      [['timing_ms'], undefined, 'timing_ms is missing'],
      // Each merged exit 0, the point under an N its run never had, or printed as Infinity.
      [
        ['studies', 0, 'points', 0, 'lambda_max'],
        kOverflow,
        'studies[0].points[0].lambda_max is not a finite number',
      ],
      [['studies', 0, 'points', 0, 'n'], -16, "studies[0].points[0].n is -16, where its run's list has 16"],
      [['studies', 0, 'points', 0, 'n'], 16.5, "studies[0].points[0].n is 16.5, where its run's list has 16"],
      [['studies', 0, 'points', 0, 'n'], 8, "studies[0].points[0].n is 8, where its run's list has 16"],
      [
        ['studies', 0, 'points'],
        [],
        "studies[0].points holds 0 points, not the 1 of shard 2/2 of its run's list",
      ],
      [['ns'], [8, 8], 'ns[1] is 8: given twice'],
      [['ns'], [16, 8], 'ns[1] is 8: below ns[0], 16'],
      [['ns'], [1, 16], 'ns[0] is 1: must be an integer in 2..100000000'],
    ];
    for (const [path, value, lack] of cases) {
      const shard = changed(shards[1], path, value);
      await refusal([file(toJson(shards[0])), shard], exactly(`${shard}: not a scaling shard (${lack})`));
    }
    // null is toJson's stand-in for no number: a point's undefined overlap is read as none.
    const overlapless = changed(shards[1], ['studies', 0, 'points', 0, 'overlaps', 'rotation'], null);
    const merged = (await cliMerge([file(toJson(shards[0])), overlapless])).summary as ScalingJson;
    expect(merged.studies[0].points[1].overlaps!.rotation).toBeNaN();
    expect(merged.studies[0].points[1].lambda_max).toBe(shards[1].studies[0].points[0].lambda_max);
  });

  it('scaling shards written before the float64 check (their points lack its fields) merge as not checked', async () => {
    const older = shards.map((shard) => {
      const copy = structuredClone(shard) as unknown as { studies: { points: Record<string, unknown>[] }[] };
      for (const point of copy.studies[0].points)
        for (const key of ['check', 'sampled_residual', 'check_target', 'within_target', 'check_ms'])
          delete point[key];
      return file(JSON.stringify(copy));
    });
    const merged = (await cliMerge(older)).summary as ScalingJson;
    const whole = (await cliMerge(shards.map((shard) => file(toJson(shard))))).summary as ScalingJson;
    expect(merged.studies[0].points.map((point) => point.check_target)).toEqual([null, null]);
    expect(printed(merged)).toEqual(printed(whole));
  });

  it('scaling shards written before a CPU run named its dense M (matrix null, or only the tree) merge as dense at each N', async () => {
    const older = (shard: ScalingJson) =>
      file(JSON.stringify({ ...shard, studies: shard.studies.map((study) => ({ ...study, matrix: null })) }));
    const whole = (await cliMerge(shards.map((shard) => file(toJson(shard))))).summary as ScalingJson;
    // One written while a CPU run named only the N that took the tree (none here) names none.
    const treeOnly = (shard: ScalingJson) =>
      file(JSON.stringify({ ...shard, studies: shard.studies.map((study) => ({ ...study, matrix: {} })) }));
    for (const given of [
      shards.map(older),
      [older(shards[0]), file(toJson(shards[1]))],
      [treeOnly(shards[0]), treeOnly(shards[1])],
    ]) {
      const merged = (await cliMerge(given)).summary as ScalingJson;
      expect(merged.studies[0].matrix).toEqual({ 8: 'dense', 16: 'dense' });
      expect(printed(merged)).toEqual(printed(whole));
    }
  });

  it('a shard whose "shard" is not K of N, 1 <= K <= N: it failed reading \'n\', or passed for a whole run', async () => {
    for (const shard of [
      { index: 0, count: 2 },
      { index: 3, count: 2 },
      { index: 1, count: 1e20 },
      { index: '1', count: 2 },
      [1, 2],
    ]) {
      const path = changed(shards[1], ['shard'], shard);
      await refusal(
        [file(toJson(shards[0])), path],
        exactly(`${path}: "shard" is not {"index": K, "count": N} with 1 <= K <= N`),
      );
    }
  });

  it('a london shard that lacks a field merge or its reports read, or holds it as another type', async () => {
    const argv = ['--n', '20,40', '--grid', '5', '--device', 'cpu'];
    const [first, second] = await Promise.all(
      ['1/2', '2/2'].map(async (shard) =>
        JSON.parse(toJson((await londonCommand([...argv, '--shard', shard], quiet)).summary)),
      ),
    );
    const cases: [(string | number)[], unknown, string][] = [
      // It merged exit 0, its table NaN.
      [['studies', 0, 'uniformity'], null, 'studies[0].uniformity is not a finite number'],
      [['studies', 0, 'field_points'], undefined, 'studies[0].field_points is missing'],
      [['studies'], undefined, 'studies is missing'],
      [
        ['convergence', 'points', 0, 'deviation'],
        '0',
        'convergence.points[0].deviation is not a finite number',
      ],
      [['convergence'], undefined, 'convergence is missing'],
      [['ns'], undefined, 'ns is missing'],
      [['grid'], 5.5, 'grid is 5.5: must be an integer in 4..1001'],
      [['grid'], 3, 'grid is 3: must be an integer in 4..1001'],
      // Each merged exit 0, a row under an N its run never had, or Infinity in the table.
      [
        ['studies', 0, 'centre_field_ratio'],
        kOverflow,
        'studies[0].centre_field_ratio is not a finite number',
      ],
      [['studies', 0, 'n'], -40, "studies[0].n is -40, where its run's list has 40"],
      [['ns'], [20, -40], 'ns[1] is -40: must be an integer in 1..1000000'],
      [['convergence', 'points', 0, 'n'], -30, "convergence.points[0].n is -30, where its run's list has 30"],
      [['convergence', 'points', 1, 'n'], 30, "convergence.points[1].n is 30, where its run's list has 300"],
      [['geometry'], 'cube', 'geometry is "cube", not sphere or cylinder'],
      [['half_height'], 2, "half_height is 2, not a cylinder's h > 0 or a sphere's null"],
    ];
    for (const [path, value, lack] of cases) {
      const shard = changed(second, path, value);
      await refusal([file(toJson(first)), shard], exactly(`${shard}: not a london shard (${lack})`));
    }
  });

  it('a pairing shard that lacks a field merge or its reports read, or holds it as another type', async () => {
    const [first, second] = await Promise.all(
      ['1/2', '2/2'].map(async (shard) => {
        const run = await pairingCommand(['--ratios', '10,100', '--shard', shard], quiet);
        return JSON.parse(toJson(run.summary)) as Record<string, unknown>;
      }),
    );
    const broken = (path: (string | number)[], value: unknown) => changed(second, path, value);
    const cases: [(string | number)[], unknown, string][] = [
      [['points'], undefined, 'points is missing'],
      [['points'], [{}], 'points[0].ratio is missing'],
      [['points', 0, 'energy_numerical'], '-21.2', 'points[0].energy_numerical is not a finite number'],
      [['points', 0], null, 'points[0] is not an object'],
      [['ratios'], ['10', '100'], 'ratios[0] is not a finite number'],
      // Each merged exit 0, a row under an a_m/a its run never had.
      [['ratios'], [10, 10], 'ratios[1] is 10: given twice'],
      [['points', 0, 'ratio'], -5, 'points[0].ratio is -5: needs a_m/a in (1, 1e12]'],
      [['points', 0, 'ratio'], 10, "points[0].ratio is 10, where its run's list has 100"],
      [['grid'], undefined, 'grid is missing'],
      [['rings', 0, 'readings'], undefined, 'rings[0].readings is missing'],
      [
        ['rings', 1, 'readings', 1, 'on_ring', 'energy_line'],
        undefined,
        'rings[1].readings[1].on_ring.energy_line is missing',
      ],
      [['rings'], [], 'rings is empty'],
    ];
    for (const [path, value, lack] of cases) {
      const shard = broken(path, value);
      const pattern = exactly(`${shard}: not a pairing shard (${lack})`);
      // Either file may be the broken one: merge takes the rings of the first alone.
      await refusal([file(toJson(first)), shard], pattern);
      await refusal([shard, file(toJson(first))], pattern);
    }
    // null is toJson's stand-in for no number: eq. 45's exact energy, where it has none, is read as none.
    const exactless = broken(['points', 0, 'energy_exact'], null);
    const merged = (await cliMerge([file(toJson(first)), exactless])).summary as PairingJson;
    expect(merged.points.map((p) => p.energy_exact)).toEqual([expect.any(Number), null]);
  });

  it('shards of different devices or settings', async () => {
    const onGpu = { ...shards[1], device: { kind: 'gpu', description: 'a GPU' } };
    await refusal(
      [file(toJson(shards[0])), file(toJson(onGpu))],
      /differ in device \(\{"kind":"cpu",.*\}, \{"kind":"gpu",.*\}\): not one run$/,
    );
    // Two adapters (a Slurm array over mixed nodes): their float32 points round differently, and the
    // merged device would be whichever shard came first.
    const swiftShader = {
      kind: 'gpu',
      vendor: 'google',
      architecture: 'swiftshader',
      description: 'SwiftShader driver 5.0.0',
      is_fallback_adapter: true,
      swiftshader: true,
      backend: 'dawn-node',
      timestamp_query: true,
      subgroups: true,
    };
    // Dawn's description is the driver's name and version (Vulkan's driverName: driverInfo), not
    // the GPU's model.
    const h100 = {
      ...swiftShader,
      vendor: 'nvidia',
      architecture: 'hopper',
      description: 'NVIDIA: 550.54.15',
      is_fallback_adapter: false,
      swiftshader: false,
    };
    const onDevice = (shard: ScalingJson, device: object) => file(toJson({ ...shard, device }));
    // Both named, in the order given, as what decides the numbers (timestamps do not).
    const described = (x: typeof swiftShader) =>
      `{"kind":"gpu","vendor":"${x.vendor}","architecture":"${x.architecture}",` +
      `"description":"${x.description}","is_fallback_adapter":${x.is_fallback_adapter},` +
      `"swiftshader":${x.swiftshader},"backend":"dawn-node","subgroups":true}`;
    const named = (first: typeof swiftShader, second: typeof swiftShader) =>
      exactly(`merge: the shards differ in device (${described(first)}, ${described(second)}): not one run`);
    await refusal([onDevice(shards[0], swiftShader), onDevice(shards[1], h100)], named(swiftShader, h100));
    await refusal([onDevice(shards[1], h100), onDevice(shards[0], swiftShader)], named(h100, swiftShader));
    // One GPU under two driver versions, whose compilers may round the kernels otherwise.
    const updated = { ...h100, description: 'NVIDIA: 560.35.03' };
    await refusal([onDevice(shards[0], h100), onDevice(shards[1], updated)], named(h100, updated));
    // Two models on one architecture and driver (an H100 and an H200 node of one array): the same
    // device but for "model", which alone tells them apart.
    const h200 = { ...h100, model: 'NVIDIA H200' };
    await refusal(
      [onDevice(shards[0], { ...h100, model: 'NVIDIA H100 80GB HBM3' }), onDevice(shards[1], h200)],
      exactly(
        'merge: the shards differ in the GPU model (device.model) ("NVIDIA H100 80GB HBM3", ' +
          '"NVIDIA H200"): not one run',
      ),
    );
    // A shard written before files named the model: unknown, so not shown to be its sibling's.
    await refusal(
      [onDevice(shards[0], h100), onDevice(shards[1], h200)],
      exactly(
        'merge: the shards differ in the GPU model (device.model) (null: no model named (a file written ' +
          'before files named it, or an adapter that withholds it), "NVIDIA H200"): not one run; rerun the ' +
          'shards that name none with this program, which names the model its adapter gives',
      ),
    );
    // Beside two named models that differ, such a rerun would not make them one run: no remedy.
    await refusal(
      [
        onDevice(shards[0], h100),
        onDevice(shards[1], h200),
        onDevice(shards[1], { ...h100, model: 'NVIDIA H100 80GB HBM3' }),
      ],
      exactly(
        'merge: the shards differ in the GPU model (device.model) (null: no model named (a file written ' +
          'before files named it, or an adapter that withholds it), "NVIDIA H200", "NVIDIA H100 80GB ' +
          'HBM3"): not one run',
      ),
    );
    // Two such shards merge as before.
    const modelless = await cliMerge([onDevice(shards[0], h100), onDevice(shards[1], h100)]);
    expect((modelless.summary as ScalingJson).studies[0].points.map((point) => point.n)).toEqual([8, 16]);
    expect((modelless.summary as ScalingJson).device).toEqual(h100);
    // One adapter with and without subgroups runs other kernels.
    const plain = { ...swiftShader, subgroups: false };
    await refusal([onDevice(shards[0], swiftShader), onDevice(shards[1], plain)], /differ in device/);
    // Timestamps change the timings alone: the same adapter's shards merge.
    const untimed = { ...swiftShader, timestamp_query: false };
    const merged = await cliMerge([onDevice(shards[0], swiftShader), onDevice(shards[1], untimed)]);
    expect((merged.summary as ScalingJson).studies[0].points.map((point) => point.n)).toEqual([8, 16]);
    const looser = { ...shards[1], sweep: { ...shards[1].sweep!, tol: 1e-3 } };
    await refusal([file(toJson(shards[0])), file(toJson(looser))], /differ in settings/);
    // A shard from before "sweep" was recorded: its settings are unknown, shown as null.
    const older: Partial<ScalingJson> = { ...shards[1] };
    delete older.sweep;
    await refusal([file(toJson(shards[0])), file(toJson(older))], /differ in settings \(\{.*\}, null\)/);
    // One from before the sweep recorded "threads" is read as holding no CPU tree (null), as its
    // sibling that records none.
    const threadless = JSON.parse(toJson(shards[1])) as { sweep: Record<string, unknown> };
    delete threadless.sweep.threads;
    const beside = await cliMerge([file(toJson(shards[0])), file(toJson(threadless))]);
    expect((beside.summary as ScalingJson).sweep?.threads).toBeNull();
  });

  it('shards whose CPU tree ran on different --threads merge, their threads null and named in one warning', async () => {
    // The default --threads is every core: a job array over nodes of other core counts. Another count
    // changes the tree's products only to rounding, far below every point's check target.
    const onThreads = (shard: ScalingJson, threads: number) =>
      file(toJson({ ...shard, sweep: { ...shard.sweep!, matrix: 'tree', threads } }));
    const lines: string[] = [];
    const progress = new Progress({ sink: { write: (text) => lines.push(text) } });
    const merged = (await cliMerge([onThreads(shards[0], 1), onThreads(shards[1], 2)], progress))
      .summary as ScalingJson;
    expect(merged.studies[0].points.map((point) => point.n)).toEqual([8, 16]);
    expect(merged.sweep?.threads).toBeNull();
    expect(lines).toEqual([
      'warning: the shards ran the CPU tree on different --threads (1, 2), which change its products ' +
        'only to rounding: the merged sweep\'s "threads" is null\n',
    ]);
    // On one count, that count, and no warning.
    lines.length = 0;
    const same = (await cliMerge([onThreads(shards[0], 2), onThreads(shards[1], 2)], progress))
      .summary as ScalingJson;
    expect(same.sweep?.threads).toBe(2);
    expect(lines).toEqual([]);
    // Any other setting still refuses them.
    const looser = { ...shards[1], sweep: { ...shards[1].sweep!, matrix: 'tree', threads: 2, tol: 1e-3 } };
    await refusal([onThreads(shards[0], 1), file(toJson(looser))], /differ in settings/);
  });

  it('shards without a device are refused', async () => {
    const nameless: Partial<ScalingJson> = { ...shards[1] };
    delete nameless.device;
    await refusal(
      [file(toJson(shards[0])), file(toJson(nameless))],
      /shard-\d+\.json: names no device \("device": \{"kind": "gpu" or "cpu"\}, as every --json writes it\)$/,
    );
  });

  it('shards whose version is not a string or null are refused: it merged as the version 3', async () => {
    const numbered = shards.map((shard) => file(toJson({ ...shard, version: 3 })));
    await refusal(numbered, /shard-\d+\.json: "version" is not a string or null$/);
  });

  it("shards of two runs, named by what differs: scaling's model or N, a cylinder's half-height", async () => {
    const pair = (changed: Partial<ScalingJson>) => [
      file(toJson(shards[0])),
      file(toJson({ ...shards[1], ...changed })),
    ];
    await refusal(
      pair({ model: 'azimuthal' }),
      /^merge: the shards differ in model \("vector", "azimuthal"\): not one run$/,
    );
    // The second shard of a sweep over 8 and 32: its point at N = 32.
    const other = structuredClone(shards[1]);
    other.studies[0].points[0].n = 32;
    await refusal(
      pair({ ns: [8, 32], studies: other.studies }),
      /^merge: the shards differ in N \(\[8,16\], \[8,32\]\)/,
    );
    const london = async (halfHeight: string, shard: string) =>
      toJson(
        (
          await londonCommand(
            [
              '--geometry',
              'cylinder',
              '--half-height',
              halfHeight,
              '--n',
              '20',
              '--grid',
              '5',
              '--device',
              'cpu',
              '--shard',
              shard,
            ],
            quiet,
          )
        ).summary,
      );
    await refusal(
      [file(await london('1', '1/2')), file(await london('2', '2/2'))],
      /^merge: the shards differ in half-height \(1, 2\): not one run$/,
    );
  });
});
