// Unit test for the test payload build/probe and the rootfs builder.
// Runs the probe directly on the host (no container).
//
// Build & run:
//   npx esbuild test/unit/probe.test.ts --bundle --platform=node --target=node20 \
//     --format=cjs --outfile=build/test/unit/probe.test.js
//   node --test build/test/unit/probe.test.js
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

const ROOT = findRepoRoot(__dirname);
const PROBE = path.join(ROOT, 'build', 'probe');

type Json = any;

function runProbe(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: Buffer | string } = {},
): { res: SpawnSyncReturns<Buffer>; json: Json | null } {
  const res = spawnSync(PROBE, args, {
    env: opts.env ?? process.env,
    input: opts.input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 10_000,
  });
  assert.equal(res.error, undefined, `spawn failed: ${res.error}`);
  const out = res.stdout.toString('utf8');
  return { res, json: out.length ? JSON.parse(out) : null };
}

let tmp = '';

test.before(() => {
  const b = spawnSync('bash', [path.join(ROOT, 'scripts', 'build-probe.sh')], { encoding: 'utf8' });
  assert.equal(b.status, 0, `build-probe.sh failed: ${b.stderr}`);
  assert.ok(fs.existsSync(PROBE), 'build/probe missing after build');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-probe-test-'));
});

test.after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('build-probe.sh is idempotent and quiet when up to date', () => {
  const b = spawnSync('bash', [path.join(ROOT, 'scripts', 'build-probe.sh')], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout, '');
});

test('probe prints one JSON object with the expected fields and types', () => {
  const { res, json: j } = runProbe(['plain-arg', 'with space'], {
    env: { ...process.env, SKIFF_PROBE_TEST: 'hello world' },
  });
  assert.equal(res.status, 0, res.stderr.toString());
  assert.equal(res.signal, null);

  // output is a single line of valid UTF-8 followed by a newline
  const text = new TextDecoder('utf-8', { fatal: true }).decode(res.stdout);
  assert.ok(text.endsWith('}\n'));
  assert.equal(text.trimEnd().split('\n').length, 1);

  assert.equal(j.pid, res.pid);
  assert.equal(j.ppid, process.pid);
  assert.equal(j.uid, process.getuid!());
  assert.equal(j.euid, process.geteuid!());
  assert.equal(j.gid, process.getgid!());
  assert.equal(j.egid, process.getegid!());
  assert.ok(Array.isArray(j.groups));
  for (const g of j.groups) assert.equal(typeof g, 'number');
  const um = process.umask();
  assert.equal(j.umask, um);
  assert.equal(j.cwd, process.cwd());
  assert.equal(j.hostname, os.hostname());
  assert.equal(typeof j.domainname, 'string');
  assert.deepEqual(j.argv, [PROBE, 'plain-arg', 'with space']);
  assert.ok(Array.isArray(j.env));
  assert.ok(j.env.includes('SKIFF_PROBE_TEST=hello world'), 'env var not reported');

  for (const k of ['inheritable', 'permitted', 'effective', 'bounding', 'ambient']) {
    assert.match(j.caps[k], /^[0-9a-f]{16}$/, `caps.${k}`);
  }
  assert.ok(j.no_new_privs === 0 || j.no_new_privs === 1);
  assert.equal(typeof j.seccomp, 'number');
  assert.equal(typeof j.dumpable, 'number');

  const nsNames = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'];
  assert.deepEqual(Object.keys(j.namespaces).sort(), [...nsNames].sort());
  for (const n of nsNames) {
    const v = j.namespaces[n];
    assert.ok(v === null || (typeof v === 'number' && v > 0), `namespaces.${n}`);
    // the probe runs in our namespaces, so inode numbers must match ours
    let ino: number | null = null;
    try {
      ino = fs.statSync(`/proc/self/ns/${n}`).ino;
    } catch {
      ino = null;
    }
    assert.equal(v, ino, `namespaces.${n}`);
  }

  assert.ok(Array.isArray(j.mounts) && j.mounts.length > 0);
  for (const m of j.mounts) {
    for (const k of ['mountpoint', 'root', 'fstype', 'source', 'options', 'super_options', 'propagation']) {
      assert.equal(typeof m[k], 'string', `mounts[].${k}`);
    }
  }
  assert.ok(
    j.mounts.some((m: Json) => m.mountpoint === '/'),
    'no / mount',
  );
  assert.ok(
    j.mounts.some((m: Json) => m.mountpoint === '/proc' && m.fstype === 'proc'),
    'no /proc mount',
  );

  assert.ok(Array.isArray(j.cgroup) && j.cgroup.length > 0);
  for (const l of j.cgroup) assert.match(l, /^\d+:[^:]*:/);

  const rl = [
    'AS',
    'CORE',
    'CPU',
    'DATA',
    'FSIZE',
    'LOCKS',
    'MEMLOCK',
    'MSGQUEUE',
    'NICE',
    'NOFILE',
    'NPROC',
    'RSS',
    'RTPRIO',
    'RTTIME',
    'SIGPENDING',
    'STACK',
  ].map((n) => `RLIMIT_${n}`);
  assert.deepEqual(Object.keys(j.rlimits).sort(), [...rl].sort());
  for (const n of rl) {
    const { soft, hard } = j.rlimits[n];
    assert.equal(typeof soft, 'number', n);
    assert.equal(typeof hard, 'number', n);
    assert.ok(soft >= -1 && hard >= -1, n);
    if (hard !== -1) assert.ok(soft !== -1 && soft <= hard, `${n}: soft > hard`);
  }
  assert.ok(j.rlimits.RLIMIT_NOFILE.soft > 0);

  assert.equal(typeof j.oom_score_adj, 'number');
  assert.ok(j.oom_score_adj >= -1000 && j.oom_score_adj <= 1000);

  assert.ok(Array.isArray(j.fds));
  const fdNums = j.fds.map((f: Json) => f.fd);
  for (const fd of [0, 1, 2]) assert.ok(fdNums.includes(fd), `fd ${fd} not listed`);
  for (const f of j.fds) assert.equal(typeof f.target, 'string');
  assert.match(j.fds.find((f: Json) => f.fd === 1).target, /^(pipe|socket):\[\d+\]$/);

  assert.deepEqual(j.tty, { stdin: false, stdout: false, stderr: false, name: null });
  assert.equal(j.winsize, null);
  assert.equal(typeof j.personality, 'number');
  for (const k of ['sigmask', 'sigignore', 'sigblk']) assert.match(j[k], /^[0-9a-f]{16}$/, k);
  assert.equal(j.exe, fs.realpathSync(PROBE));
  assert.deepEqual(j.errors, []);
  assert.equal(j.write, undefined);
  assert.equal(j.read, undefined);
});

