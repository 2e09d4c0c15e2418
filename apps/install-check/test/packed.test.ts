// The packages as a user gets them: each one packed by pnpm (which turns `workspace:` ranges into
// versions), installed with npm into a project outside the workspace, and used from there by
// plain Node.js — no `@coro/source` condition, so what runs is the built dist/ and what
// TypeScript reads is the published dist/*.d.ts. Run after `pnpm build` (turbo's `^build`
// does that for `pnpm test`).
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const consumers = fileURLToPath(new URL('./consumers/', import.meta.url));
const names = ['task', 'sync', 'pool', 'io', 'net', 'tls'] as const;
type Name = (typeof names)[number];

/** A child process's result; a run that outlives its deadline rejects instead. */
interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` and collects its output. Killed after `timeoutMs` (a consumer takes well under
 * a second alone; the deadline is for a loaded machine), and then reported as hung with what it
 * printed, so a hang fails one test with a message instead of the whole file by timeout.
 */
function run(
  command: string,
  args: readonly string[],
  {
    cwd,
    env = userEnv(),
    timeoutMs = 30_000,
  }: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === null) resolve({ code, stdout, stderr });
      else
        reject(
          new Error(
            `${basename(command)} ${args.join(' ')} hung: killed (${signal}) after ${timeoutMs / 1000} s` +
              `\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
    });
  });
}

/** Fails with the command's output unless it exited with 0. */
function succeeded(what: string, ran: Ran): Ran {
  if (ran.code !== 0) {
    throw new Error(
      `${what} exited with ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`,
    );
  }
  return ran;
}

/**
 * The environment of a user's shell, not of this test run: no `npm_*` variables (pnpm sets
 * `npm_config_*`, which npm would read as its own configuration), no NODE_OPTIONS (it could
 * carry `--conditions=@coro/source`), no switches that turn coro's fast paths off. This Node.js
 * comes first on PATH, so npm — a `#!/usr/bin/env node` script — runs on it too.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'NODE_OPTIONS' || key === 'NODE_PENDING_DEPRECATION')
      continue;
    if (key.startsWith('CORO_') || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  return env;
}

/**
 * pnpm as the caller ran it: `npm_execpath` when pnpm started this run (a script, run with this
 * Node.js, or pnpm's own executable), else `pnpm` on PATH.
 */
function pnpmCommand(): { command: string; prefix: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/i.test(basename(execPath)) && existsSync(execPath)) {
    return /\.[cm]?js$/.test(execPath)
      ? { command: process.execPath, prefix: [execPath] }
      : { command: execPath, prefix: [] };
  }
  return { command: 'pnpm', prefix: [] };
}

/** The file names in a .tgz, read with zlib and the tar header layout (no tar binary needed). */
function tarballFiles(file: string): string[] {
  const tar = gunzipSync(readFileSync(file));
  const files: string[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) =>
      header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      // A pax header: its `path` record names the next entry.
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else if (type === '0' || type === '') {
      const prefix = field(345, 155);
      files.push(longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)));
      longName = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Every file an `exports` map (and `main` / `types`) points at, `null` targets aside. */
function exportTargets(manifest: Record<string, unknown>): string[] {
  const targets = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.main);
  walk(manifest.types);
  return [...targets];
}

// Fresh directories outside the workspace: nothing there can resolve the workspace's packages.
let packDir: string;
let project: string;
const tarballs = new Map<Name, string>();

beforeAll(async () => {
  packDir = realpathSync(mkdtempSync(join(tmpdir(), 'coro-packed-')));
  project = realpathSync(mkdtempSync(join(tmpdir(), 'coro-install-check-')));

  // Packing an unbuilt package would only fail later, file by file: say what is missing.
  const unbuilt = names.filter(
    (name) => !existsSync(join(root, 'packages', name, 'dist', 'index.js')),
  );
  if (unbuilt.length > 0) {
    throw new Error(`not built: ${unbuilt.map((n) => `@coro/${n}`).join(', ')} (run pnpm build)`);
  }

  const pnpm = pnpmCommand();
  await Promise.all(
    names.map(async (name) => {
      const packed = succeeded(
        `pnpm pack in packages/${name}`,
        await run(pnpm.command, [...pnpm.prefix, 'pack', '--json', '--pack-destination', packDir], {
          cwd: join(root, 'packages', name),
          env: { ...process.env },
        }),
      );
      // --json reports where the tarball went.
      const filename = (
        JSON.parse(packed.stdout.slice(packed.stdout.indexOf('{'))) as { filename: string }
      ).filename;
      tarballs.set(name, filename);
    }),
  );

  writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
  succeeded(
    'npm install of the tarballs',
    await run(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        // A cache of its own: nothing from the user's ~/.npm is used, nothing is left there.
        '--cache',
        join(packDir, 'npm-cache'),
        ...names.map((name) => tarballs.get(name)!),
      ],
      { cwd: project, timeoutMs: 60_000 },
    ),
  );
  for (const file of readdirSync(consumers))
    copyFileSync(join(consumers, file), join(project, file));
});

