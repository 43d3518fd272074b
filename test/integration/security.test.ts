// runc's CVE history as a checklist: each case is a hostile bundle or caller that must not reach
// the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  ROOT,
  ROOTFS,
  SKIFF,
  STATE_ROOT,
  assertGone,
  cleanupAll,
  makeBundle,
  run,
  skiff,
  stateOf,
  tempDir,
  waitProbe,
} from '../helpers/skiff';

after(() => cleanupAll());

/** A private copy of the test rootfs that a test may make hostile. */
function hostileRootfs(): string {
  const dir = path.join(tempDir('skiff-hostile-'), 'rootfs');
  execFileSync('cp', ['-a', ROOTFS, dir]);
  return dir;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('CVE-2019-5736: the runtime binary cannot be overwritten through /proc/<pid>/exe', () => {
  test('the init runs from a sealed memfd and is not dumpable', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    assert.match(fs.readlinkSync(`/proc/${pid}/exe`), /^\/memfd:skiff-init/);
    // Even the host's root cannot write through it: the memfd is sealed against writes.
    assert.throws(() => fs.openSync(`/proc/${pid}/exe`, 'r+'), /ETXTBSY|EPERM|EACCES/);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    assert.match(status, /^Uid:\s+0/m);
    // Non-dumpable: /proc/<pid>/environ and mem are not readable by the container's root either;
    // the mark is visible as the owner of /proc/<pid> entries staying root.
    const before = sha256(path.join(ROOT, 'build/Release/skiff-init'));
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.equal(sha256(path.join(ROOT, 'build/Release/skiff-init')), before);
  });

  test('a container process writing /proc/<pid>/exe of every process it sees, while execs run', async () => {
    const b = makeBundle((c) => {
      c.process.args = [
        '/bin/sh',
        '-c',
        'while :; do for e in /proc/[0-9]*/exe; do (echo pwned > "$e") 2>/dev/null && echo "wrote $e" >> /out/wrote; done; done',
      ];
    });
    fs.chmodSync(b.out, 0o777);
    const init = sha256(path.join(ROOT, 'build/Release/skiff-init'));
    const node = sha256(process.execPath);
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    for (let i = 0; i < 15; i++) assert.equal(skiff(['exec', b.id, 'true']).code, 0);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.equal(sha256(path.join(ROOT, 'build/Release/skiff-init')), init);
    assert.equal(sha256(process.execPath), node);
    assert.ok(
      !fs.existsSync(path.join(b.out, 'wrote')),
      fs.existsSync(path.join(b.out, 'wrote')) ? fs.readFileSync(path.join(b.out, 'wrote'), 'utf8') : '',
    );
  });
});