test('JSON escaping survives quotes, backslashes, control chars and invalid UTF-8', () => {
  const tricky = 'q"b\\s\x01\x1f\n\t\r\x7f é ✓ 😀';
  const file = path.join(tmp, 'bytes');
  fs.writeFileSync(file, Buffer.from([0xff, 0x41, 0xc3, 0xa9, 0xc3, 0x00, 0x22]));
  const { res, json: j } = runProbe(['--read', file], { env: { TRICKY: tricky } });
  assert.equal(res.status, 0);
  assert.deepEqual(j.env, [`TRICKY=${tricky}`]);
  // 0xff and a truncated sequence are written as \u00XX; valid UTF-8 passes through
  assert.equal(j.read.content, '\u00ffA\u00e9\u00c3\u0000"');
  new TextDecoder('utf-8', { fatal: true }).decode(res.stdout);
});

test('--out writes the JSON to a file atomically and nothing to stdout', () => {
  const out = path.join(tmp, 'probe.json');
  const { res } = runProbe(['--out', out]);
  assert.equal(res.status, 0, res.stderr.toString());
  assert.equal(res.stdout.length, 0);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(j.pid, res.pid);
  assert.ok(!fs.existsSync(`${out}.tmp`), 'temporary file left behind');
});

test('--exit N sets the exit code, --no-print suppresses output', () => {
  const a = runProbe(['--exit', '3']);
  assert.equal(a.res.status, 3);
  assert.equal(typeof a.json.pid, 'number');
  const b = runProbe(['--no-print', '--exit', '7']);
  assert.equal(b.res.status, 7);
  assert.equal(b.res.stdout.length, 0);
});

test('unknown options are rejected with exit 2', () => {
  const { res } = runProbe(['--bogus']);
  assert.equal(res.status, 2);
  assert.match(res.stderr.toString(), /unknown option/);
  // after "--" everything is just argv
  const ok = runProbe(['--', '--bogus']);
  assert.equal(ok.res.status, 0);
  assert.deepEqual(ok.json.argv.slice(1), ['--', '--bogus']);
});

test('--write reports success, and failure with an errno name', () => {
  const file = path.join(tmp, 'written');
  const good = runProbe(['--write', file, 'payload']).json;
  assert.deepEqual(good.write, { path: file, ok: true, errno: null });
  assert.equal(fs.readFileSync(file, 'utf8'), 'payload');

  const bad = runProbe(['--write', '/proc/skiff-probe-test/x', 'data']).json;
  assert.equal(bad.write.path, '/proc/skiff-probe-test/x');
  assert.equal(bad.write.ok, false);
  assert.match(bad.write.errno, /^E[A-Z0-9]+$/);

  const ro = runProbe(['--write', '/proc/version', 'data']).json;
  assert.equal(ro.write.ok, false);
  assert.match(ro.write.errno, /^E[A-Z0-9]+$/);
});