afterAll(() => {
  for (const dir of [packDir, project]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the tarballs', () => {
  it.each(names)('@coro/%s holds what users need and no tests', (name) => {
    const files = tarballFiles(tarballs.get(name)!);
    expect(files.length, `@coro/${name}: empty tarball`).toBeGreaterThan(0);
    expect(files.filter((f) => !f.startsWith('package/'))).toEqual([]);
    const paths = files.map((f) => f.slice('package/'.length));

    const tests = paths.filter(
      (p) =>
        /(^|\/)(test|tests|__tests__)\//.test(p) || /\.(test|spec|test-d)\.[cm]?[jt]sx?$/.test(p),
    );
    expect(tests, `@coro/${name} ships test files`).toEqual([]);

    // The manifest as packed (from the installed copy): what a user's resolver reads.
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules', '@coro', name, 'package.json'), 'utf8'),
    );
    const license = readdirSync(join(root, 'packages', name)).filter((f) => /^licen[cs]e/i.test(f));
    const required = [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      ...license,
      ...exportTargets(manifest),
    ];
    const missing = [...new Set(required)].filter((p) => !paths.includes(p));
    expect(missing, `@coro/${name}'s tarball lacks files its package.json promises`).toEqual([]);
  });

  it('installed from them alone: real copies, with workspace ranges turned into versions', () => {
    const installed = readdirSync(join(project, 'node_modules', '@coro')).sort();
    expect(installed).toEqual([...names].sort());
    for (const name of names) {
      const dir = join(project, 'node_modules', '@coro', name);
      expect(realpathSync(dir), `@coro/${name} is a link, not an install`).toBe(dir);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const ranges = Object.values({ ...manifest.dependencies, ...manifest.peerDependencies });
      expect(ranges.filter((r) => String(r).startsWith('workspace:'))).toEqual([]);
    }
  });
});

/** Runs one consumer script in the project and returns the JSON it printed last. */
async function consume(script: string): Promise<Record<string, unknown>> {
  const ran = succeeded(`node ${script}`, await run(process.execPath, [script], { cwd: project }));
  const last = ran.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(
      `node ${script} printed no result\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`,
    );
  }
}

