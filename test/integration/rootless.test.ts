// skiff run by an unprivileged user (issue 16): a test-made user with a subordinate id range runs
// the lifecycle, exec, a terminal, hooks and the probe (differential against rootless runc), with
// its state under its own XDG_RUNTIME_DIR and, on this hybrid host, no cgroup.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { compare } from '../helpers/probe-compare';
import { ROOTLESS_USER, ensureRootlessUser, type RootlessIds } from '../helpers/rootless-user';
import {
  ROOT,
  ROOTFS,
  SKIFF,
  assertGone as rootGone,
  cgroupDirs,
  cleanupAll,
  makeBundle,
  pidAlive,
  run,
  skiff as rootSkiff,
  type Result,
} from '../helpers/skiff';

const USER = ROOTLESS_USER;
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));

let ids: RootlessIds;
let home: string;
let xdg: string;
let runcRoot: string;
let counter = 0;
const started: number[] = [];

/** A command as the test user, with its own XDG_RUNTIME_DIR (skiff's default state root under it). */
function asUser(cmd: string, args: string[], opts: { cwd?: string } = {}): Result {
  return run('runuser', ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=${xdg}`, `HOME=/home/${USER}`, cmd, ...args], { cwd: opts.cwd ?? home });
}

const skiff = (args: string[], opts: { cwd?: string } = {}) => asUser(SKIFF, args, opts);

function chown(p: string): void {
  fs.chownSync(p, ids.uid, ids.gid);
}

interface RootlessBundle {
  id: string;
  dir: string;
  out: string;
  config: any;
  write(): void;
  probe(): any;
}

/** `skiff spec --rootless`, written by the user, made to run the probe on the test rootfs. */
function rootlessBundle(edit?: (c: any) => void): RootlessBundle {
  const id = `rl-${process.pid}-${++counter}`;
  const dir = path.join(home, id);
  fs.mkdirSync(dir);
  chown(dir);
  const spec = skiff(['spec', '--rootless'], { cwd: dir });
  assert.equal(spec.code, 0, spec.stderr);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  chown(out);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.root = { path: ROOTFS, readonly: true };
  config.process.terminal = false;
  config.process.args = ['/bin/probe', '--out', '/out/probe.json'];
  config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  edit?.(config);
  const b: RootlessBundle = {
    id,
    dir,
    out,
    config,
    write: () => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(b.config, null, 1)),
    probe: () => JSON.parse(fs.readFileSync(path.join(out, 'probe.json'), 'utf8')),
  };
  b.write();
  return b;
}

/** The user's state directory holds nothing of this container, and none of its processes is left. */
function assertGone(id: string, pid?: number): void {
  assert.ok(!fs.existsSync(path.join(xdg, 'skiff', id)), `state of ${id} left behind`);
  if (pid) assert.ok(!pidAlive(pid), `process ${pid} left behind`);
}

function stateOf(id: string): any {
  const r = skiff(['state', id]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(() => {
  ids = ensureRootlessUser();
  home = fs.mkdtempSync('/tmp/skiff-rootless-');
  chown(home);
  fs.chmodSync(home, 0o755);
  xdg = path.join(home, 'xdg');
  fs.mkdirSync(xdg, { mode: 0o700 });
  chown(xdg);
  runcRoot = path.join(home, 'runc-root');
});

after(() => {
  cleanupAll();
  for (const pid of started) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  const root = path.join(xdg, 'skiff');
  if (fs.existsSync(root)) for (const id of fs.readdirSync(root)) skiff(['delete', '--force', id]);
  if (RUNC && fs.existsSync(runcRoot))
    for (const id of fs.readdirSync(runcRoot)) asUser(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('rootless', () => {
  test('the lifecycle as an unprivileged user: state under $XDG_RUNTIME_DIR/skiff, no cgroup, one id mapped', () => {
    const b = rootlessBundle((c) => (c.process.args = ['sh', '-c', 'echo $$ > /out/pid; exec sleep 60']));
    assert.equal(b.config.linux.uidMappings[0].hostID, ids.uid, 'spec --rootless maps the caller');
    const c = skiff(['--debug', 'create', '--bundle', b.dir, b.id]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /rootless: no cgroup: .* is not writable for uid \d+/);
    assert.ok(fs.existsSync(path.join(xdg, 'skiff', b.id, 'state.json')));
    assert.equal(fs.statSync(path.join(xdg, 'skiff')).uid, ids.uid);
    const st = stateOf(b.id);
    assert.equal(st.status, 'created');
    assert.equal(skiff(['start', b.id]).code, 0);
    assert.equal(stateOf(b.id).status, 'running');
    const list = skiff(['list', '-q']);
    assert.deepEqual(list.stdout.trim().split('\n'), [b.id]);
    const ps = skiff(['ps', '--format', 'json', b.id]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.deepEqual(JSON.parse(ps.stdout), [st.pid]);
    const x = skiff(['exec', b.id, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, new RegExp(`^0\\n\\s+0\\s+${ids.uid}\\s+1\\n$`));
    // What needs a cgroup says so.
    const sub = skiff(['exec', '--cgroup', 'sub', b.id, 'true']);
    assert.equal(sub.code, 255);
    assert.match(sub.stderr, /^exec --cgroup: the container has no cgroup \(/);
    for (const [cmd, what] of [
      [['pause', b.id], 'pause'],
      [['update', '--memory', '100M', b.id], 'update'],
      [['events', '--stats', b.id], 'stats'],
    ] as const) {
      const r = skiff([...cmd]);
      assert.equal(r.code, 1, cmd.join(' '));
      assert.match(r.stderr, new RegExp(`^${what}: the container has no cgroup \\(.* is not writable for uid ${ids.uid}\\)\\n$`));
    }
    assert.equal(skiff(['kill', b.id, 'KILL']).code, 0);
    for (let i = 0; i < 200 && stateOf(b.id).status !== 'stopped'; i++) spawnSync('sleep', ['0.01']);
    assert.equal(stateOf(b.id).status, 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assertGone(b.id, st.pid);
  });

  test('a subordinate id range through newuidmap/newgidmap: ids above 0 map into it', () => {
    const b = rootlessBundle((c) => {
      c.linux.uidMappings = [
        { containerID: 0, hostID: ids.uid, size: 1 },
        { containerID: 1, hostID: ids.subuid, size: 65536 },
      ];
      c.linux.gidMappings = [
        { containerID: 0, hostID: ids.gid, size: 1 },
        { containerID: 1, hostID: ids.subgid, size: 65536 },
      ];
      c.process.args = ['sh', '-c', 'exec sleep 60'];
    });
    fs.chmodSync(b.out, 0o777);
    // A setuid-root program (root's on the host, so no one in the container's namespace).
    const suid = path.join(b.out, 'id'); // busybox picks its applet by name
    fs.copyFileSync(path.join(ROOTFS, 'bin/busybox'), suid);
    fs.chmodSync(suid, 0o4755);
    assert.equal(skiff(['run', '-d', '--bundle', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    const su = skiff(['exec', '--user', '1000:1000', b.id, '/out/id', '-u']);
    assert.equal(su.code, 0, su.stderr);
    assert.equal(su.stdout.trim(), '1000', 'the setuid bit of a file whose owner the namespace does not map gives nothing');
    // A file made by uid 1000 in the container belongs to subuid + 999 on the host.
    const x = skiff(['exec', '--user', '1000:1000', '--additional-gids', '5', b.id, 'sh', '-c', 'id; touch /out/by-1000']);
    assert.equal(x.code, 0, x.stderr);
    assert.match(x.stdout, /uid=1000\b.*gid=1000\b.*groups=5\b/);
    const st = fs.statSync(path.join(b.out, 'by-1000'));
    assert.equal(st.uid, ids.subuid + 999);
    assert.equal(st.gid, ids.subgid + 999);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assertGone(b.id, pid);
  });

  test('the probe under skiff and rootless runc agrees', { skip: RUNC ? false : 'runc is not installed' }, () => {
    const s = rootlessBundle();
    const r = rootlessBundle();
    const rs = skiff(['run', '--bundle', s.dir, s.id]);
    assert.equal(rs.code, 0, rs.stderr);
    const rr = asUser(RUNC!, ['--root', runcRoot, 'run', '-b', r.dir, r.id]);
    assert.equal(rr.code, 0, rr.stderr);
    compare(s.probe(), r.probe());
    assertGone(s.id);
  });

  test('a terminal through a console socket, and hooks run as the user', () => {
    const marker = path.join(home, 'hook-ran');
    const b = rootlessBundle((c) => {
      c.process.terminal = true;
      c.process.args = ['sh', '-c', 'tty; echo on-the-tty'];
      c.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `id -u > ${marker}`] }],
        poststop: [{ path: '/bin/sh', args: ['sh', '-c', `echo stopped >> ${marker}`] }],
      };
    });
    const sock = path.join(home, `${b.id}.sock`);
    const out = path.join(home, `${b.id}.console`);
    const receiver = spawn('runuser', ['-u', USER, '--', 'python3', path.join(ROOT, 'test/helpers/console-receiver.py'), sock, out], {
      stdio: 'ignore',
    });
    started.push(receiver.pid!);
    for (let i = 0; i < 300 && !fs.existsSync(`${out}.ready`); i++) spawnSync('sleep', ['0.01']);
    assert.ok(fs.existsSync(`${out}.ready`), 'console receiver listening');
    const c = skiff(['create', '--console-socket', sock, '--bundle', b.dir, b.id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(fs.readFileSync(marker, 'utf8').trim(), String(ids.uid), 'createRuntime ran as the user');
    assert.equal(skiff(['start', b.id]).code, 0);
    return new Promise<void>((resolve, reject) => {
      receiver.on('exit', () => {
        try {
          const got = fs.readFileSync(`${out}.data`, 'utf8');
          assert.match(got, /\/dev\/pts\/0/);
          assert.match(got, /on-the-tty/);
          assert.equal(skiff(['delete', b.id]).code, 0);
          assert.match(fs.readFileSync(marker, 'utf8'), /stopped/);
          assertGone(b.id);
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
  });

  test('a host file the user cannot write stays unwritable, even bound in read-write', () => {
    const b = rootlessBundle((c) => {
      c.mounts.push({ destination: '/mnt', type: 'bind', source: '/etc', options: ['rbind', 'rw'] });
      c.process.args = ['sh', '-c', 'echo x >> /mnt/passwd && echo wrote-passwd; stat -c %u /mnt/passwd'];
    });
    const before = fs.readFileSync('/etc/passwd', 'utf8');
    const r = skiff(['run', '--bundle', b.dir, b.id]);
    assert.doesNotMatch(r.stdout, /wrote-passwd/);
    assert.match(r.stderr + r.stdout, /Permission denied/);
    // Host root is no one in the container's namespace: the overflow id.
    assert.match(r.stdout, /^65534$/m);
    assert.equal(fs.readFileSync('/etc/passwd', 'utf8'), before);
    assertGone(b.id);
  });

  test("clear errors: no user namespace, limits without a cgroup, an id range not granted, another user's state", () => {
    const noUserns = rootlessBundle((c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'user')));
    delete noUserns.config.linux.uidMappings;
    delete noUserns.config.linux.gidMappings;
    noUserns.write();
    const a = skiff(['run', '--bundle', noUserns.dir, noUserns.id]);
    assert.equal(a.code, 1);
    assert.match(a.stderr, new RegExp(`^running as uid ${ids.uid} \\(not root\\): config.json needs a user namespace`));
    assertGone(noUserns.id);

    const limits = rootlessBundle((c) => (c.linux.resources = { memory: { limit: 100 << 20 }, pids: { limit: 10 } }));
    const lc = skiff(['check', '--bundle', limits.dir]);
    assert.equal(lc.code, 1, lc.stdout);
    assert.match(lc.stdout, /^error +\/linux\/resources: memory, pids: limits need a cgroup, and this rootless container has none \(/m);
    const l = skiff(['run', '--bundle', limits.dir, limits.id]);
    assert.equal(l.code, 1);
    assert.match(
      l.stderr,
      /^config\.json: \/linux\/resources: memory, pids: limits need a cgroup, and this rootless container has none \(/,
    );
    assertGone(limits.id);

    const range = rootlessBundle((c) => {
      c.linux.uidMappings = [
        { containerID: 0, hostID: ids.uid, size: 1 },
        { containerID: 1, hostID: 5000000, size: 10 },
      ];
    });
    const g = skiff(['run', '--bundle', range.dir, range.id]);
    assert.equal(g.code, 1);
    assert.match(g.stderr, new RegExp(`newuidmap \\d+ 0 ${ids.uid} 1 1 5000000 10: exit status 1: newuidmap: `));
    assertGone(range.id);

    const theirs = fs.mkdtempSync('/tmp/skiff-rootless-other-');
    try {
      const o = skiff(['--root', theirs, 'list']);
      assert.equal(o.code, 1);
      assert.match(o.stderr, new RegExp(`^state directory \\(--root ${theirs}\\) belongs to uid 0, not to you \\(uid ${ids.uid}\\)`));
    } finally {
      fs.rmdirSync(theirs);
    }
  });

  test('root with --rootless true keeps its device rules (only an unprivileged caller skips them)', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '30']));
    const r = rootSkiff(['--rootless', 'true', 'run', '-d', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    try {
      const devices = cgroupDirs(b.config.linux.cgroupsPath).find((d) => d.includes('/devices/'));
      if (devices) assert.doesNotMatch(fs.readFileSync(path.join(devices, 'devices.list'), 'utf8'), /^a \*:\* rwm$/m);
      else {
        // cgroup v2: the eBPF device program is attached
        const unified = cgroupDirs(b.config.linux.cgroupsPath).find((d) => !d.includes('/devices/'))!;
        assert.ok(fs.existsSync(unified));
      }
    } finally {
      assert.equal(rootSkiff(['delete', '--force', b.id]).code, 0);
    }
    assert.deepEqual(rootGone(b), []);
  });

  test('check as the user runs the same trial create', () => {
    const b = rootlessBundle();
    const r = skiff(['check', '--bundle', b.dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok +\/process\/args\/0: "\/bin\/probe" is \/bin\/probe, an executable file$/m);
    b.config.process.args = ['/no/such'];
    b.write();
    const bad = skiff(['check', '--bundle', b.dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^error +\/process\/args\/0: "\/no\/such" not found in the rootfs/m);
  });
});
