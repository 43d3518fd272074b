// A failed create is a clear one-line error, exit 1, and leaves nothing behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  SKIFF,
  STATE_ROOT,
  assertGone,
  cleanupAll,
  makeBundle,
  pidAlive,
  skiff,
  stateOf,
  tempDir,
  waitFor,
  type Bundle,
} from '../helpers/skiff';

after(() => cleanupAll());

function failsCleanly(b: Bundle, pattern: RegExp, extra: string[] = []): string {
  const r = skiff(['create', ...extra, '-b', b.dir, b.id]);
  assert.equal(r.code, 1, `create should fail: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(assertGone(b), []);
  return r.stderr;
}

describe('failures', () => {
  test('a missing executable', () => {
    const b = makeBundle((c) => (c.process.args = ['no-such-binary']));
    failsCleanly(b, /executable file not found in \$PATH/);
    const b2 = makeBundle((c) => (c.process.args = ['/bin/no-such-binary']));
    failsCleanly(b2, /no such file or directory/);
  });

  test('a file that is not executable', () => {
    const b = makeBundle((c) => (c.process.args = ['/etc/passwd']));
    failsCleanly(b, /permission denied/);
  });

  test('a bad mount source', () => {
    const b = makeBundle((c) =>
      c.mounts.push({ destination: '/data', type: 'bind', source: '/nonexistent/skiff/source', options: ['rbind'] }),
    );
    failsCleanly(b, /bind \/nonexistent\/skiff\/source on .*\/data: .*no such file or directory/);
  });

  test('a bad filesystem type', () => {
    const b = makeBundle((c) => c.mounts.push({ destination: '/data', type: 'nosuchfs', source: 'x' }));
    failsCleanly(b, /mount nosuchfs on .*\/data: ENODEV/);
  });

  test('a bad namespace path', () => {
    const b = makeBundle(
      (c) =>
        (c.linux.namespaces = c.linux.namespaces.map((n: any) =>
          n.type === 'network' ? { type: 'network', path: '/proc/self/ns/nonexistent' } : n,
        )),
    );
    failsCleanly(b, /network namespace \/proc\/self\/ns\/nonexistent: .*no such file or directory/);
    const b2 = makeBundle(
      (c) =>
        (c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'network' ? { type: 'network', path: '/etc/hostname' } : n))),
    );
    failsCleanly(b2, /network namespace \/etc\/hostname: not a namespace file/);
    const b3 = makeBundle(
      (c) => (c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'pid' ? { type: 'pid', path: '/nonexistent/pid' } : n))),
    );
    failsCleanly(b3, /pid namespace \/nonexistent\/pid/);
  });

  test('a missing rootfs and a missing bundle', () => {
    const b = makeBundle((c) => (c.root.path = '/nonexistent/rootfs'));
    failsCleanly(b, /rootfs .*\/nonexistent\/rootfs: no such file or directory/);
    const r = skiff(['create', '-b', '/nonexistent/bundle', 'x1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such file or directory/);
  });

  test('invalid config.json', () => {
    const b = makeBundle();
    fs.writeFileSync(path.join(b.dir, 'config.json'), '{"ociVersion": "1.3.0",\n  "process": }');
    failsCleanly(b, /line 2, column/);
    const b2 = makeBundle((c) => {
      c.process.cwd = 'relative';
      c.linux.namespaces.push({ type: 'bogus' });
    });
    const err = failsCleanly(b2, /\/process\/cwd/);
    assert.match(err, /\/linux\/namespaces\/\d+\/type/);
  });

  test('a cgroupsPath that is a hierarchy root is refused', () => {
    const b = makeBundle((c) => (c.linux.cgroupsPath = '/'));
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not a cgroup of its own/);
    assert.ok(!fs.existsSync(path.join('/run', b.id)));
  });

  test('terminal without --console-socket', () => {
    const b = makeBundle((c) => (c.process.terminal = true));
    failsCleanly(b, /console socket/);
  });

  test(
    '--systemd-cgroup where systemd does not run: a clear error, nothing left behind',
    { skip: fs.existsSync('/run/systemd/system') && 'systemd runs this host (the VM suite covers the driver)' },
    () => {
      const b = makeBundle((c) => (c.linux.cgroupsPath = 'system.slice:skiff:x'));
      const r = skiff(['--systemd-cgroup', 'create', '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /systemd is not running on this host \(no \/run\/systemd\/system\).*omit --systemd-cgroup/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(assertGone(b), []);
      // The path is checked first, whatever the host: a cgroupfs path is refused by name.
      const p = makeBundle((c) => (c.linux.cgroupsPath = '/skiff/x'));
      const r2 = skiff(['--systemd-cgroup', 'create', '-b', p.dir, p.id]);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /cgroupsPath.*must be "slice:prefix:name"/);
      assert.deepEqual(assertGone(p), []);
    },
  );

  test('invalid ids', () => {
    for (const id of ['../x', 'a/b', '']) {
      const r = skiff(['state', id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /container id|invalid/);
    }
  });

  test('errors go to --log as JSON lines and to stderr as one line', () => {
    const log = path.join(tempDir(), 'log.json');
    const r = skiff(['--log', log, '--log-format', 'json', 'state', 'no-such-container']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /container "no-such-container" does not exist/);
    const lines = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const last = lines[lines.length - 1];
    assert.equal(last.level, 'error');
    assert.match(last.msg, /does not exist/);
    assert.ok(!Number.isNaN(Date.parse(last.time)));
    // --log=FILE and --log-format=json forms
    const r2 = skiff([`--log=${log}`, '--log-format=json', 'kill', 'no-such-container']);
    assert.equal(r2.code, 1);
    assert.equal(fs.readFileSync(log, 'utf8').trim().split('\n').length, lines.length + 1);
    const text = path.join(tempDir(), 'log.txt');
    skiff(['--log', text, 'state', 'no-such-container']);
    assert.match(fs.readFileSync(text, 'utf8'), /level=error msg="container \\"no-such-container\\" does not exist"/);
  });

  test('the failing step reaches the caller: a hostile /dev/null is refused for masking', () => {
    // A read-only root with a rootfs whose mask target cannot be covered still fails as a message.
    const b = makeBundle((c) => (c.linux.sysctl = { 'net.nonexistent.key': '1' }));
    failsCleanly(b, /sysctl|net\/nonexistent/);
  });

  test('a container whose process exits right after start is stopped, and its pid is not reused as alive', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/true']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    assert.equal(skiff(['start', b.id]).code, 0);
    for (let i = 0; i < 500 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stateOf(b.id).status, 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b, pid), []);
  });
});

describe('a create killed half-way', () => {
  test('reads as stopped, and delete removes its init, cgroups and state', async () => {
    // A createRuntime hook holds create while the init exists but is not yet recorded.
    const b = makeBundle((c) => (c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '5'] }] }));
    const { spawn } = await import('node:child_process');
    const child = spawn(SKIFF, ['--root', STATE_ROOT, 'create', '-b', b.dir, b.id], { stdio: 'ignore' });
    await waitFor('creating', () => {
      try {
        return stateOf(b.id).status === 'creating';
      } catch {
        return false;
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const cg = `/sys/fs/cgroup/pids${b.config.linux.cgroupsPath}/cgroup.procs`;
    await waitFor('the init in its cgroup', () => fs.existsSync(cg) && fs.readFileSync(cg, 'utf8').trim() !== '');
    const orphan = Number(fs.readFileSync(cg, 'utf8').trim().split('\n')[0]);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    await waitFor('the orphaned init gone', () => !pidAlive(orphan));
    assert.deepEqual(assertGone(b), []);
  });
});