describe('plain Node.js users', () => {
  it('resolve every entry point to the installed dist/', async () => {
    const entries: Record<string, string> = {
      ...Object.fromEntries(names.map((name) => [`@coro/${name}`, `@coro/${name}/dist/index.js`])),
      '@coro/sync/threads': '@coro/sync/dist/threads/index.js',
    };
    const script = `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(entries))}.map((s) => [s, import.meta.resolve(s)]))))`;
    const ran = succeeded(
      'resolving the entry points',
      await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project }),
    );
    const expected = Object.fromEntries(
      Object.entries(entries).map(([specifier, file]) => [
        specifier,
        pathToFileURL(join(project, 'node_modules', file)).href,
      ]),
    );
    expect(JSON.parse(ran.stdout)).toEqual(expected);
  });

  it('@coro/task: lazy tasks, syncWait, whenAll, whenAny stopping the loser', async () => {
    expect(await consume('task.js')).toEqual({
      ranBeforeAwait: 0,
      first: 42,
      second: 42,
      runsAfterTwoAwaits: 1,
      all: [2, 4, 6],
      winner: 'fast',
      sourceStopped: true,
      loserSawStop: true,
      timeoutCode: 'ERR_CORO_TIMEOUT',
    });
  });

  it('@coro/sync: Mutex and Semaphore under contention, a threads Mutex across a worker', async () => {
    expect(await consume('sync.js')).toEqual({
      mutexExclusive: true,
      mutexEntries: 20,
      mostInside: 3,
      semaphoreValue: 3,
      threadCounter: 2000,
      workerExitCode: 0,
    });
  });

  it('@coro/pool: a ThreadPool runs jobs from a module of the project on its threads', async () => {
    expect(await consume('pool.js')).toEqual({
      fib: 6765,
      squares: [1, 4, 9],
      ranOffMainThread: true,
    });
  });

  it('@coro/io: an IoScheduler sleeps with yieldFor and shuts down', async () => {
    expect(await consume('io.js')).toEqual({
      sleptLongEnough: true,
      sizeAfterShutdown: 0,
      afterShutdown: 'SchedulerShutdownError',
    });
  });

  it('@coro/net: TCP echo, UDP round trip, DNS for localhost, serve() on two threads', async () => {
    const result = await consume('net.js');
    expect(result).toEqual({
      listen: 'ok',
      connect: 'connected',
      // The fast paths a plain install must still take (they fall back silently otherwise).
      clientReadMode: 'onread',
      clientWriteMode: 'handle',
      serverReadMode: 'onread',
      serverWriteMode: 'handle',
      tcpWrite: 'ok',
      tcpRead: 'ok',
      tcpEcho: 'ping over tcp',
      serverRead: 'ok',
      udpBound: ['ok', 'ok'],
      udp: ['ok', 'ok', 'ok', 'pong:ping'],
      udpFromIsA: true,
      dns: { status: 'ok', loopback: true },
      ipParse: '2001:db8::1',
      serve: {
        mode: expect.stringMatching(/^(reusePort|handoff)$/),
        status: 200,
        body: expect.stringMatching(/^thread [01] of 2: \/hello$/),
        threads: 2,
        forced: 0,
      },
    });
  });

  it('@coro/tls: an echo over TLS, verified against a self-signed certificate', async () => {
    succeeded(
      'openssl req',
      await run(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'key.pem',
          '-out',
          'cert.pem',
          '-days',
          '2',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
        ],
        { cwd: project },
      ),
    );
    expect(await consume('tls.js')).toEqual({
      listen: 'ok',
      connect: 'connected',
      protocol: 'TLSv1.3',
      peerSubject: 'CN=localhost',
      tls: ['ok', 'ok', 'ping over tls'],
      server: { echoed: 'ping over tls'.length, end: 'closed' },
      // Verification is on: a client that trusts only the bundled roots refuses the certificate.
      untrustedConnect: 'certificateInvalid',
      untrustedCode: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});

describe('TypeScript users', () => {
  const workspaceRequire = createRequire(join(root, 'package.json'));
  const tsc = join(dirname(workspaceRequire.resolve('typescript/package.json')), 'bin', 'tsc');
  // typeRoots: the workspace's @types, since the project has no node_modules/@types of its own.
  const typeRoots = dirname(dirname(workspaceRequire.resolve('@types/node/package.json')));

  /** tsc --noEmit over consumer.ts with a user's strict nodenext configuration. */
  async function typecheck(skipLibCheck: boolean): Promise<string[]> {
    const config = `tsconfig.${skipLibCheck ? 'app' : 'libcheck'}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [typeRoots],
          skipLibCheck,
        },
        files: ['consumer.ts'],
      }),
    );
    const ran = await run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], {
      cwd: project,
    });
    const errors = ran.stdout.split('\n').filter((line) => / error TS\d+:/.test(line));
    if (ran.code !== 0 && errors.length === 0) {
      throw new Error(`tsc exited with ${ran.code}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`);
    }
    return errors;
  }

  it('type-check a consumer of every package (strict, nodenext) and run it', async () => {
    expect(await typecheck(true), 'tsc errors in consumer.ts').toEqual([]);
    expect(await consume('consumer.ts')).toEqual({
      doubled: 42,
      pair: [2, 'two'],
      parsed: 7,
      heldLock: true,
      permits: 2,
      shared: true,
      loopback: true,
      fib: 55,
      connectAfterClose: 'cancelled',
      stopped: true,
    });
  });

  // The published declarations checked too (skipLibCheck: false, TypeScript's default): every
  // .d.ts a user's compiler reads must compile on its own. (@coro/sync's did not: its thread
  // classes said `implements` of interfaces whose members the build strips as @internal.)
  it('type-check the published declarations themselves (skipLibCheck: false)', async () => {
    expect(await typecheck(false), 'tsc errors with skipLibCheck: false').toEqual([]);
  });
});