test('--read reports content, and ENOENT for a missing file', () => {
  const file = path.join(tmp, 'big');
  fs.writeFileSync(file, 'x'.repeat(10000));
  const j = runProbe(['--read', file]).json;
  assert.equal(j.read.ok, true);
  assert.equal(j.read.errno, null);
  assert.equal(j.read.content, 'x'.repeat(4096));

  const missing = runProbe(['--read', path.join(tmp, 'nope')]).json;
  assert.deepEqual(missing.read, { path: path.join(tmp, 'nope'), ok: false, errno: 'ENOENT', content: null });
});

test('--sleep inf keeps running until SIGTERM, then exits 0', async () => {
  const child = spawn(PROBE, ['--sleep', 'inf', '--exit', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.endsWith('\n')) resolve();
    });
  });
  assert.equal(JSON.parse(out).pid, child.pid);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(child.exitCode, null, 'probe exited early');
  const done = new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  child.kill('SIGTERM');
  assert.deepEqual(await done, [0, null]);
});

test('--sleep SECONDS sleeps, then exits with --exit code', () => {
  const t0 = Date.now();
  const { res } = runProbe(['--no-print', '--sleep', '0.2', '--exit', '4']);
  assert.equal(res.status, 4);
  assert.ok(Date.now() - t0 >= 190);
});

test('make-rootfs.sh builds a usable rootfs, idempotently', () => {
  const dest = path.join(tmp, 'rootfs');
  const script = path.join(ROOT, 'scripts', 'make-rootfs.sh');
  const r1 = spawnSync('bash', [script, dest], { encoding: 'utf8' });
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(r1.stdout, `rootfs: ${dest}\n`);

  const bin = path.join(dest, 'bin');
  assert.equal(fs.readlinkSync(path.join(bin, 'sh')), 'busybox');
  for (const a of ['ls', 'cat', 'sleep', 'echo', 'id', 'true', 'false', 'mount', 'ps']) {
    assert.equal(fs.readlinkSync(path.join(bin, a)), 'busybox', a);
  }
  const bb = fs.statSync(path.join(bin, 'busybox'));
  assert.ok(bb.isFile() && (bb.mode & 0o111) !== 0);
  const probe = fs.lstatSync(path.join(bin, 'probe'));
  assert.ok(probe.isFile() && (probe.mode & 0o111) !== 0);
  assert.equal(probe.size, fs.statSync(PROBE).size);

  for (const d of ['proc', 'sys', 'dev', 'dev/pts', 'dev/shm', 'etc', 'root', 'run', 'var']) {
    const st = fs.statSync(path.join(dest, d));
    assert.ok(st.isDirectory(), d);
    assert.equal(st.mode & 0o7777, 0o755, `${d} mode`);
  }
  assert.equal(fs.statSync(path.join(dest, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(fs.statSync(dest).mode & 0o022, 0, 'rootfs writable by group/others');

  const passwd = fs.readFileSync(path.join(dest, 'etc/passwd'), 'utf8');
  assert.match(passwd, /^root:x:0:0:root:\/root:\/bin\/sh$/m);
  assert.match(passwd, /^daemon:x:1:1:/m);
  assert.match(passwd, /^nobody:x:65534:65534:/m);
  assert.match(passwd, /^probe:x:1000:1000:[^:]*:\/home\/probe:/m);
  const group = fs.readFileSync(path.join(dest, 'etc/group'), 'utf8');
  for (const re of [/^root:x:0:/m, /^daemon:x:1:/m, /^users:x:100:/m, /^probe:x:1000:probe$/m, /^nogroup:x:65534:/m]) {
    assert.match(group, re);
  }
  assert.ok(fs.readFileSync(path.join(dest, 'etc/hostname'), 'utf8').trim().length > 0);

  // second run: nothing to do, same single line, files untouched
  const before = fs.statSync(path.join(bin, 'probe')).mtimeMs;
  const r2 = spawnSync('bash', [script, dest], { encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(r2.stdout, `rootfs: ${dest}\n`);
  assert.equal(fs.statSync(path.join(bin, 'probe')).mtimeMs, before);

  // a newer probe is picked up
  fs.utimesSync(path.join(bin, 'probe'), new Date(0), new Date(0));
  const r3 = spawnSync('bash', [script, dest], { encoding: 'utf8' });
  assert.equal(r3.status, 0, r3.stderr);
  assert.ok(fs.statSync(path.join(bin, 'probe')).mtimeMs > 0, 'probe not re-copied');
});
