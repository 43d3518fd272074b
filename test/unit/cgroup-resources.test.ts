// linux.resources → cgroup file writes (v1 and v2), runc's conversions, and the parsing of
// `update`'s input. Pure functions: no root, no cgroup touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DEFAULT_DEVICE_RULES,
  ResourceError,
  deviceWrites,
  effectiveDeviceRules,
  v1Writes,
  type CgroupWrite,
} from '../../src/cgroups/resources-v1';
import { blkioWeightToIoWeight, sharesToWeight, swapToV2, unifiedWrites, v2Writes } from '../../src/cgroups/resources-v2';
import { stringifyExact as toJson } from '../../src/spec/exact-integers';
import { parseDuration } from '../../src/commands/events';
import { checkResourcesJson, ramInBytes, resourcesFromFlags } from '../../src/commands/update';
import type { Resources } from '../../src/spec/types';

/** "controller file=value" lines: easy to compare, order included. */
const lines = (ws: CgroupWrite[]): string[] => ws.map((w) => `${w.file}=${w.value}`);
const find = (ws: CgroupWrite[], file: string): CgroupWrite | undefined => ws.find((w) => w.file === file);

// What docker and podman send to `runc update --resources -` (captured from the real callers).
const DOCKER_UPDATE = {
  memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 },
  cpu: { shares: 0, quota: 50000, period: 100000 },
  blockIO: { weight: 0 },
};
const PODMAN_UPDATE = { memory: { limit: 134217728, swap: 268435456 } };

