// The compiled executable as callers get it: scripts/install.sh into a prefix, then run from a
// bundle directory full of files an engine might read (.env, bunfig.toml, package.json,
// node_modules, tsconfig.json) and with engine variables in the environment (BUN_OPTIONS,
// BUN_BE_BUN, NODE_OPTIONS, …): none of them may change what skiff does. And skiff refuses to
// load its files from a directory others can write.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOT, STATE_ROOT, assertGone, cleanupAll, makeBundle, run, tempDir } from '../helpers/skiff';

after(() => cleanupAll());

function install(prefix: string, ...extra: string[]): void {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/install.sh'), ...extra, prefix], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Files and variables that would run `evil.js` (which leaves a marker) if an engine honoured them. */
function hostile(dir: string): { env: NodeJS.ProcessEnv; marker: string } {
  const marker = path.join(dir, 'PWNED');
  const evil = `require("fs").writeFileSync(${JSON.stringify(marker)}, "x"); console.log("EVIL");\n`;
  fs.writeFileSync(path.join(dir, 'evil.js'), evil);
  fs.writeFileSync(path.join(dir, 'bunfig.toml'), 'preload = ["./evil.js"]\n[run]\npreload = ["./evil.js"]\n');
  fs.writeFileSync(path.join(dir, '.env'), 'BUN_OPTIONS=--preload ./evil.js\nNODE_OPTIONS=--require ./evil.js\n');
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","main":"evil.js","type":"module"}');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), '{"compilerOptions":{"paths":{"*":["./evil.js"]}}}');
  for (const m of ['commander', 'ajv']) {
    fs.mkdirSync(path.join(dir, 'node_modules', m), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', m, 'index.js'), evil);
  }
  const env = {
    ...process.env,
    BUN_OPTIONS: `--preload ${path.join(dir, 'evil.js')}`,
    NODE_OPTIONS: `--require ${path.join(dir, 'evil.js')}`,
    BUN_JSC_useJIT: '0',
    BUN_INSPECT: 'ws://127.0.0.1:1/x?break=1',
    NODE_PATH: path.join(dir, 'node_modules'),
  };
  return { env, marker };
}

describe('the installed executable', () => {
  const prefix = tempDir('skiff-prefix-');
  fs.chmodSync(prefix, 0o755);
  const exe = path.join(prefix, 'bin/skiff');

  test('scripts/install.sh installs bin/skiff and lib/skiff; it runs a container from any cwd', () => {
    install(prefix);
    for (const f of ['bin/skiff', 'lib/skiff/skiff-engine', 'lib/skiff/skiff.node', 'lib/skiff/skiff-init']) {
      const st = fs.statSync(path.join(prefix, f));
      assert.equal(st.uid, 0, f);
      assert.equal(st.mode & 0o022, 0, `${f} is writable by root alone`);
    }
    assert.match(run(exe, ['--version']).stdout, /^skiff version .*\nspec: 1\.3\.0/);
    // A symlink to it, as a caller's configuration may point at (runc is often linked so).
    const link = path.join(tempDir('skiff-link-'), 'skiff');
    fs.symlinkSync(exe, link);
    const b = makeBundle((c) => (c.process.args = ['/bin/echo', 'hello from the installed skiff']));
    const r = run(link, ['--root', STATE_ROOT, 'run', '-b', b.dir, b.id], { cwd: '/' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from the installed skiff\n');
    assert.deepEqual(assertGone(b), []);
  });

  test('files in the bundle directory and engine variables change nothing', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    const { env, marker } = hostile(b.dir);
    const opts = { cwd: b.dir, env };
    const sk = (args: string[]) => run(exe, ['--root', STATE_ROOT, ...args], opts);
    const created = sk(['create', '-b', '.', b.id]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(sk(['start', b.id]).code, 0);
    assert.equal(JSON.parse(sk(['state', b.id]).stdout).status, 'running');
    const ex = sk(['exec', b.id, '/bin/echo', 'in']);
    assert.equal(ex.stdout, 'in\n', ex.stderr);
    assert.equal(sk(['kill', b.id, 'KILL']).code, 0);
    assert.equal(sk(['delete', '--force', b.id]).code, 0);
    // BUN_BE_BUN=1 turns a Bun executable into `bun` itself: the launcher removes it.
    const beBun = run(exe, ['--version'], { cwd: b.dir, env: { ...env, BUN_BE_BUN: '1' } });
    assert.match(beBun.stdout, /^skiff version/, beBun.stdout);
    assert.ok(!fs.existsSync(marker), 'code from the bundle directory or the environment ran');
    for (const r of [created, ex, beBun]) assert.doesNotMatch(r.stdout + r.stderr, /EVIL/);
    assert.deepEqual(assertGone(b), []);
  });

  test('a hook still gets the environment skiff was started with, less the engine variables', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/true'];
      c.hooks = {
        createRuntime: [
          {
            path: '/bin/sh',
            args: ['sh', '-c', `cat >/dev/null; env > ${c.mounts.find((m: any) => m.destination === '/out').source}/hook-env`],
          },
        ],
      };
    });
    const r = run(exe, ['--root', STATE_ROOT, 'run', '-b', b.dir, b.id], {
      env: { ...process.env, SKIFF_TEST_VAR: 'kept', BUN_OPTIONS: '--smol' },
    });
    assert.equal(r.code, 0, r.stderr);
    const hookEnv = fs.readFileSync(path.join(b.out, 'hook-env'), 'utf8');
    assert.match(hookEnv, /^SKIFF_TEST_VAR=kept$/m);
    assert.doesNotMatch(hookEnv, /^BUN_OPTIONS=/m);
  });

  test('skiff refuses to run or load files that others can change', () => {
    const p2 = tempDir('skiff-prefix-');
    fs.chmodSync(p2, 0o755);
    install(p2);
    const exe2 = path.join(p2, 'bin/skiff');
    fs.chmodSync(path.join(p2, 'lib/skiff'), 0o777);
    const r = run(exe2, ['--version']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to run .*skiff-engine: .*lib\/skiff is writable by group or others/);
    fs.chmodSync(path.join(p2, 'lib/skiff'), 0o755);
    // The addon is loaded only by commands that reach the kernel.
    fs.chmodSync(path.join(p2, 'lib/skiff/skiff.node'), 0o666);
    const b = makeBundle();
    const r2 = run(exe2, ['--root', STATE_ROOT, 'create', '-b', b.dir, b.id]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /refusing to load .*skiff\.node: .*writable by group or others/);
    assert.deepEqual(assertGone(b), []);
    install(p2, '--uninstall');
    assert.ok(!fs.existsSync(exe2) && !fs.existsSync(path.join(p2, 'lib/skiff')));
  });

  test('a foreground run forwards a signal to the container; one skiff does not handle ends it by the default action', async () => {
    // The container's pid 1 gets only the signals it handles: a shell that traps SIGTERM.
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.05; done']));
    const child = (await import('node:child_process')).spawn(exe, ['--root', STATE_ROOT, 'run', '-b', b.dir, b.id], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    assert.equal(await exited, 7, 'the shell got the SIGTERM and skiff deleted the container');
    assert.deepEqual(assertGone(b), []);
    // `events` has no listener for SIGUSR2: the default action (terminate) ends it, no crash.
    const b2 = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    assert.equal(run(exe, ['--root', STATE_ROOT, 'run', '-d', '-b', b2.dir, b2.id]).code, 0);
    const ev = (await import('node:child_process')).spawn(exe, ['--root', STATE_ROOT, 'events', b2.id], { stdio: 'ignore' });
    const evExit = new Promise<NodeJS.Signals | null>((res) => ev.on('exit', (_c, sig) => res(sig)));
    await new Promise((r) => setTimeout(r, 1000));
    ev.kill('SIGUSR2');
    assert.equal(await evExit, 'SIGUSR2');
    assert.equal(run(exe, ['--root', STATE_ROOT, 'delete', '--force', b2.id]).code, 0);
    assert.deepEqual(assertGone(b2), []);
  });
});
