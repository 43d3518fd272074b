// What callers of runc 1.2+ send that runc 1.1.5 here lacks: --pidfd-socket (create, run, exec) and
// run --keep. Checked against the kernel: the pidfd received names the right process, and a signal
// sent through it reaches the container.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { CGROUP_PREFIX, assertGone, cgroupDirs, cleanupAll, makeBundle, skiff, stateOf, tempDir, waitFor } from '../helpers/skiff';

after(() => cleanupAll());

// A receiver as containerd's would be: accept one connection, take the fd and the payload, print
// the pid the pidfd names (fdinfo's Pid) and the payload, then SIGKILL the process through it.
const RECEIVER = `
import array, os, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[2], 'w').close()
c, _ = s.accept()
fds = array.array('i')
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_LEN(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
fd = fds[0]
pid = [l.split()[1] for l in open('/proc/self/fdinfo/%d' % fd) if l.startswith('Pid:')][0]
print(pid, msg.decode(), flush=True)
if len(sys.argv) > 3:
    # Once create has returned (the test makes this file), as a caller would.
    import time
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.01)
    signal.pidfd_send_signal(fd, signal.SIGKILL)
`;

function receiver(kill: boolean): { sock: string; done: Promise<string>; go: string } {
  const dir = tempDir('skiff-pidfd-');
  const script = path.join(dir, 'recv.py');
  fs.writeFileSync(script, RECEIVER);
  const sock = path.join(dir, 'pidfd.sock');
  const ready = path.join(dir, 'ready');
  const go = path.join(dir, 'go');
  const p = spawn('python3', [script, sock, ready, ...(kill ? [go] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const done = new Promise<string>((resolve) => p.on('exit', () => resolve(out.trim())));
  const until = Date.now() + 10_000;
  while (!fs.existsSync(ready) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  return { sock, done, go };
}

describe('runc 1.2 flags', () => {
  test('create --pidfd-socket: a pidfd of the init, payload "standard"; a SIGKILL through it stops the container', async () => {
    const r = receiver(true);
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    const pidFile = path.join(tempDir('skiff-pidfd-'), 'init.pid');
    const c = skiff(['create', '--pid-file', pidFile, '--pidfd-socket', r.sock, '-b', b.dir, b.id]);
    assert.equal(c.code, 0, c.stderr);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    fs.writeFileSync(r.go, '');
    assert.equal(await r.done, `${pid} standard`);
    await waitFor('the container to stop', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test('run -d and exec --pidfd-socket ("setns" for the exec\'d process)', async () => {
    const r1 = receiver(false);
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    assert.equal(skiff(['run', '-d', '--pidfd-socket', r1.sock, '-b', b.dir, b.id]).code, 0);
    assert.equal(await r1.done, `${stateOf(b.id).pid} standard`);
    const r2 = receiver(false);
    const pidFile = path.join(tempDir('skiff-pidfd-'), 'exec.pid');
    const e = skiff(['exec', '-d', '--pid-file', pidFile, '--pidfd-socket', r2.sock, b.id, '/bin/sleep', '100']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(await r2.done, `${fs.readFileSync(pidFile, 'utf8').trim()} setns`);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('a --pidfd-socket nobody listens on: create fails clearly and leaves nothing', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    const r = skiff(['create', '--pidfd-socket', path.join(tempDir('skiff-pidfd-'), 'none.sock'), '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /connect to the --pidfd-socket .*none\.sock: ENOENT/);
    assert.deepEqual(assertGone(b), []);
  });

  test('run --keep leaves the stopped container for inspection; delete removes it', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'exit 3']));
    const r = skiff(['run', '--keep', '-b', b.dir, b.id]);
    assert.equal(r.code, 3);
    assert.equal(stateOf(b.id).status, 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
    const d = makeBundle();
    const both = skiff(['run', '--keep', '-d', '-b', d.dir, d.id]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--keep cannot be used with --detach/);
    assert.deepEqual(assertGone(d), []);
  });

  test('exec --cgroup: into an existing sub-cgroup, in every hierarchy or only the named controllers', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '100']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    for (const d of cgroupDirs(`${CGROUP_PREFIX}/${b.id}/sub`)) fs.mkdirSync(d, { recursive: true });
    for (const d of cgroupDirs(`${CGROUP_PREFIX}/${b.id}/sub`)) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const parent = path.join(path.dirname(d), f);
        if (fs.existsSync(parent)) fs.writeFileSync(path.join(d, f), fs.readFileSync(parent, 'utf8').trim() || '\n');
      }
    }
    const cgroupOf = (args: string[]): Record<string, string> => {
      const pidFile = path.join(tempDir('skiff-excg-'), 'pid');
      const e = skiff(['exec', '-d', '--pid-file', pidFile, ...args, b.id, '/bin/sleep', '100']);
      assert.equal(e.code, 0, e.stderr);
      const lines = fs
        .readFileSync(`/proc/${fs.readFileSync(pidFile, 'utf8').trim()}/cgroup`, 'utf8')
        .trim()
        .split('\n');
      return Object.fromEntries(lines.map((l) => l.split(':')).map(([, k, v]) => [k, v]));
    };
    const own = `${CGROUP_PREFIX}/${b.id}`;
    const all = cgroupOf(['--cgroup', 'sub']);
    assert.equal(all['memory'], `${own}/sub`);
    assert.equal(all['pids'], `${own}/sub`);
    assert.equal(all[''], `${own}/sub`, 'the cgroup2 directory of this hybrid host too');
    const some = cgroupOf(['--cgroup', 'memory:sub']);
    assert.equal(some['memory'], `${own}/sub`);
    assert.equal(some['pids'], own, "the other hierarchies stay the container's own");
    const missing = skiff(['exec', '--cgroup', 'nosuch', b.id, '/bin/true']);
    assert.equal(missing.code, 255);
    assert.match(missing.stderr, /exec --cgroup: .*nosuch does not exist/);
    const escape = skiff(['exec', '--cgroup', '../x', b.id, '/bin/true']);
    assert.equal(escape.code, 255);
    assert.match(escape.stderr, /a path below the container's cgroup/);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('personality flags: ignored with a warning, as runc does (the spec defines none); the domain applies', () => {
    const b = makeBundle((c) => {
      c.linux.personality = { domain: 'LINUX32', flags: ['SOMETHING'] };
      c.process.args = ['/bin/uname', '-m'];
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\/linux\/personality\/flags: ignored \(SOMETHING\): runtime-spec 1\.3\.0 defines no personality flags/);
    assert.match(r.stdout, /^i686$/m);
    assert.deepEqual(assertGone(b), []);
  });
});