describe('cgroup v1 translation', () => {
  test('memory: limit before memory+swap on a new cgroup; zeros are "not set"', () => {
    assert.deepEqual(lines(v1Writes(DOCKER_UPDATE as Resources)), [
      'memory.limit_in_bytes=67108864',
      'memory.memsw.limit_in_bytes=134217728',
      'cpu.cfs_period_us=100000',
      'cpu.cfs_quota_us=50000',
    ]);
    for (const w of v1Writes(DOCKER_UPDATE as Resources)) assert.equal(w.controller, w.file.split('.')[0]);
  });

  test('memory: swap first when it grows past the limit in force (runc setMemoryAndSwap)', () => {
    const r: Resources = { memory: { limit: 268435456, swap: 536870912 } };
    assert.deepEqual(lines(v1Writes(r, { currentMemoryLimit: 67108864n })), [
      'memory.memsw.limit_in_bytes=536870912',
      'memory.limit_in_bytes=268435456',
    ]);
    // Lowering: the limit first, or memsw would drop below it.
    const low: Resources = { memory: { limit: 16777216, swap: 33554432 } };
    assert.deepEqual(lines(v1Writes(low, { currentMemoryLimit: 268435456n })), [
      'memory.limit_in_bytes=16777216',
      'memory.memsw.limit_in_bytes=33554432',
    ]);
    // -1 swap is always raised first.
    assert.deepEqual(lines(v1Writes({ memory: { limit: 1048576, swap: -1 } }, { currentMemoryLimit: 2097152n })), [
      'memory.memsw.limit_in_bytes=-1',
      'memory.limit_in_bytes=1048576',
    ]);
  });

  test('memory: -1 without swap means both unlimited (memsw only where swap accounting exists)', () => {
    const ws = v1Writes({ memory: { limit: -1 } });
    assert.deepEqual(lines(ws), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
    assert.equal(find(ws, 'memory.memsw.limit_in_bytes')!.optional, true);
  });

  test('memory: reservation, OOM killer, swappiness; kernel memory ignored; kernelTCP where the file exists', () => {
    const ws = v1Writes({ memory: { reservation: 1000, disableOOMKiller: true, swappiness: 0, kernel: 1 << 20, kernelTCP: 1 << 20 } });
    assert.deepEqual(lines(ws), [
      'memory.soft_limit_in_bytes=1000',
      'memory.oom_control=1',
      'memory.swappiness=0',
      'memory.kmem.tcp.limit_in_bytes=1048576',
    ]);
    assert.equal(find(ws, 'memory.kmem.tcp.limit_in_bytes')!.optional, true, 'a kernel without the file only gets a warning');
    assert.deepEqual(lines(v1Writes({ memory: { swappiness: -1 } })), []);
    assert.throws(
      () => v1Writes({ memory: { swappiness: 101 } }),
      (e: Error) => e instanceof ResourceError && /0-100/.test(e.message),
    );
  });

  test('cpu and cpuset: runc order, cpuset first; period and burst retried after the quota on EINVAL', () => {
    const ws = v1Writes({
      cpu: {
        shares: 512,
        quota: 20000,
        period: 50000,
        burst: 1000,
        realtimePeriod: 1000000,
        realtimeRuntime: 950000,
        idle: 1,
        cpus: '0-1',
        mems: '0',
      },
    });
    assert.deepEqual(lines(ws), [
      'cpuset.cpus=0-1',
      'cpuset.mems=0',
      'cpu.shares=512',
      'cpu.cfs_period_us=50000',
      'cpu.cfs_burst_us=1000',
      'cpu.cfs_quota_us=20000',
      'cpu.rt_period_us=1000000',
      'cpu.rt_runtime_us=950000',
      'cpu.idle=1',
    ]);
    assert.equal(find(ws, 'cpu.cfs_period_us')!.retryOnEinval, true);
    assert.equal(find(ws, 'cpu.cfs_burst_us')!.retryOnEinval, true);
    assert.equal(find(ws, 'cpu.cfs_burst_us')!.optional, true, 'no burst knob before 5.14: ignored');
    assert.equal(find(ws, 'cpuset.cpus')!.controller, 'cpuset');
    assert.equal(find(ws, 'cpu.cfs_quota_us')!.controller, 'cpu');
    assert.deepEqual(lines(v1Writes({ cpu: { quota: -1 } })), ['cpu.cfs_quota_us=-1']);
  });

  test('pids: -1 is max, 0 is a real limit (runtime-spec)', () => {
    assert.deepEqual(lines(v1Writes({ pids: { limit: -1 } })), ['pids.max=max']);
    assert.deepEqual(lines(v1Writes({ pids: { limit: 0 } })), ['pids.max=0']);
    assert.deepEqual(lines(v1Writes({ pids: { limit: 32771 } })), ['pids.max=32771']);
  });

  test('blkio: BFQ files first with the CFQ ones as fallback; per-device weights and throttles', () => {
    const ws = v1Writes({
      blockIO: {
        weight: 10,
        leafWeight: 10,
        weightDevice: [
          { major: 8, minor: 0, weight: 500, leafWeight: 300 },
          { major: 8, minor: 16, weight: 500 },
        ],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 700 }],
        throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 80 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
    });
    assert.deepEqual(lines(ws), [
      'blkio.bfq.weight=10',
      'blkio.leaf_weight=10',
      'blkio.bfq.weight_device=8:0 500',
      'blkio.leaf_weight_device=8:0 300',
      'blkio.bfq.weight_device=8:16 500',
      'blkio.throttle.read_bps_device=8:0 600',
      'blkio.throttle.write_bps_device=8:0 700',
      'blkio.throttle.read_iops_device=8:0 80',
      'blkio.throttle.write_iops_device=8:16 300',
    ]);
    assert.deepEqual(find(ws, 'blkio.bfq.weight')!.fallback, { file: 'blkio.weight', value: '10' });
    assert.deepEqual(ws[2]!.fallback, { file: 'blkio.weight_device', value: '8:0 500' });
  });

  test('hugetlb (with the optional reservation file), network, rdma', () => {
    const ws = v1Writes({
      hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
      network: {
        classID: 1048577,
        priorities: [
          { name: 'eth0', priority: 500 },
          { name: 'eth1', priority: 1000 },
        ],
      },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } },
    });
    assert.deepEqual(lines(ws), [
      'hugetlb.2MB.limit_in_bytes=209715200',
      'hugetlb.2MB.rsvd.limit_in_bytes=209715200',
      'net_cls.classid=1048577',
      'net_prio.ifpriomap=eth0 500',
      'net_prio.ifpriomap=eth1 1000',
      'rdma.max=mlx4_0 hca_object=1000',
      'rdma.max=mlx5_1 hca_handle=3 hca_object=10000',
    ]);
    assert.equal(find(ws, 'hugetlb.2MB.rsvd.limit_in_bytes')!.optional, true);
    assert.deepEqual(
      ws.map((w) => w.controller),
      ['hugetlb', 'hugetlb', 'net_cls', 'net_prio', 'net_prio', 'rdma', 'rdma'],
    );
  });

  test('no resources, no devices: nothing to write', () => {
    assert.deepEqual(v1Writes({}), []);
  });
});

