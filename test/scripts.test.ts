// The development scripts of scripts/, what a newcomer meets before any physics: `npm test` names the
// system packages it lacks in one line (prerequisites.mjs), and the CLI (cli.mjs) rebuilds its bundle
// only when the sources changed. Both spawned as a user would run them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-bundle.ts';

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
