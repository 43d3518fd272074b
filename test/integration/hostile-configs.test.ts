// 500 generated hostile configs: each is a clear error or a contained container, never a crash,
// a hang, or anything left on the host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOTFS, assertGone, cleanupAll, makeBundle, skiff, tempDir } from '../helpers/skiff';

after(() => cleanupAll());

// A small deterministic PRNG, so a failure can be replayed by its index.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NUMBERS = [-1, -(2 ** 31), 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 63, 2 ** 64, 1e300, -1e300, 0.5, 65536, 4294967295];
const STRINGS = [
  '',
  'a\u0000b',
  '../../../../etc/shadow',
  '/..',
  '/proc/self/fd/0',
  'x'.repeat(70_000),
  '\n',
  'ünïcödé',
  '/dev/../../etc',
  '%s%n',
  '/proc/sysrq-trigger',
];

type Mutation = (c: any, r: () => number) => void;
const pick = <T>(a: T[], r: () => number): T => a[Math.floor(r() * a.length)]!;

const MUTATIONS: Mutation[] = [
  (c, r) => (c.process.user.uid = pick(NUMBERS, r)),
  (c, r) => (c.process.user.gid = pick(NUMBERS, r)),
  (c, r) => (c.process.user.additionalGids = [pick(NUMBERS, r), pick(NUMBERS, r)]),
  (c, r) => (c.process.user.umask = pick(NUMBERS, r)),
  (c, r) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: pick(NUMBERS, r), hard: pick(NUMBERS, r) }]),
  (c, r) => (c.process.rlimits = [{ type: pick(['RLIMIT_NOPE', 'RLIMIT_AS', ''], r), soft: 1, hard: 1 }]),
  (c, r) => (c.process.oomScoreAdj = pick(NUMBERS, r)),
  (c, r) => (c.process.args = [pick(STRINGS, r)]),
  (c, r) => (c.process.args = ['/bin/probe', '--out', '/out/probe.json', ...Array(5000).fill(pick(STRINGS.slice(0, 4), r))]),
  (c, r) => (c.process.env = [pick(STRINGS, r), `A=${pick(STRINGS, r)}`]),
  (c, _r) => (c.process.env = Array.from({ length: 20_000 }, (_, i) => `V${i}=${i}`)),
  (c, r) => (c.process.cwd = pick(STRINGS, r)),
  (c, r) => (c.hostname = pick(STRINGS, r)),
  (c, r) => (c.domainname = pick(STRINGS, r)),
  (c, r) => (c.process.capabilities.bounding = [pick(['CAP_SYS_ADMIN', 'CAP_NOPE', '', 'cap_chown', 'CAP_'.repeat(1000)], r)]),
  (c, r) => c.mounts.push({ destination: pick(STRINGS, r), type: 'tmpfs', source: 'tmpfs' }),
  (c, r) => c.mounts.push({ destination: '/data', type: 'bind', source: pick(STRINGS, r), options: ['rbind'] }),
  (c, r) =>
    c.mounts.push({
      destination: '/data',
      type: pick(['proc', 'sysfs', 'devpts', 'nope', 'cgroup2', ''], r),
      source: 'x',
      options: [pick(['ro', 'size=-1', 'mode=9999', 'bogus', 'rro', 'rbind'], r)],
    }),
  (c) => {
    for (let i = 0; i < 1500; i++) c.mounts.push({ destination: `/m/${i}`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] });
  },
  (c, r) =>
    (c.linux.namespaces = [
      ...c.linux.namespaces,
      {
        type: pick(['pid', 'bogus', 'user', 'time'], r),
        path: pick(['/proc/1/ns/pid', '/dev/null', '/nonexistent', '', '/proc/self/ns/net'], r),
      },
    ]),
  (c, r) => (c.linux.namespaces = [{ type: 'mount' }, { type: pick(['user', 'time', 'cgroup'], r) }]),
  (c, r) => (c.linux.uidMappings = [{ containerID: pick(NUMBERS, r), hostID: pick(NUMBERS, r), size: pick(NUMBERS, r) }]),
  (c, r) =>
    (c.linux.devices = [
      {
        path: pick(STRINGS, r),
        type: pick(['c', 'b', 'p', 'x'], r),
        major: pick(NUMBERS, r),
        minor: pick(NUMBERS, r),
        fileMode: pick(NUMBERS, r),
      },
    ]),
  (c, r) =>
    (c.linux.sysctl = {
      [pick(['../../../etc/x', 'kernel.hostname', 'net.ipv4.nope', 'vm.swappiness', ''], r)]: pick(['1', 'x'.repeat(5000), ''], r),
    }),
  (c, r) => (c.linux.maskedPaths = [pick(STRINGS, r), '/proc/../etc/passwd']),
  (c, r) => (c.linux.readonlyPaths = [pick(STRINGS, r)]),
  (c, r) => (c.linux.cgroupsPath = pick(['/', '', '..', '/../../x', 'relative/../../..', 'a:b:c'], r)),
  (c, r) => (c.linux.rootfsPropagation = pick(['shared', 'rslave', 'bogus', 'unbindable'], r)),
  (c, r) => (c.linux.timeOffsets = { monotonic: { secs: pick(NUMBERS, r), nanosecs: pick(NUMBERS, r) } }),
  (c, r) =>
    (c.linux.seccomp = {
      defaultAction: pick(['SCMP_ACT_ALLOW', 'SCMP_ACT_BOGUS', 'SCMP_ACT_ERRNO'], r),
      syscalls: [{ names: [pick(STRINGS, r)], action: 'SCMP_ACT_ERRNO', errnoRet: pick(NUMBERS, r) }],
    }),
  (c, r) => (c.process.consoleSize = { height: pick(NUMBERS, r), width: pick(NUMBERS, r) }),
  (c, r) => (c.root.path = pick(['/', '/etc/passwd', '/nonexistent', '', '../../..'], r)),
  (c, r) => (c.ociVersion = pick(['0.0.1', '', '99.0.0', 'x'], r)),
  (c, r) => (c.hooks = { poststart: [{ path: pick(STRINGS, r), timeout: pick(NUMBERS, r) }] }),
  (c, r) => (c.annotations = { [pick(STRINGS, r)]: pick(STRINGS, r) }),
];