describe('cgroup v1 device rules (runc emulation)', () => {
  test("default: deny all first, then runc's allowed devices, sorted by major, minor, type", () => {
    const ws = v1Writes({}, { devices: true });
    assert.deepEqual(lines(ws), [
      'devices.deny=a *:* rwm',
      'devices.allow=b *:* m',
      'devices.allow=c *:* m',
      'devices.allow=c 1:3 rwm',
      'devices.allow=c 1:5 rwm',
      'devices.allow=c 1:7 rwm',
      'devices.allow=c 1:8 rwm',
      'devices.allow=c 1:9 rwm',
      'devices.allow=c 5:0 rwm',
      'devices.allow=c 5:1 rwm',
      'devices.allow=c 5:2 rwm',
      'devices.allow=c 10:200 rwm',
      'devices.allow=c 136:* rwm',
    ]);
    assert.ok(ws.every((w) => w.controller === 'devices'));
    assert.equal(ws[0]!.file, 'devices.deny', 'the deny-all comes before any allow');
  });

  test("the spec's example rules: linux.devices nodes get no rule of their own", () => {
    const rules = effectiveDeviceRules({
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
        { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      ],
    });
    assert.equal(rules.length, 3 + DEFAULT_DEVICE_RULES.length);
    const ws = lines(deviceWrites(rules));
    assert.equal(ws[0], 'devices.deny=a *:* rwm');
    assert.ok(ws.includes('devices.allow=c 10:229 rw'));
    assert.ok(ws.includes('devices.allow=b 8:0 r'), 'only what the rule grants');
    assert.equal(ws.filter((l) => l.includes('8:0')).length, 1);
  });

  test('a deny-all config grants nothing beyond the defaults (no over-grant for listed nodes)', () => {
    const ws = lines(deviceWrites(effectiveDeviceRules({ devices: [{ allow: false, access: 'rwm' }] })));
    assert.ok(!ws.some((l) => l.includes(' 1:11 ')), '/dev/kmsg (1:11) is not allowed');
  });

  test('a privileged container (allow all): one allow-all write, the default allows are no-ops', () => {
    assert.deepEqual(lines(deviceWrites(effectiveDeviceRules({ devices: [{ allow: true, access: 'rwm' }] }))), ['devices.allow=a *:* rwm']);
  });

  test('a deny-list: allow all, then the denies', () => {
    assert.deepEqual(lines(deviceWrites([{ allow: true }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }])), [
      'devices.allow=a *:* rwm',
      'devices.deny=c 1:3 w',
    ]);
  });

  test('later rules remove earlier exceptions; holes in wildcard rules are refused', () => {
    assert.deepEqual(
      lines(
        deviceWrites([
          { allow: false },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
        ]),
      ),
      ['devices.deny=a *:* rwm', 'devices.allow=c 1:3 rm'],
    );
    assert.throws(
      () =>
        deviceWrites([
          { allow: false },
          { allow: true, type: 'c', major: 136, access: 'rwm' },
          { allow: false, type: 'c', major: 136, minor: 1, access: 'rwm' },
        ]),
      /punch a hole/,
    );
    assert.throws(() => deviceWrites([{ allow: false, type: 'p', access: 'rwm' }]), /type "p"/);
    assert.throws(() => deviceWrites([{ allow: false, access: 'rwx' }]), /access "rwx"/);
  });
});