describe('CVE-2024-21626: leaked host fds', () => {
  test('an fd skiff inherited (not preserved) never reaches the container, not even as cwd', () => {
    const b = makeBundle((c) => (c.process.cwd = '/proc/self/fd/7'));
    const r = run('/bin/sh', ['-c', `exec 7</ ; exec "${SKIFF}" --root "${STATE_ROOT}" run -b "${b.dir}" ${b.id}`]);
    assert.notEqual(r.code, 0, 'cwd through a leaked fd must fail');
    assert.match(r.stderr, /\/proc\/self\/fd\/7/);
    assert.deepEqual(assertGone(b), []);

    const b2 = makeBundle();
    const r2 = run('/bin/sh', ['-c', `exec 7</ 8</etc; exec "${SKIFF}" --root "${STATE_ROOT}" run -b "${b2.dir}" ${b2.id}`]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(
      b2.probe().fds.map((f: any) => f.fd),
      [0, 1, 2],
    );
  });

  test('exec does not leak fds either', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    const r = run('/bin/sh', ['-c', `exec 7</ ; exec "${SKIFF}" --root "${STATE_ROOT}" exec ${b.id} ls /proc/self/fd`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['0', '1', '2', '3'], "stdio and ls's own directory fd");
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
  });
});

describe('symlink escapes (CVE-2021-30465, CVE-2019-19921, CVE-2025-31133 and relatives)', () => {
  test('a mount destination that is a symlink out of the rootfs lands inside it', () => {
    const rootfs = hostileRootfs();
    const victim = tempDir('skiff-victim-');
    fs.symlinkSync(victim, path.join(rootfs, 'evil'));
    fs.symlinkSync('../../../../../../..' + victim, path.join(rootfs, 'evil2'));
    const b = makeBundle((c) => {
      c.root.path = rootfs;
      c.mounts.push(
        { destination: '/evil', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/evil2/sub', type: 'tmpfs', source: 'tmpfs' },
      );
      c.process.args = ['/bin/sh', '-c', 'touch /evil/inside /evil2/sub/inside2'];
      c.root.readonly = false;
    });
    const before = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(victim), [], 'nothing was mounted on or written to the host directory');
    assert.equal(
      fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => l.includes(victim)).length,
      0,
    );
    assert.ok(fs.existsSync(path.join(rootfs, victim)), 'the symlink was followed inside the rootfs');
    void before;
  });

  test('/proc as a symlink is refused', () => {
    const rootfs = hostileRootfs();
    fs.rmSync(path.join(rootfs, 'proc'), { recursive: true });
    fs.mkdirSync(path.join(rootfs, 'fakeproc'));
    fs.symlinkSync('/fakeproc', path.join(rootfs, 'proc'));
    const b = makeBundle((c) => (c.root.path = rootfs));
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mount proc on .*: the destination must be a directory, not a symlink/);
    assert.deepEqual(assertGone(b), []);
  });

  test('/sys as a symlink into /proc is refused', () => {
    const rootfs = hostileRootfs();
    fs.rmSync(path.join(rootfs, 'sys'), { recursive: true });
    fs.symlinkSync('/proc/self', path.join(rootfs, 'sys'));
    const b = makeBundle((c) => (c.root.path = rootfs));
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sysfs/);
    assert.deepEqual(assertGone(b), []);
  });

  test('a /dev/null that is not the null device is never used to mask (CVE-2025-31133)', () => {
    const devdir = tempDir('skiff-fakedev-');
    fs.writeFileSync(path.join(devdir, 'null'), 'not a device');
    const b = makeBundle((c) => {
      c.mounts = c.mounts.filter((m: any) => !m.destination.startsWith('/dev'));
      c.mounts.push({ destination: '/dev', type: 'bind', source: devdir, options: ['rbind', 'rw'] });
    });
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/dev\/null is not the null device/);
    assert.deepEqual(assertGone(b), []);
  });

  test('a bind mount source is taken as given, a destination with .. stays inside', () => {
    const b = makeBundle((c) => {
      c.mounts.push({ destination: '/../../../../tmp/skiff-escape', type: 'tmpfs', source: 'tmpfs' });
      c.process.args = ['/bin/true'];
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync('/tmp/skiff-escape'));
    // The mount point went where it belongs, inside the rootfs; the shared rootfs keeps nothing.
    const inside = path.join(ROOTFS, 'tmp/skiff-escape');
    assert.ok(fs.existsSync(inside));
    fs.rmdirSync(inside);
    assert.deepEqual(assertGone(b), []);
  });
});

describe('hostile /etc/passwd', () => {
  for (const kind of ['fifo', 'loop', 'huge', 'binary']) {
    test(`a ${kind} /etc/passwd neither hangs nor breaks the container`, () => {
      const rootfs = hostileRootfs();
      const pw = path.join(rootfs, 'etc/passwd');
      fs.rmSync(pw);
      if (kind === 'fifo') execFileSync('mkfifo', [pw]);
      if (kind === 'loop') fs.symlinkSync('/etc/passwd', pw);
      if (kind === 'huge') fs.writeFileSync(pw, 'x:x:1:1::/x:/bin/sh\n'.repeat(600_000));
      if (kind === 'binary') fs.writeFileSync(pw, crypto.randomBytes(1 << 20));
      const b = makeBundle((c) => (c.root.path = rootfs));
      const t = Date.now();
      const r = skiff(['run', '-b', b.dir, b.id], { timeout: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t < 10_000);
      assert.ok(b.probe().env.includes('HOME=/'));
      assert.deepEqual(assertGone(b), []);
    });
  }
});

void waitProbe;
