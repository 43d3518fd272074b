// The systemd driver's pure half: unit names, slice paths, and the unit properties skiff sends
// (checked against runc's translation). The D-Bus half runs in the systemd VM suite.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DEFAULT_DEVICE_RULES } from '../../src/cgroups/resources-v1';
import {
  cpuListToBytes,
  deviceProperties,
  expandSlice,
  parseSystemdPath,
  resourceProperties,
  scopeProperties,
  systemdManagesV1,
} from '../../src/cgroups/systemd';

const MAX = 18446744073709551615n;
const PROC_DEVICES = 'Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n189 usb_device\n\nBlock devices:\n  8 sd\n253 device-mapper\n';

describe('systemd driver: names', () => {
  test('expandSlice follows runc (and systemd) for nested slices', () => {
    assert.equal(expandSlice('-.slice'), '/');
    assert.equal(expandSlice('system.slice'), '/system.slice');
    assert.equal(
      expandSlice('kubepods-burstable-pod123.slice'),
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice',
    );
    for (const bad of ['.slice', 'system', 'a--b.slice', '-a.slice', 'a-.slice', 'a/b.slice', 'system.scope'])
      assert.throws(() => expandSlice(bad), /invalid slice name/, bad);
  });

  test('cgroupsPath "slice:prefix:name" → scope unit and its cgroup', () => {
    assert.deepEqual(parseSystemdPath('kubepods-besteffort.slice:cri-containerd:abc', 'x'), {
      slice: 'kubepods-besteffort.slice',
      unit: 'cri-containerd-abc.scope',
      cgroup: '/kubepods.slice/kubepods-besteffort.slice/cri-containerd-abc.scope',
    });
    assert.deepEqual(parseSystemdPath(undefined, 'ctr1'), {
      slice: 'system.slice',
      unit: 'skiff-ctr1.scope',
      cgroup: '/system.slice/skiff-ctr1.scope',
    });
    assert.deepEqual(parseSystemdPath('', 'ctr1'), parseSystemdPath(undefined, 'ctr1'));
    assert.equal(parseSystemdPath(':p:n', 'x').cgroup, '/system.slice/p-n.scope', 'empty slice: system.slice');
    assert.equal(parseSystemdPath('user.slice::n', 'x').unit, 'n.scope', 'empty prefix: just the name');
    assert.equal(parseSystemdPath('-.slice:p:n', 'x').cgroup, '/p-n.scope', 'the root slice');
  });

  test('bad systemd paths are clear errors', () => {
    assert.throws(() => parseSystemdPath('/a/b', 'x'), /must be "slice:prefix:name"/);
    assert.throws(() => parseSystemdPath('a.slice:p:', 'x'), /name part must not be empty/);
    assert.throws(() => parseSystemdPath('a.slice:p:pod.slice', 'x'), /slice as the container's own unit is not supported/);
    assert.throws(() => parseSystemdPath('a.slice:p:n m', 'x'), /not a valid systemd unit name/);
    assert.throws(() => parseSystemdPath('a.slice:p:n+1', 'x'), /not a valid systemd unit name/);
    assert.throws(() => parseSystemdPath('a--b.slice:p:n', 'x'), /invalid slice name/);
  });

  test('systemd manages the v1 hierarchies it knows; skiff makes the rest', () => {
    for (const k of ['cpu,cpuacct', 'memory', 'pids', 'blkio', 'devices', 'name=systemd']) assert.ok(systemdManagesV1(k), k);
    for (const k of ['cpuset', 'freezer', 'net_cls,net_prio', 'perf_event', 'hugetlb', 'rdma', 'misc']) assert.ok(!systemdManagesV1(k), k);
  });
});

describe('systemd driver: properties', () => {
  test('cpu lists become AllowedCPUs bitmasks (runc RangeToBits)', () => {
    assert.deepEqual(cpuListToBytes('0'), [1]);
    assert.deepEqual(cpuListToBytes('0-2,4'), [0b10111]);
    assert.deepEqual(cpuListToBytes('9'), [0, 2]);
    assert.deepEqual(cpuListToBytes('1,10-11'), [2, 0b1100]);
    assert.throws(() => cpuListToBytes('3-1'), /invalid/);
    assert.throws(() => cpuListToBytes('a'), /invalid/);
  });

  test('v2 resources: MemoryMax/Low/SwapMax, CPUWeight, quota rounded up to 10 ms, tasks, cpuset, IOWeight', () => {
    const props = resourceProperties(
      {
        memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
        cpu: { shares: 1024, quota: 20001, period: 100000, cpus: '0-1', mems: '0' },
        pids: { limit: 30 },
        blockIO: { weight: 500 },
      },
      true,
      252,
    );
    assert.deepEqual(props, [
      ['MemoryMax', 't', BigInt(64 << 20)],
      ['MemoryLow', 't', BigInt(32 << 20)],
      ['MemorySwapMax', 't', BigInt(32 << 20)],
      ['CPUWeight', 't', 39n],
      ['CPUQuotaPeriodUSec', 't', 100000n],
      ['CPUQuotaPerSecUSec', 't', 210000n],
      ['AllowedCPUs', 'ay', [3]],
      ['AllowedMemoryNodes', 'ay', [1]],
      ['TasksMax', 't', 30n],
      ['IOWeight', 't', 4950n],
    ]);
  });

  test('v1 resources: MemoryLimit, CPUShares, BlockIOWeight; -1 is infinity; old systemd gets fewer', () => {
    assert.deepEqual(
      resourceProperties(
        { memory: { limit: -1 }, cpu: { shares: 512, quota: -1, period: 50000 }, pids: { limit: -1 }, blockIO: { weight: 300 } },
        false,
        239,
      ),
      [
        ['MemoryLimit', 't', MAX],
        ['CPUShares', 't', 512n],
        ['CPUQuotaPerSecUSec', 't', MAX],
        ['TasksMax', 't', MAX],
        ['BlockIOWeight', 't', 300n],
      ],
    );
    assert.deepEqual(resourceProperties({ cpu: { cpus: '0' } }, true, 243), [], 'AllowedCPUs needs systemd 244');
    assert.deepEqual(resourceProperties(undefined, true, 252), []);
  });

  test('device rules become DevicePolicy=strict and DeviceAllow, like runc', () => {
    const d = deviceProperties(
      [
        { allow: false, access: 'rwm' },
        ...DEFAULT_DEVICE_RULES,
        { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
        { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
        { allow: true, type: 'c', major: 99, minor: -1, access: 'rw' },
        { allow: true, type: 'c', major: -1, minor: 3, access: 'r' },
      ],
      PROC_DEVICES,
    );
    const [policy, allow] = d.properties;
    assert.deepEqual(policy, ['DevicePolicy', 's', 'strict']);
    const entries = allow![2] as [string, string][];
    assert.ok(
      entries.some(([p, a]) => p === 'char-*' && a === 'm'),
      'mknod of any char device',
    );
    assert.ok(
      entries.some(([p, a]) => p === '/dev/char/1:3' && a === 'rwm'),
      '/dev/null',
    );
    assert.ok(
      entries.some(([p]) => p === 'char-pts'),
      'major 136 through /proc/devices',
    );
    assert.ok(entries.some(([p, a]) => p === '/dev/block/8:0' && a === 'r'));
    assert.deepEqual(d.skipped, ['c *:3 r', 'c 99:* rw'], 'a wildcard major with a minor, an unknown major');
  });

  test('a deny rule takes access away; no rules is deny-all; allow-all leaves systemd at "auto"', () => {
    assert.deepEqual(deviceProperties([], PROC_DEVICES).properties, [
      ['DevicePolicy', 's', 'strict'],
      ['DeviceAllow', 'a(ss)', []],
    ]);
    const d = deviceProperties(
      [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
        { allow: false, type: 'c', major: 1, minor: 5, access: 'r' },
      ],
      PROC_DEVICES,
    );
    assert.deepEqual(d.properties[1], ['DeviceAllow', 'a(ss)', [['/dev/char/1:3', 'rm']]]);
    const open = deviceProperties(
      [
        { allow: true, access: 'rwm' },
        { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' },
      ],
      PROC_DEVICES,
    );
    assert.deepEqual(open.properties, [
      ['DevicePolicy', 's', 'auto'],
      ['DeviceAllow', 'a(ss)', []],
    ]);
  });

  test('the scope: slice, pid, Delegate, no default dependencies, accounting per cgroup version', () => {
    const q = {
      devices: true,
      slice: 'system.slice',
      id: 'c1',
      pid: 4242,
      version: 252,
      deviceRules: [{ allow: true, access: 'rwm' }],
      procDevices: PROC_DEVICES,
    };
    const v2 = new Map(scopeProperties({ ...q, v2: true }).properties.map(([k, , v]) => [k, v]));
    assert.equal(v2.get('Description'), 'skiff container c1');
    assert.equal(v2.get('Slice'), 'system.slice');
    assert.deepEqual(v2.get('PIDs'), [4242]);
    assert.equal(v2.get('Delegate'), true);
    assert.equal(v2.get('DefaultDependencies'), false);
    assert.equal(v2.get('IOAccounting'), true);
    assert.ok(!v2.has('BlockIOAccounting'));
    const v1 = new Map(scopeProperties({ ...q, v2: false }).properties.map(([k, , v]) => [k, v]));
    assert.equal(v1.get('BlockIOAccounting'), true);
    assert.ok(!v1.has('IOAccounting'));
    // The user's instance applies no device policy: none is asked of it.
    const user = new Map(scopeProperties({ ...q, v2: true, devices: false }).properties.map(([k, , v]) => [k, v]));
    assert.ok(!user.has('DevicePolicy') && !user.has('DeviceAllow'));
    assert.ok(v2.has('DevicePolicy'));
  });

  test("the user's instance: user.slice by default, as runc's rootless mode", () => {
    assert.equal(parseSystemdPath(undefined, 'c1', { user: true }).slice, 'user.slice');
    assert.equal(parseSystemdPath(':libpod:c1', 'c1', { user: true }).cgroup, '/user.slice/libpod-c1.scope');
    assert.equal(parseSystemdPath(undefined, 'c1').slice, 'system.slice');
  });
});