describe('cgroup v2 translation', () => {
  test("runc's cpu.shares → cpu.weight conversion", () => {
    assert.equal(sharesToWeight(0), 0);
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(512), 20);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(sharesToWeight(1), 1, 'below the kernel minimum: clamped, not wrapped');
  });

  test("runc's blkio weight → io.weight conversion", () => {
    assert.equal(blkioWeightToIoWeight(0), 0);
    assert.equal(blkioWeightToIoWeight(10), 1);
    assert.equal(blkioWeightToIoWeight(500), 4950);
    assert.equal(blkioWeightToIoWeight(1000), 10000);
  });

  test("runc's memory+swap → swap conversion", () => {
    assert.equal(swapToV2(0, -1), -1, 'memory unlimited, swap not given: both unlimited');
    assert.equal(swapToV2(-1, 1000), -1);
    assert.equal(swapToV2(0, 1000), 0);
    assert.equal(swapToV2(134217728, 67108864), 67108864);
    assert.equal(swapToV2(1000, 1000), 0);
    assert.throws(() => swapToV2(1000, 0), /without a memory limit/);
    assert.throws(() => swapToV2(1000, -1), /without a memory limit/);
    assert.throws(() => swapToV2(500, 1000), /must be >= limit/);
  });

  test("docker's and podman's update payloads", () => {
    assert.deepEqual(lines(v2Writes(DOCKER_UPDATE as Resources)), [
      'memory.swap.max=67108864',
      'memory.max=67108864',
      'cpu.max=50000 100000',
    ]);
    assert.deepEqual(lines(v2Writes(PODMAN_UPDATE)), ['memory.swap.max=134217728', 'memory.max=134217728']);
  });

  test('memory: limit == swap disables swap; reservation is memory.low; -1 is max', () => {
    const ws = v2Writes({ memory: { limit: 1 << 20, swap: 1 << 20, reservation: 1 << 19 } });
    assert.deepEqual(lines(ws), ['memory.swap.max=0', 'memory.max=1048576', 'memory.low=524288']);
    assert.equal(find(ws, 'memory.swap.max')!.optional, true, 'no swap accounting: nothing to disable');
    assert.deepEqual(lines(v2Writes({ memory: { limit: -1 } })), ['memory.swap.max=max', 'memory.max=max']);
    assert.deepEqual(lines(v2Writes({ memory: { limit: 0, swap: 0, reservation: 0 } })), []);
    assert.equal(
      find(v2Writes({ memory: { limit: 1000, swap: 3000 } }), 'memory.swap.max')!.optional,
      undefined,
      'a real swap limit must not be dropped',
    );
  });

  test('cpu: idle, weight, burst, cpu.max with the default period; realtime refused', () => {
    const ws = v2Writes({ cpu: { shares: 1024, quota: 50000, burst: 10000, idle: 0 } });
    assert.deepEqual(lines(ws), ['cpu.idle=0', 'cpu.weight=39', 'cpu.max.burst=10000', 'cpu.max=50000 100000']);
    assert.equal(find(ws, 'cpu.max.burst')!.retryOnEinval, true);
    assert.deepEqual(lines(v2Writes({ cpu: { period: 250000 } })), ['cpu.max=max 250000']);
    assert.deepEqual(lines(v2Writes({ cpu: { quota: -1, period: 100000 } })), ['cpu.max=max 100000']);
    assert.throws(
      () => v2Writes({ cpu: { realtimeRuntime: 950000 } }),
      (e: Error) => e instanceof ResourceError && /realtime/.test(e.message),
    );
  });

  test('io: BFQ weight with io.weight (converted) as fallback; io.max per device', () => {
    const ws = v2Writes({
      blockIO: {
        weight: 500,
        weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
        throttleReadBpsDevice: [{ major: 259, minor: 0, rate: 2097152 }],
        throttleWriteBpsDevice: [{ major: 259, minor: 0, rate: 1048576 }],
        throttleReadIOPSDevice: [{ major: 253, minor: 0, rate: 100 }],
        throttleWriteIOPSDevice: [{ major: 259, minor: 0, rate: 120 }],
      },
    });
    assert.deepEqual(lines(ws), [
      'io.bfq.weight=500',
      'io.bfq.weight=8:0 1000',
      'io.max=259:0 rbps=2097152',
      'io.max=259:0 wbps=1048576',
      'io.max=253:0 riops=100',
      'io.max=259:0 wiops=120',
    ]);
    assert.deepEqual(ws[0]!.fallback, { file: 'io.weight', value: '4950' });
    assert.deepEqual(ws[1]!.fallback, { file: 'io.weight', value: '8:0 10000' });
  });

  test('pids, cpuset, hugetlb (.max and .rsvd.max), rdma; order as runc', () => {
    const ws = v2Writes({
      rdma: { mlx5_1: { hcaHandles: 3 } },
      hugepageLimits: [{ pageSize: '1GB', limit: 1073741824 }],
      cpu: { cpus: '2-3', mems: '0' },
      pids: { limit: -1 },
      memory: { limit: 1 << 24 },
    });
    assert.deepEqual(lines(ws), [
      'pids.max=max',
      'memory.max=16777216',
      'cpuset.cpus=2-3',
      'cpuset.mems=0',
      'hugetlb.1GB.max=1073741824',
      'hugetlb.1GB.rsvd.max=1073741824',
      'rdma.max=mlx5_1 hca_handle=3',
    ]);
    assert.deepEqual(
      ws.map((w) => w.controller),
      ['pids', 'memory', 'cpuset', 'cpuset', 'hugetlb', 'hugetlb', 'rdma'],
    );
  });

  test('network is v1 only', () => {
    assert.throws(() => v2Writes({ network: { classID: 1 } }), /net_cls.*cgroup v2 has no equivalent/);
    assert.deepEqual(v2Writes({ network: {} }), []);
  });

  test('unified: passed through last, line by line, keys checked', () => {
    const ws = v2Writes({
      memory: { limit: 1 << 20 },
      unified: { 'io.max': '259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120', 'memory.high': '900000', 'cgroup.freeze': '0' },
    });
    assert.deepEqual(lines(ws), [
      'memory.max=1048576',
      'io.max=259:0 rbps=2097152 wiops=120',
      'io.max=253:0 rbps=2097152 wiops=120',
      'memory.high=900000',
      'cgroup.freeze=0',
    ]);
    assert.deepEqual(
      ws.slice(1).map((w) => w.controller),
      ['io', 'io', 'memory', 'cgroup'],
    );
    for (const bad of ['../memory.max', 'a/b.c', '..', '.', '', 'memorymax'])
      assert.throws(
        () => unifiedWrites({ [bad]: '1' }),
        (e: Error) => e instanceof ResourceError,
        `key ${JSON.stringify(bad)}`,
      );
  });

  test('devices are not v2 file writes', () => {
    assert.deepEqual(v2Writes({ devices: [{ allow: false, access: 'rwm' }] }), []);
  });
});