describe('hostile configs', () => {
  test('500 generated configs: a clear error or a contained container, never a crash, hang or leftover', () => {
    const r = rng(20261127);
    const outcomes = { ran: 0, refused: 0 };
    // A private copy of the rootfs: create makes the mount points and cwd these configs name
    // ("\n", /m/0…) inside it, and the shared one must stay as make-rootfs.sh built it.
    const rootfs = path.join(tempDir('skiff-hostile-rootfs-'), 'rootfs');
    fs.cpSync(ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true });
    for (let i = 0; i < 500; i++) {
      const muts = [pick(MUTATIONS, r), ...(r() < 0.3 ? [pick(MUTATIONS, r)] : [])];
      const b = makeBundle((c) => {
        c.root.path = rootfs;
        c.process.args = ['/bin/true'];
        for (const m of muts) m(c, r);
      });
      const res = skiff(['run', '-b', b.dir, b.id], { timeout: 30_000 });
      const where = `case ${i} (mutations ${muts.map((m) => MUTATIONS.indexOf(m)).join(', ')})`;
      assert.ok(res.signal === null, `${where}: skiff was killed by ${res.signal}`);
      assert.ok(res.code === 0 || res.code === 1 || (res.code > 128 && res.code < 160), `${where}: exit ${res.code}: ${res.stderr}`);
      // Above 128: the container ran and its process died of a signal (e.g. a seccomp profile
      // that denies execve itself): contained, and reported as the process's status.
      if (res.code === 1) {
        assert.ok(res.stderr.trim().length > 0, `${where}: failed without a message`);
        assert.doesNotMatch(
          res.stderr,
          /\n\s+at |TypeError|RangeError|Segmentation|Aborted|core dumped/,
          `${where}: ${res.stderr.slice(0, 500)}`,
        );
        assert.ok(res.stderr.length < 20_000, `${where}: an error message of ${res.stderr.length} bytes: ${res.stderr.slice(0, 300)}`);
        outcomes.refused++;
      } else outcomes.ran++;
      assert.deepEqual(assertGone(b), [], where);
      fs.rmSync(b.dir, { recursive: true, force: true });
    }
    assert.ok(outcomes.refused > 100, `most hostile configs are refused (${JSON.stringify(outcomes)})`);
  });
});
