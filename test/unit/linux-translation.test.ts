// The small translation modules of src/linux/: mount options, namespaces, devices, rlimits, signals.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { planDevices } from '../../src/linux/devices';
import { MS, parseMountOptions, propagationFlag } from '../../src/linux/mount-options';
import { CLONE, planNamespaces } from '../../src/linux/namespaces';
import { rlimitValue } from '../../src/linux/rlimits';
import { parseSignal, signalName } from '../../src/linux/signals';

describe('mount options (runc names)', () => {
  test('flags set and cleared in order; the last word wins', () => {
    assert.equal(parseMountOptions(['ro', 'nosuid', 'nodev']).flags, MS.RDONLY | MS.NOSUID | MS.NODEV);
    assert.equal(parseMountOptions(['ro', 'rw']).flags, 0);
    assert.equal(parseMountOptions(['rbind']).flags, MS.BIND | MS.REC);
    assert.equal(parseMountOptions(['strictatime', 'nostrictatime', 'noatime']).flags, MS.NOATIME);
    assert.equal(parseMountOptions(undefined).flags, 0);
  });

  test('propagation, recursive attributes, tmpcopyup, and the rest as filesystem data', () => {
    const o = parseMountOptions(['rprivate', 'rro', 'rnosuid', 'rrw', 'tmpcopyup', 'size=65536k', 'mode=755']);
    assert.deepEqual(o.propagation, [MS.PRIVATE | MS.REC]);
    assert.equal(o.attrSet, 0x2, 'rnosuid set; rro then undone by rrw');
    assert.equal(o.attrClr, 0x1);
    assert.equal(o.copyUp, true);
    assert.equal(o.data, 'size=65536k,mode=755');
    assert.equal(parseMountOptions(['rnoatime']).attrSet, 0x10);
    assert.equal(parseMountOptions(['rnoatime']).attrClr & 0x70, 0x60, 'an atime attribute clears the other atime modes');
    assert.equal(propagationFlag('runbindable'), MS.UNBINDABLE | MS.REC);
    assert.equal(propagationFlag(undefined), undefined);
    assert.equal(propagationFlag('sideways'), undefined);
  });
});

describe('namespaces', () => {
  test('new ones by clone, the cgroup and time ones by the init', () => {
    const p = planNamespaces([{ type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'cgroup' }, { type: 'time' }]);
    assert.equal(p.cloneFlags, CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWNET);
    assert.equal(p.newCgroupns, true);
    assert.equal(p.newTimens, true);
    assert.equal(p.unshareFlags, 0);
    assert.deepEqual(p.join, []);
    assert.equal(p.newUser, false);
  });

  test('joined by path in order (user first, mount last); with a joined user namespace the rest is unshared in it', () => {
    const p = planNamespaces([
      { type: 'mount', path: '/m' },
      { type: 'network' },
      { type: 'user', path: '/u' },
      { type: 'pid', path: '/p' },
      { type: 'ipc' },
    ]);
    assert.deepEqual(
      p.join.map((j) => j.type),
      ['user', 'mount'],
    );
    assert.equal(p.pidnsPath, '/p');
    assert.equal(p.unshareFlags, CLONE.NEWNET | CLONE.NEWIPC);
    assert.equal(p.cloneFlags, 0);
    assert.equal(p.newUser, false);
  });

  test('a new pid namespace inside a joined user namespace: made by the init after joining', () => {
    const p = planNamespaces([{ type: 'user', path: '/u' }, { type: 'pid' }, { type: 'mount' }]);
    assert.equal(p.newPidnsInJoinedUserns, true);
    assert.equal(p.cloneFlags, 0);
    assert.equal(p.unshareFlags, CLONE.NEWNS);
    assert.equal(planNamespaces([{ type: 'user' }, { type: 'pid' }]).newPidnsInJoinedUserns, false);
  });

  test('a new user namespace is cloned with the rest; an omitted type is not made (inherited)', () => {
    const p = planNamespaces([{ type: 'user' }, { type: 'uts' }]);
    assert.equal(p.cloneFlags, CLONE.NEWUSER | CLONE.NEWUTS);
    assert.equal(p.newUser, true);
    assert.equal(p.has.has('mount'), false);
    assert.equal(planNamespaces(undefined).cloneFlags, 0);
  });
});

describe('devices', () => {
  test('the default devices, then linux.devices (a path given again replaces it; u is c)', () => {
    const d = planDevices([
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5, gid: 6 },
      { path: '/dev/fuse', type: 'u', major: 10, minor: 229 },
      { path: '/dev/fifo', type: 'p' },
    ] as any);
    assert.deepEqual(
      d.map((x) => x.path),
      ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse', '/dev/fifo'],
    );
    assert.deepEqual(d[0], { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o600, uid: 5, gid: 6 });
    assert.deepEqual(d[6], { path: '/dev/fuse', type: 'c', major: 10, minor: 229, mode: 0o666, uid: 0, gid: 0 });
    assert.equal(d[7]!.type, 'p');
  });
});

describe('rlimits and signals', () => {
  test('2^63 and above is unlimited (-1); exact bigints pass through', () => {
    assert.equal(rlimitValue(1024), 1024);
    assert.equal(rlimitValue(2 ** 64 - 1), -1);
    assert.equal(rlimitValue(18446744073709551615n), -1);
    assert.equal(rlimitValue(9007199254740993n), 9007199254740993n);
  });

  test('signals as runc takes them: names with or without SIG, any case, numbers, RTMIN+n', () => {
    for (const s of ['KILL', 'SIGKILL', 'kill', '9']) assert.equal(parseSignal(s), 9);
    assert.equal(parseSignal('0'), 0);
    assert.equal(parseSignal('RTMIN+2'), 36);
    assert.equal(parseSignal('SIGRTMAX-1'), 63);
    assert.throws(() => parseSignal('65'), /invalid signal "65"/);
    assert.throws(() => parseSignal('NOPE'), /unknown signal "NOPE"/);
    assert.equal(signalName(15), 'SIGTERM');
  });
});
