// The cgroup v2 suite: runs INSIDE the VM (scripts/vm/run-in-vm.sh: pure cgroup2 with every
// controller), started by test/vm/cgroup-v2.test.ts. Not named *.test.ts: it must not run on a
// v1/hybrid host. Code here runs 10-20x slower than on the host and every skiff call costs about a
// second, so each test makes few calls and asserts on effects: the OOM kill, refused forks, cpu
// throttling, the freezer, io.max on a real block device.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';

import { cgKeyValues, cgRead, LAYOUT, procCgroups } from '../../helpers/cgroups';
import { assertGone, cleanupAll, makeBundle, pidAlive, skiff, stateOf, waitFor } from '../../helpers/skiff';

after(() => cleanupAll());

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cgp = (b: { config: any }): string => b.config.linux.cgroupsPath;
const v2 = (b: { config: any }, file: string): string => cgRead('', cgp(b), file);

function ok(args: string[], opts: Parameters<typeof skiff>[1] = {}): string {
  const r = skiff(args, opts);
  assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The VM's null disk: a real block device for io.max. */
function vda(): { major: number; minor: number } | undefined {
  try {
    const [major, minor] = fs.readFileSync('/sys/block/vda/dev', 'utf8').trim().split(':').map(Number);
    return { major: major!, minor: minor! };
  } catch {
    return undefined;
  }
}

describe(
  'cgroup v2 (VM)',
  { skip: LAYOUT.mode !== 'unified' && 'needs a pure cgroup v2 host: run through test/vm/cgroup-v2.test.ts' },
  () => {
    test("every resource lands in its v2 file, with runc's conversions; the init is born in the cgroup", () => {
      const dev = vda();
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sleep', '1000'];
        c.linux.resources = {
          memory: { limit: 64 * MiB, swap: 96 * MiB, reservation: 32 * MiB },
          cpu: { shares: 1024, quota: 20000, period: 100000, burst: 5000, cpus: '0', mems: '0', idle: 0 },
          pids: { limit: 30 },
          blockIO: {
            weight: 500,
            ...(dev ? { throttleReadBpsDevice: [{ ...dev, rate: 1048576 }], throttleWriteIOPSDevice: [{ ...dev, rate: 120 }] } : {}),
          },
          hugepageLimits: [{ pageSize: '2MB', limit: 4 * MiB }],
          unified: { 'memory.high': String(15000 * 4096) },
        };
      });
      ok(['create', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      assert.deepEqual([...procCgroups(pid)], [['', cgp(b)]], "one cgroup2 line, the container's path");
      assert.equal(v2(b, 'memory.max'), String(64 * MiB));
      assert.equal(v2(b, 'memory.swap.max'), String(32 * MiB), 'swap = memory+swap − memory');
      assert.equal(v2(b, 'memory.low'), String(32 * MiB));
      assert.equal(v2(b, 'memory.high'), String(15000 * 4096), 'unified passes through');
      assert.equal(v2(b, 'cpu.weight'), '39', 'shares 1024 → weight 39');
      assert.equal(v2(b, 'cpu.max'), '20000 100000');
      assert.equal(v2(b, 'cpu.max.burst'), '5000');
      assert.equal(v2(b, 'cpu.idle'), '0');
      assert.equal(v2(b, 'cpuset.cpus'), '0');
      assert.equal(v2(b, 'pids.max'), '30');
      const weight = fs.existsSync(path.join(LAYOUT.unified!, cgp(b), 'io.bfq.weight')) ? v2(b, 'io.bfq.weight') : v2(b, 'io.weight');
      assert.match(weight, /^default (500|4950)$/m, 'blkio weight 500 → io.bfq.weight 500 or io.weight 4950');
      if (dev) assert.match(v2(b, 'io.max'), new RegExp(`^${dev.major}:${dev.minor} rbps=1048576 wbps=max riops=max wiops=120$`, 'm'));
      assert.equal(v2(b, 'hugetlb.2MB.max'), String(4 * MiB));
      ok(['delete', b.id]);
      assert.deepEqual(assertGone(b, pid), []);
    });

    test('a memory hog is OOM-killed (memory.events oom_kill)', async () => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sh', '-c', 'x=0123456789; while :; do x=$x$x; done'];
        c.linux.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
      });
      ok(['create', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      ok(['start', b.id]);
      await waitFor('the OOM kill', () => !pidAlive(pid), 120_000);
      assert.ok(cgKeyValues('', cgp(b), 'memory.events').oom_kill! >= 1, v2(b, 'memory.events'));
      assert.equal(v2(b, 'memory.swap.max'), '0', 'limit == memory+swap: no swap');
      ok(['delete', b.id]);
      assert.deepEqual(assertGone(b, pid), []);
    });

    test('pids.max refuses forks', async () => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sh', '-c', 'for i in $(seq 30); do sleep 100 & done; wait'];
        c.linux.resources = { pids: { limit: 8 } };
      });
      ok(['run', '-d', '-b', b.dir, b.id]);
      await waitFor('refused forks', () => (cgKeyValues('', cgp(b), 'pids.events').max ?? 0) > 0, 60_000);
      assert.ok(Number(v2(b, 'pids.current')) <= 8);
      ok(['delete', '--force', b.id]);
      assert.deepEqual(assertGone(b), []);
    });

    test('cpu.max throttles; pause freezes (cgroup.freeze), resume thaws; kill --all', async () => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sh', '-c', 'while :; do :; done'];
        c.linux.resources = { cpu: { quota: 20000, period: 100000 } };
      });
      ok(['run', '-d', '-b', b.dir, b.id]);
      await waitFor('throttling', () => (cgKeyValues('', cgp(b), 'cpu.stat').nr_throttled ?? 0) >= 3, 60_000);
      ok(['pause', b.id]);
      assert.equal(v2(b, 'cgroup.freeze'), '1');
      assert.match(v2(b, 'cgroup.events'), /^frozen 1$/m);
      assert.equal(stateOf(b.id).status, 'paused');
      const usage = cgKeyValues('', cgp(b), 'cpu.stat').usage_usec;
      await sleep(500);
      assert.equal(cgKeyValues('', cgp(b), 'cpu.stat').usage_usec, usage, 'no cpu time while frozen');
      ok(['resume', b.id]);
      assert.match(v2(b, 'cgroup.events'), /^frozen 0$/m);
      await waitFor('cpu time again', () => cgKeyValues('', cgp(b), 'cpu.stat').usage_usec! > usage!, 30_000);
      ok(['kill', '--all', b.id, 'KILL']);
      await waitFor('cgroup.kill to empty the cgroup', () => /^populated 0$/m.test(v2(b, 'cgroup.events')), 30_000);
      ok(['delete', b.id]);
      assert.deepEqual(assertGone(b), []);
    });

    test('io.max throttles reads from a block device (io.stat counts them)', { skip: !vda() && 'no /dev/vda in this VM' }, async () => {
      const dev = vda()!;
      const b = makeBundle((c) => {
        c.process.args = [
          '/bin/sh',
          '-c',
          'a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/vda of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null; b=$(cut -d" " -f1 /proc/uptime); echo "$a $b" > /out/io.txt',
        ];
        c.linux.devices = [{ path: '/dev/vda', type: 'b', major: dev.major, minor: dev.minor }];
        // The node is allowed by a rule, as callers send one with each device they add.
        c.linux.resources = {
          devices: [{ allow: true, type: 'b', major: dev.major, minor: dev.minor, access: 'r' }],
          blockIO: { throttleReadBpsDevice: [{ ...dev, rate: MiB }] },
        };
      });
      ok(['create', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      ok(['start', b.id]);
      await waitFor('the read', () => !pidAlive(pid), 60_000);
      const [t0, t1] = fs.readFileSync(path.join(b.out, 'io.txt'), 'utf8').trim().split(' ').map(Number);
      assert.ok(t1! - t0! >= 1.5, `2 MiB at 1 MiB/s took ${(t1! - t0!).toFixed(2)} s`);
      const stat = v2(b, 'io.stat');
      const rbytes = Number(new RegExp(`^${dev.major}:${dev.minor} .*rbytes=(\\d+)`, 'm').exec(stat)?.[1] ?? 0);
      assert.ok(rbytes >= 2 * MiB, `io.stat: ${stat}`);
      ok(['delete', b.id]);
      assert.deepEqual(assertGone(b, pid), []);
    });

    test('update --resources - and flags on v2; events --stats and ps', () => {
      const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
      ok(['run', '-d', '-b', b.dir, b.id]);
      const pid = stateOf(b.id).pid;
      // docker's payload: memory+swap 128 MiB for 64 MiB of memory → 64 MiB of swap.
      ok(['update', '--resources', '-', b.id], {
        input:
          '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":50000,"period":100000},"blockIO":{"weight":0}}',
      });
      assert.equal(v2(b, 'memory.max'), '67108864');
      assert.equal(v2(b, 'memory.swap.max'), '67108864');
      assert.equal(v2(b, 'cpu.max'), '50000 100000');
      ok(['update', '--cpu-period', '200000', '--cpu-share', '2', '--pids-limit', '50', b.id]);
      assert.equal(v2(b, 'cpu.max'), '50000 200000', 'the quota stays when only the period changes');
      assert.equal(v2(b, 'cpu.weight'), '1');
      assert.equal(v2(b, 'pids.max'), '50');
      const ev = JSON.parse(ok(['events', '--stats', b.id]));
      assert.equal(ev.type, 'stats');
      assert.equal(ev.data.memory.usage.limit, 67108864);
      assert.ok(ev.data.memory.usage.usage > 0);
      assert.equal(ev.data.pids.limit, 50);
      assert.ok(ev.data.cpu.usage.total > 0);
      assert.deepEqual(JSON.parse(ok(['ps', '--format', 'json', b.id])), [pid]);
      ok(['delete', '--force', b.id]);
      assert.deepEqual(assertGone(b, pid), []);
    });

    test(
      'device rules: the eBPF device filter denies an open of a device not allowed',
      { skip: !vda() && 'no /dev/vda in this VM' },
      () => {
        const dev = vda()!;
        // runc's default rules allow mknod of any node but no block device I/O: the node is made, its
        // open is refused by the cgroup's eBPF program; /dev/zero (allowed) still reads.
        const b = makeBundle((c) => {
          c.root.readonly = false;
          c.process.capabilities = { bounding: ['CAP_MKNOD'], effective: ['CAP_MKNOD'], permitted: ['CAP_MKNOD'] };
          c.process.args = [
            '/bin/sh',
            '-c',
            `head -c1 /dev/zero >/dev/null && echo zero-ok; mknod /dev/vda-node b ${dev.major} ${dev.minor} 2>&1 && echo mknod-ok; head -c1 /dev/vda-node >/dev/null 2>&1 && echo vda-ok || echo vda-denied`,
          ];
          c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
        });
        const r = skiff(['run', '-b', b.dir, b.id]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /zero-ok/);
        assert.match(r.stdout, /mknod-ok/);
        assert.match(r.stdout, /vda-denied/);
        assert.deepEqual(assertGone(b), []);
        // A linux.devices entry gets no rule of its own (runc's behaviour): deny-all denies it; a
        // rule in resources.devices allows it.
        for (const [rules, want] of [
          [[{ allow: false, access: 'rwm' }], /vda-denied/],
          [
            [
              { allow: false, access: 'rwm' },
              { allow: true, type: 'b', major: dev.major, minor: dev.minor, access: 'r' },
            ],
            /vda-ok/,
          ],
        ] as const) {
          const d = makeBundle((c) => {
            c.process.args = ['/bin/sh', '-c', 'head -c1 /dev/vda >/dev/null 2>&1 && echo vda-ok || echo vda-denied'];
            c.linux.devices = [{ path: '/dev/vda', type: 'b', major: dev.major, minor: dev.minor }];
            c.linux.resources = { devices: rules };
          });
          const r2 = skiff(['run', '-b', d.dir, d.id]);
          assert.equal(r2.code, 0, r2.stderr);
          assert.match(r2.stdout, want);
          assert.deepEqual(assertGone(d), []);
        }
      },
    );

    test('AppArmor: a profile loaded with apparmor_parser confines the process (a denied write)', async (t) => {
      const parser = '/var/cache/skiff-vm/apparmor/sbin/apparmor_parser';
      if (!fs.existsSync(parser)) return t.skip('apparmor_parser was not unpacked (no apt access)');
      if (!fs.existsSync('/sys/kernel/security/apparmor')) {
        fs.mkdirSync('/sys/kernel/security', { recursive: true });
        spawnSync('mount', ['-t', 'securityfs', 'securityfs', '/sys/kernel/security']);
      }
      if (fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() !== 'Y')
        return t.skip('AppArmor is not enabled in this kernel');
      const profile = path.join('/tmp', 'skiff-test-profile');
      fs.writeFileSync(
        profile,
        `profile skiff-test-deny flags=(attach_disconnected,mediate_deleted) {
  capability, network, mount, umount, pivot_root, ptrace, signal, unix, file,
  deny /tmp/denied w,
}
`,
      );
      const load = spawnSync(parser, ['-r', '-K', profile], { encoding: 'utf8' });
      assert.equal(load.status, 0, `apparmor_parser: ${load.stderr}`);
      const b = makeBundle((c) => {
        c.root.readonly = false;
        c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
        c.process.apparmorProfile = 'skiff-test-deny';
        c.process.args = [
          '/bin/sh',
          '-c',
          'echo x > /tmp/allowed && echo allowed-ok; (echo x > /tmp/denied) 2>/dev/null && echo denied-WROTE || echo denied-refused; cat /proc/self/attr/current',
        ];
      });
      const r = skiff(['run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /allowed-ok/);
      assert.match(r.stdout, /denied-refused/);
      assert.match(r.stdout, /skiff-test-deny \(enforce\)/);
      assert.deepEqual(assertGone(b), []);
      // exec --apparmor applies a profile to one process.
      const e = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
      ok(['run', '-d', '-b', e.dir, e.id]);
      const x = skiff(['exec', '--apparmor', 'skiff-test-deny', e.id, 'cat', '/proc/self/attr/current']);
      assert.equal(x.code, 0, x.stderr);
      assert.match(x.stdout, /skiff-test-deny \(enforce\)/);
      ok(['delete', '--force', e.id]);
    });
  },
);
