// exec into a running container: the same namespaces and cgroups as the init, runc's flags and
// exit statuses, detached execs reaped by their parent, nothing leaked.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  STATE_ROOT,
  assertGone,
  cleanupAll,
  makeBundle,
  pidAlive,
  skiff,
  stateOf,
  waitFor,
  waitProbe,
  type Bundle,
} from '../helpers/skiff';

after(() => cleanupAll());

let b: Bundle;
let initReport: any;

before(async () => {
  b = makeBundle((c) => {
    c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--sleep', 'inf'];
    c.process.env.push('FROM_CONFIG=yes');
  });
  fs.chmodSync(b.out, 0o777);
  const r = skiff(['run', '-d', '-b', b.dir, b.id]);
  assert.equal(r.code, 0, r.stderr);
  await waitProbe(b);
  initReport = b.probe();
});

function execProbe(args: string[], name: string): any {
  const out = `/out/${name}.json`;
  const r = skiff(['exec', ...args, b.id, '/bin/probe', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(fs.readFileSync(path.join(b.out, `${name}.json`), 'utf8'));
}

describe('exec', () => {
  test('joins every namespace and the cgroups of the init', () => {
    const p = execProbe([], 'e1');
    for (const ns of ['pid', 'mnt', 'net', 'ipc', 'uts', 'cgroup', 'user']) assert.equal(p.namespaces[ns], initReport.namespaces[ns], ns);
    assert.deepEqual(p.cgroup, initReport.cgroup);
    assert.notEqual(p.pid, 1);
    assert.equal(p.ppid, 0, 'its parent (skiff exec) is outside the pid namespace');
    assert.equal(p.hostname, initReport.hostname);
    assert.ok(p.env.includes('FROM_CONFIG=yes'), 'config.json process is the template');
    assert.deepEqual(p.caps, initReport.caps);
    assert.equal(p.no_new_privs, 1);
    assert.deepEqual(
      p.fds.map((f: any) => f.fd),
      [0, 1, 2],
    );
    assert.equal(p.dumpable, 1);
    // The cgroup of the process, seen from the host.
    const hostView = fs.readFileSync(`/proc/${stateOf(b.id).pid}/cgroup`, 'utf8');
    assert.match(hostView, new RegExp(b.config.linux.cgroupsPath));
  });

  test('--env, --cwd, --user, --additional-gids, --cap', () => {
    const p = execProbe(
      ['-e', 'A=1', '--env=FROM_CONFIG=overridden', '--cwd', '/tmp', '-u', '1000:1000', '-g', '100', '--cap', 'CAP_CHOWN'],
      'e2',
    );
    assert.ok(p.env.includes('A=1'));
    assert.ok(p.env.includes('FROM_CONFIG=overridden'));
    assert.ok(!p.env.includes('FROM_CONFIG=yes'));
    assert.equal(p.cwd, '/tmp');
    assert.equal(p.uid, 1000);
    assert.equal(p.gid, 1000);
    assert.deepEqual(p.groups, [100]);
    assert.equal(BigInt('0x' + p.caps.bounding) & 1n, 1n, 'CAP_CHOWN added');
  });

  test("--process FILE (containerd's exec process.json)", () => {
    const file = path.join(b.dir, 'process.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        user: { uid: 1000, gid: 1000 },
        args: ['/bin/probe', '--out', '/out/e3.json'],
        env: ['PATH=/bin', 'FROM=process.json'],
        cwd: '/',
        capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
        noNewPrivileges: true,
      }),
    );
    const r = skiff(['exec', '--process', file, b.id]);
    assert.equal(r.code, 0, r.stderr);
    const p = JSON.parse(fs.readFileSync(path.join(b.out, 'e3.json'), 'utf8'));
    assert.deepEqual(p.env, ['PATH=/bin', 'FROM=process.json', 'HOME=/home/probe']);
    assert.equal(p.uid, 1000);
    const bad = path.join(b.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ args: 'x', cwd: 'relative' }));
    const rb = skiff(['exec', '--process', bad, b.id]);
    assert.equal(rb.code, 255);
    assert.match(rb.stderr, /\/cwd/);
    assert.match(rb.stderr, /\/args/);
  });

  test('exit status of the process; 128+n for a signal; 255 when it cannot start', () => {
    assert.equal(skiff(['exec', b.id, 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(skiff(['exec', b.id, 'sh', '-c', 'kill -9 $$']).code, 137);
    const r = skiff(['exec', b.id, 'no-such-command']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /executable file not found/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const o = skiff(['exec', b.id, 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(o.stdout, 'out\n');
    assert.equal(o.stderr, 'err\n');
  });

  test('--detach --pid-file: the process outlives skiff exec and is named in the pid file', async () => {
    const pidFile = path.join(b.dir, 'exec.pid');
    const r = skiff(['exec', '--detach', '--pid-file', pidFile, b.id, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(pidAlive(pid));
    const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    assert.match(cg, new RegExp(b.config.linux.cgroupsPath));
    process.kill(pid, 'SIGKILL');
    await waitFor('exec process gone', () => !pidAlive(pid));
  });

  test('exec into a stopped or missing container fails with 255', async () => {
    const s = makeBundle((c) => (c.process.args = ['/bin/true']));
    assert.equal(skiff(['run', '-b', s.dir, '-d', s.id]).code, 0);
    await waitFor('stopped', () => stateOf(s.id).status === 'stopped');
    const r = skiff(['exec', s.id, 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /container not running/);
    assert.equal(skiff(['delete', s.id]).code, 0);
    const m = skiff(['exec', 'no-such-container', 'true']);
    assert.equal(m.code, 255);
    assert.match(m.stderr, /does not exist/);
  });

  // 1000 against the executable callers run; 100 in the second pass on Node.js (bin/skiff).
  const EXECS = process.env.SKIFF_BIN ? 100 : 1000;
  test(`${EXECS} execs in a row leak nothing into the container or the host`, { timeout: 20 * 60_000 }, () => {
    const initPid = stateOf(b.id).pid;
    const rss = () => Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${initPid}/status`, 'utf8'))![1]);
    const rssBefore = rss();
    const stateEntries = () => fs.readdirSync(STATE_ROOT).length;
    const entriesBefore = stateEntries();
    const fdsBefore = fs.readdirSync(`/proc/${initPid}/fd`).length;
    const procsBefore = fs
      .readFileSync(path.join('/sys/fs/cgroup/pids', b.config.linux.cgroupsPath, 'cgroup.procs'), 'utf8')
      .trim()
      .split('\n').length;
    // Mounts of this container or skiff seen from the host (other mounts of the machine may come and go).
    const ours = () =>
      fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => l.includes(b.dir) || l.includes('skiff')).length;
    const mountsBefore = ours();
    for (let i = 0; i < EXECS; i++) {
      const r = skiff(['exec', b.id, 'true']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(fs.readdirSync(`/proc/${initPid}/fd`).length, fdsBefore);
    const procsAfter = fs
      .readFileSync(path.join('/sys/fs/cgroup/pids', b.config.linux.cgroupsPath, 'cgroup.procs'), 'utf8')
      .trim()
      .split('\n').length;
    assert.equal(procsAfter, procsBefore);
    assert.equal(ours(), mountsBefore);
    assert.ok(rss() - rssBefore <= 64, `the init's RSS grew from ${rssBefore} to ${rss()} kB`);
    assert.equal(stateEntries(), entriesBefore, 'no state left by the execs');
  });

  test('delete --force of the container with execs running', () => {
    const pid = stateOf(b.id).pid;
    assert.equal(skiff(['exec', '-d', b.id, 'sleep', '1000']).code, 0);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b, pid), []);
  });
});
