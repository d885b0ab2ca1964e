// The development scripts of scripts/, what a newcomer meets before any physics: `npm test` names the
// system packages it lacks in one line (prerequisites.mjs), and the CLI (cli.mjs) rebuilds its bundle
// only when the sources changed. Both spawned as a user would run them. And the README sentences of
// `npm run results` that state fitted numbers, formed from the run's data (results-text.mjs). And
// `npm start` (serve.mjs) refusing a bad option or a taken port as the CLI refuses its input, and
// ending on a signal.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-bundle.ts';
import { freeExponentLines, ringPrefactorLines, type ScalingStudyFields } from '../scripts/results-text.mjs';
import type { ScalingGeometry } from '../src/physics/scaling.ts';

function prerequisites(root: string) {
  return spawnSync(process.execPath, ['scripts/prerequisites.mjs', '--root', root], { encoding: 'utf8' });
}

/** A system image under a temporary root holding just the given files. */
function systemImage(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'darwin-breit-root-'));
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  return root;
}

const kChromium = ['usr/bin/chromium', 'usr/lib/chromium/vk_swiftshader_icd.json'];

describe('system prerequisites of npm test', () => {
  it('names both packages, with the command that installs them, on a bare system', () => {
    const run = prerequisites(systemImage([]));
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('apt-get install -y chromium libvulkan1');
  });

  it('names only what is missing', () => {
    const noLoader = prerequisites(systemImage(kChromium));
    expect(noLoader.status).toBe(1);
    expect(noLoader.stderr).toContain('apt-get install -y libvulkan1\n');
    // chromium without its SwiftShader driver is not enough
    const noDriver = prerequisites(
      systemImage(['usr/bin/chromium', 'usr/lib/x86_64-linux-gnu/libvulkan.so.1']),
    );
    expect(noDriver.status).toBe(1);
    expect(noDriver.stderr).toContain('apt-get install -y chromium\n');
  });

  it('passes silently when chromium, its SwiftShader and the Vulkan loader are there', () => {
    for (const loader of ['usr/lib/x86_64-linux-gnu/libvulkan.so.1', 'usr/lib64/libvulkan.so.1']) {
      const run = prerequisites(systemImage([...kChromium, loader]));
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
    }
  });
});

describe('npm start (serve.mjs) refuses what it cannot do in one line, exit 2', () => {
  const serve = (...args: string[]) =>
    spawnSync(process.execPath, ['scripts/serve.mjs', '--no-build', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  const expectRefused = (run: ReturnType<typeof serve>, message: string) => {
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toBe(`error: ${message}\n`);
    expect(run.stdout).toBe('');
  };

  it("an option it does not take: it printed parseArgs's TypeError and its stack, exit 1", () => {
    expectRefused(
      serve('--bogus'),
      "Unknown option '--bogus' (npm start takes --port N, --strict-port, --no-build)",
    );
  });

  it("a port in use under --strict-port: it printed vite's Error and its stack, exit 1", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      expectRefused(
        serve('--port', String(port), '--strict-port'),
        `port ${port} is in use (drop --strict-port to take the next free one)`,
      );
    } finally {
      holder.close();
    }
  });
});

describe('npm start (serve.mjs) ends on a signal by closing its server, exit 0', () => {
  // In a directory of its own with an empty dist/ (no vite.config.ts there): the preview server
  // alone, on a free port, with no build.
  const root = mkdtempSync(join(tmpdir(), 'darwin-breit-serve-'));
  mkdirSync(join(root, 'dist'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // SIGHUP (its terminal closed) took Node's default action, exit 129, and SIGTERM vite's own
  // listener, exit 143; a signal sent on seeing the address could come before the handlers.
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s', async (signal) => {
    const server = spawn(process.execPath, [resolve('scripts/serve.mjs'), '--no-build', '--port', '0'], {
      cwd: root,
    });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      server.on('exit', (code, killed) => done([code, killed])),
    );
    let stdout = '';
    await new Promise<void>((listening, failed) => {
      server.stdout.on('data', (chunk) => {
        stdout += String(chunk);
        if (stdout.includes('press Ctrl+C to stop')) listening();
      });
      server.on('exit', () => failed(new Error(`serve.mjs ended before it listened: ${stdout}`)));
    });
    expect(stdout).toMatch(/^darwin-breit app: http:\/\/127\.0\.0\.1:\d+\/\n/);
    server.kill(signal);
    expect(await ended).toEqual([0, null]);
  });
});