describe('update input', () => {
  test('memory sizes as docker/go-units parses them', () => {
    assert.equal(ramInBytes('memory', '1024'), 1024);
    assert.equal(ramInBytes('memory', '64m'), 64 * 1024 * 1024);
    assert.equal(ramInBytes('memory', '64MB'), 64 * 1024 * 1024);
    assert.equal(ramInBytes('memory', '1.5g'), 1.5 * 1024 ** 3);
    assert.equal(ramInBytes('memory', '512KiB'), 512 * 1024);
    assert.equal(ramInBytes('memory', '-1'), -1);
    assert.throws(() => ramInBytes('memory', 'lots'), /invalid value for --memory/);
  });

  test('flags → resources, only what was given', () => {
    assert.deepEqual(
      resourcesFromFlags({
        memory: '100m',
        memorySwap: '-1',
        cpuShare: '512',
        cpuQuota: '-1',
        cpuPeriod: '100000',
        cpusetCpus: '0',
        pidsLimit: '-1',
        blkioWeight: '300',
      }),
      {
        memory: { limit: 104857600, swap: -1 },
        cpu: { shares: 512, quota: -1, period: 100000, cpus: '0' },
        pids: { limit: -1 },
        blockIO: { weight: 300 },
      },
    );
    assert.deepEqual(resourcesFromFlags({ cpuShares: '2' }), { cpu: { shares: 2 } });
    assert.deepEqual(resourcesFromFlags({}), {});
    assert.throws(() => resourcesFromFlags({ kernelMemory: '1m' }), /--kernel-memory is not supported/);
    assert.throws(() => resourcesFromFlags({ l3CacheSchema: 'L3:0=f' }), /Intel RDT/);
    assert.throws(() => resourcesFromFlags({ cpuPeriod: '-5' }), /--cpu-period/);
  });

  test("--resources JSON: the callers' payloads pass, wrong types are named by path", () => {
    assert.deepEqual(checkResourcesJson(DOCKER_UPDATE, 'x'), DOCKER_UPDATE);
    assert.deepEqual(checkResourcesJson(PODMAN_UPDATE, 'x'), PODMAN_UPDATE);
    assert.throws(
      () => checkResourcesJson({ memory: { limit: '64m' } }, '--resources -'),
      /--resources -: \/memory\/limit: must be integer/,
    );
    assert.throws(() => checkResourcesJson([], 'x'), /must be a JSON object/);
    assert.throws(() => checkResourcesJson({ unified: { 'memory.max': 5 } }, 'x'), /\/unified\/memory.max: must be string/);
  });

  test('events --interval takes Go durations', () => {
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.throws(() => parseDuration('5'), /invalid duration/);
    assert.throws(() => parseDuration('fast'), /invalid duration/);
  });

  test('stats JSON keeps 64-bit counters exact', () => {
    assert.equal(
      toJson({ limit: 2n ** 63n - 4096n, max: 2n ** 64n - 1n, s: 'a"b', n: 1 }),
      '{"limit":9223372036854771712,"max":18446744073709551615,"s":"a\\"b","n":1}',
    );
  });
});
