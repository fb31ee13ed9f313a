/**
 * `stagecraft start --azure-parity` (#17) on a small fixture app: the package is selected as `func azure functionapp
 * publish` selects files, the app runs from a read-only copy with the working directory at its root, a function
 * writing into its own folder fails (EROFS) as under run-from-package, WEBSITE_* are set as on Flex Consumption
 * (WEBSITE_TIME_ZONE is not honoured), and a `%Setting%` that is not an app setting disables that function with the
 * real host's message while the host starts. Also the package selection and zip of `scripts/package.mjs`.
 * Requires a build (`npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FuncIgnore, selectAppFiles } from '../../devhost/host/package';
import { REPO_ROOT, startHostProcess, type HostProcess } from '../helpers/host';

const APP = join(__dirname, 'fixtures', 'parity-app');

let host: HostProcess;

beforeAll(async () => {
  host = await startHostProcess({ appDir: APP, args: ['--no-azurite', '--azure-parity'] });
}, 120_000);

afterAll(async () => {
  await host?.stop();
});

interface Attempt {
  what: string;
  ok: boolean;
  code?: string;
  message?: string;
}

describe('--azure-parity', () => {
  it('a function writing into its own app folder fails with EROFS; writing to the temp dir works', async () => {
    const res = await fetch(`${host.baseUrl}/api/writeOwnFolder`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cwd: string; dirname: string; results: Attempt[] };
    const packageDir = join(host.stateDir, 'parity', 'wwwroot');
    expect(body.cwd).toBe(packageDir);
    expect(body.dirname).toBe(join(packageDir, 'src'));
    const byWhat = Object.fromEntries(body.results.map((r) => [r.what, r]));
    for (const what of ['writeFileSync cwd', 'promises.writeFile __dirname', 'mkdirSync', 'appendFile callback']) {
      expect(byWhat[what]).toMatchObject({ ok: false, code: 'EROFS' });
      expect(byWhat[what]!.message).toContain('read-only file system');
    }
    expect(byWhat['write to os tmpdir']).toMatchObject({ ok: true });
    expect(existsSync(join(packageDir, 'written-by-function.txt'))).toBe(false);
    expect(existsSync(join(APP, 'written-by-function.txt'))).toBe(false);
  });

  it('runs from the package with the working directory at its root and the Flex Consumption WEBSITE_* variables', async () => {
    const res = await fetch(`${host.baseUrl}/api/platform`);
    const body = (await res.json()) as { cwd: string; env: Record<string, string>; files: string[] };
    expect(body.env).toMatchObject({
      WEBSITE_SITE_NAME: 'parity-fixture-app',
      WEBSITE_SKU: 'FlexConsumption',
      WEBSITE_HOSTNAME: `127.0.0.1:${host.port}`,
      FUNCTIONS_EXTENSION_VERSION: '~4',
      AzureWebJobsScriptRoot: body.cwd,
    });
    expect(body.env['WEBSITE_INSTANCE_ID']).toMatch(/^[0-9a-f]{64}$/);
    // Flex refuses these; local.settings.json sets WEBSITE_TIME_ZONE, parity mode drops it (timers run in UTC).
    expect(body.env).not.toHaveProperty('WEBSITE_TIME_ZONE');
    expect(body.env).not.toHaveProperty('WEBSITE_RUN_FROM_PACKAGE');
    expect(host.logs()).toContain('WEBSITE_TIME_ZONE is not supported on Flex Consumption');
    // Selected like `func azure functionapp publish`: .funcignore'd and never-shipped files are absent.
    expect(body.files).toEqual(expect.arrayContaining(['host.json', 'node_modules', 'package.json', 'src']));
    for (const absent of ['local.settings.json', '.funcignore', 'notes.txt', 'secret-dir', 'top.ts'])
      expect(body.files).not.toContain(absent);
    expect(existsSync(join(body.cwd, 'node_modules', '@azure', 'functions', 'package.json'))).toBe(true);
  });

  it("disables a function whose %Setting% is not an app setting with the real host's message, and starts the rest", () => {
    const logs = host.logs();
    expect(logs).toContain(
      "Error indexing method 'Functions.missingTimer'. Microsoft.Azure.WebJobs.Host: '%MISSING_SCHEDULE%' does not resolve to a value.",
    );
    expect(logs).toContain("Function 'missingTimer' failed indexing and will be disabled.");
    // Set by app code at load time, so not an app setting: the real host does not see it either.
    expect(logs).toContain("'%SET_BY_CODE_SCHEDULE%' does not resolve to a value.");
    expect(logs).toMatch(/Functions in error \(not running\):[\s\S]*missingTimer[\s\S]*codeSetTimer/);
    const listing = logs.slice(logs.indexOf('Functions:'), logs.indexOf('Functions in error'));
    expect(listing).toContain('presentTimer: timerTrigger');
    expect(listing).not.toContain('missingTimer: timerTrigger');
  });
});

describe('deployment package selection (scripts/package.mjs)', () => {
  it('applies .funcignore the way Core Tools does: prefix-anchored patterns, negations win', () => {
    const ig = new FuncIgnore('*.ts\ntest\n/dist/devhost\n.git*\n!test/keep.js\n# comment\n');
    expect(ig.accepts('index.ts')).toBe(false);
    expect(ig.accepts('shared/x.ts')).toBe(true); // `*` never crosses `/`, and matching starts at the path's start
    expect(ig.accepts('tests.js')).toBe(false); // prefix match
    expect(ig.accepts('test/a.js')).toBe(false);
    expect(ig.accepts('test/keep.js')).toBe(true);
    expect(ig.accepts('dist/devhost/cli.js')).toBe(false);
    expect(ig.accepts('dist/functions/x.js')).toBe(true);
    expect(ig.accepts('.github/workflows/ci.yml')).toBe(false);
    const files = selectAppFiles(APP);
    expect(files).toEqual(['host.json', 'package.json', 'src/index.js', 'src/kept.ts']);
  });

  it('writes the unpacked package and a zip holding the same files', () => {
    const out = mkdtempSync(join(tmpdir(), 'stagecraft-package-'));
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'package.mjs'), '--app', APP, '--out', out], {
      stdio: 'pipe',
    });
    // Read back with an independent reader (Python's zipfile, which the e2e suite needs anyway), CRCs checked.
    const read = (script: string) =>
      execFileSync(
        'python3',
        ['-c', `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\n${script}`, join(out, 'stagecraft.zip')],
        { encoding: 'utf8' },
      );
    expect(read('print(z.testzip())').trim()).toBe('None');
    const listing = read("print('\\n'.join(z.namelist()))").trim().split('\n');
    expect(listing).toEqual(
      expect.arrayContaining([
        'host.json',
        'package.json',
        'src/index.js',
        'node_modules/@azure/functions/package.json',
      ]),
    );
    expect(listing.some((f) => f.startsWith('node_modules/.bin'))).toBe(false);
    const unpacked = readFileSync(join(out, 'stagecraft', 'src', 'index.js'), 'utf8');
    expect(read("sys.stdout.write(z.read('src/index.js').decode())")).toBe(unpacked);
  });
});