describe('the CLI bundle is built once, and again only when the sources change', () => {
  const cli = () => runCli('scripts/cli.mjs', ['--help']);
  const kBuilding = /building the CLI bundle/;

  it('reuses the bundle while the sources are unchanged', () => {
    const first = cli();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Usage: darwin-breit <command>/);
    const second = cli();
    expect(second.status).toBe(0);
    expect(second.stderr).not.toMatch(kBuilding);
    expect(second.stdout).toBe(first.stdout);
  });

  it('rebuilds when the record of the sources it was built from does not match', () => {
    rmSync('dist-cli/sources.sha1', { force: true });
    const rebuilt = cli();
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(kBuilding);
    expect(rebuilt.stdout).toMatch(/^Usage: darwin-breit <command>/);
    expect(cli().stderr).not.toMatch(kBuilding);
  });

  it('npm run build:cli leaves the record, so the next call builds nothing', () => {
    rmSync('dist-cli/sources.sha1', { force: true });
    const build = spawnSync('npm', ['run', '--silent', 'build:cli'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout).toBe('');
    const next = cli();
    expect(next.status, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(kBuilding);
    expect(next.stdout).toMatch(/^Usage: darwin-breit <command>/);
    // The bundle goes where the calls look for it: another folder is refused, not ignored.
    const elsewhere = spawnSync('npm', ['run', '--silent', 'build:cli', '--', '--outDir', 'x'], {
      encoding: 'utf8',
    });
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toBe('error: --build-only takes no other argument, got --outDir\n');
  });
});

describe("the scaling paragraph's numbers come from the studies it describes", () => {
  // The fields of results.json's scaling studies that the sentences read, at a run's values.
  const study = (
    geometry: ScalingGeometry,
    dimension: number,
    fit: Partial<NonNullable<ScalingStudyFields['fit']>>,
    extra: Partial<ScalingStudyFields> = {},
  ): ScalingStudyFields => ({
    geometry,
    model: 'vector',
    dimension,
    critical_electrons_log10: null,
    fit: {
      law: '',
      coefficient: 0,
      uncertainty: 0,
      theory: null,
      exponent: null,
      free_exponent: null,
      free_exponent_coefficient: null,
      ...fit,
    },
    ...extra,
  });
  const surface = (geometry: ScalingGeometry, p: number, c: number, free: number) =>
    study(geometry, 2, {
      law: 'lambda_max/N = c + b N^-1/2',
      exponent: 0.5,
      coefficient: c,
      free_exponent: p,
      free_exponent_coefficient: free,
    });
  const ball = study('ball', 3, {
    law: 'lambda_max/N = c + b N^-2/3',
    exponent: 2 / 3,
    coefficient: 0.8158,
    free_exponent: 0.6104,
    free_exponent_coefficient: 0.8178,
  });
  const ring = study(
    'ring',
    1,
    {
      law: 'lambda_max/N = a ln N + b + g/ln N',
      coefficient: 0.3149836551655656,
      uncertainty: 0.002142304722254266,
      theory: 1 / Math.PI,
    },
    { critical_electrons_log10: 25622.04 },
  );
  const disk = surface('disk', 0.4785, 1.2981, 1.302);
  const sphere = surface('sphere', 0.4943, 0.66644, 0.6669);

  it("gives each free exponent beside its law's, and what they say where all agree", () => {
    expect(freeExponentLines([ring, disk, sphere, ball])).toEqual([
      'The laws fix the exponent p; with p free the best one over these N is 0.48 on the disk, 0.49 on ' +
        "the sphere and 0.61 in the ball, against the laws' 1/2, 1/2 and 2/3: the corrections decay more " +
        'slowly here than the laws, and the fixed-p extrapolations are biased low.',
    ]);
    // One exponent above its law's: the exponents alone, no claim that they do not all support.
    expect(freeExponentLines([surface('disk', 0.52, 1.3, 1.29), ball])).toEqual([
      'The laws fix the exponent p; with p free the best one over these N is 0.52 on the disk and 0.61 in ' +
        "the ball, against the laws' 1/2 and 2/3.",
    ]);
    // The ring's law has no exponent: no sentence.
    expect(freeExponentLines([ring])).toEqual([]);
  });

  it("gives the ring's prefactor against 1/π in per cent, in R*'s decades and in its uncertainties", () => {
    expect(ringPrefactorLines([ring, disk])).toEqual([
      'The ring’s R* holds the prefactor at its derived 1/π and fits the constant alone: the fitted ' +
        'prefactor in the table, 1.0% below 1/π, would move an R* at ln N ~ 6·10⁴ by some 270 decades. ' +
        'The vector ring’s a lies 1.6σ below 1/π (its a ln N + b + g/ln N leaves out higher powers of 1/ln N).',
    ]);
    // Within one uncertainty: no cause named for a deviation the fit does not show.
    const close = study(
      'ring',
      1,
      { ...ring.fit, coefficient: 1 / Math.PI + 0.001 },
      { critical_electrons_log10: 25622.04 },
    );
    expect(ringPrefactorLines([close])[0]).toMatch(/0\.3% above 1\/π.* lies 0\.5σ above 1\/π\.$/);
    // ln N* from the fit's own N*: a ring whose R* lies 120 decades out (ln N* = 276) says so.
    const nearer = study('ring', 1, { ...ring.fit }, { critical_electrons_log10: 120 });
    expect(ringPrefactorLines([nearer])[0]).toContain('an R* at ln N ~ 3·10² by some 1.3 decades');
    expect(ringPrefactorLines([disk, ball])).toEqual([]);
  });
});
