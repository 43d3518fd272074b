// cgroups on this host, with real containers: placement on every hierarchy, limits enforced (a
// memory hog is OOM-killed, a fork bomb stops at pids.max, the freezer stops a busy loop), and
// pause/resume/update/ps/events/kill --all. Every container uses an absolute cgroupsPath under the
// harness's CGROUP_PREFIX; nothing else on the host is touched.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { state as stateValidator } from '../../src/spec/generated/validators';
import { LAYOUT, cgDir, cgKeyValues, cgRead, cpuTicks, procCgroups, skiffBackground, within } from '../helpers/cgroups';
import { assertGone, cleanupAll, makeBundle, pidAlive, run, skiff, stateOf, tempDir, waitFor } from '../helpers/skiff';

after(() => cleanupAll());

const v1 = LAYOUT.mode !== 'unified';
const has = (c: string): boolean => LAYOUT.v1.has(c);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

// The payloads docker and podman give `runc update` (copied from their real invocations).
const DOCKER_UPDATE =
  '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":50000,"period":100000},"blockIO":{"weight":0}}';
const PODMAN_UPDATE = '{\n  "memory": {\n    "limit": 134217728,\n    "swap": 268435456\n  }\n}';

function ok(args: string[], opts: Parameters<typeof skiff>[1] = {}): string {
  const r = skiff(args, opts);
  assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function fails(args: string[], pattern: RegExp, opts: Parameters<typeof skiff>[1] = {}): string {
  const r = skiff(args, opts);
  assert.equal(r.code, 1, `skiff ${args.join(' ')} should fail: ${r.stdout}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  return r.stderr;
}

const cgp = (b: { config: any }): string => b.config.linux.cgroupsPath;

describe('cgroups (this host)', { skip: !v1 && 'these tests are for v1/hybrid hosts; pure v2 runs in the VM suite' }, () => {
  test('the init is in its cgroup on every hierarchy before create returns', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    ok(['create', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    const cg = procCgroups(pid);
    assert.ok(cg.size > 1, 'v1 hierarchies are listed');
    for (const [controllers, p] of cg) assert.equal(p, cgp(b), `hierarchy "${controllers || 'cgroup2'}"`);
    if (LAYOUT.unified) assert.equal(cg.get(''), cgp(b), 'hybrid: in the cgroup2 hierarchy too');
    for (const c of LAYOUT.v1.keys())
      assert.ok(
        fs
          .readFileSync(path.join(cgDir(c, cgp(b)), 'cgroup.procs'), 'utf8')
          .split('\n')
          .includes(String(pid)),
        c,
      );
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test('limits from config.json are in place before the process runs; devices deny-all first', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sleep', '1000'];
      c.linux.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
        ],
        memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB, swappiness: 10, disableOOMKiller: false },
        cpu: { shares: 512, quota: 25000, period: 50000, cpus: '0', mems: '0' },
        pids: { limit: 64 },
      };
    });
    ok(['create', '-b', b.dir, b.id]);
    const p = cgp(b);
    assert.equal(cgRead('memory', p, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cgRead('memory', p, 'memory.soft_limit_in_bytes'), String(32 * MiB));
    if (fs.existsSync(path.join(cgDir('memory', p), 'memory.memsw.limit_in_bytes')))
      assert.equal(cgRead('memory', p, 'memory.memsw.limit_in_bytes'), String(96 * MiB));
    assert.equal(cgRead('memory', p, 'memory.swappiness'), '10');
    assert.equal(cgRead('cpu', p, 'cpu.shares'), '512');
    assert.equal(cgRead('cpu', p, 'cpu.cfs_quota_us'), '25000');
    assert.equal(cgRead('cpu', p, 'cpu.cfs_period_us'), '50000');
    assert.equal(cgRead('cpuset', p, 'cpuset.cpus'), '0');
    assert.equal(cgRead('pids', p, 'pids.max'), '64');
    const devices = cgRead('devices', p, 'devices.list').split('\n');
    assert.ok(!devices.includes('a *:* rwm'), 'not allow-all any more');
    for (const rule of ['c 10:229 rw', 'c 1:3 rwm', 'c 136:* rwm', 'c *:* m'])
      assert.ok(devices.includes(rule), `${rule} in ${devices.join(', ')}`);
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b), []);
  });

  test('device rules are enforced: a node the rules do not allow cannot be opened', () => {
    // /dev/kmsg opened for writing (nothing written): allowed to root by the kernel, not by the rules.
    const script = 'mknod /dev/k c 1 11 && echo mknod-ok; (: > /dev/k) 2>/dev/null && echo open-ok; echo x > /dev/null && echo null-ok';
    const caps = { bounding: ['CAP_MKNOD'], effective: ['CAP_MKNOD'], permitted: ['CAP_MKNOD'] };
    const denied = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', script];
      c.process.capabilities = caps;
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    });
    const r = skiff(['run', '-b', denied.dir, denied.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mknod-ok/, 'mknod of char devices is allowed (c *:* m), as with runc');
    assert.match(r.stdout, /null-ok/, 'the default devices work');
    assert.doesNotMatch(r.stdout, /open-ok/, 'opening c 1:11 is denied');
    assert.deepEqual(assertGone(denied), []);
    // The same with every device allowed (a privileged container): the open works.
    const allowed = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', script];
      c.process.capabilities = caps;
      c.linux.resources = { devices: [{ allow: true, access: 'rwm' }] };
    });
    const r2 = skiff(['run', '-b', allowed.dir, allowed.id]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stdout, /open-ok/);
    assert.deepEqual(assertGone(allowed), []);
  });

  test('a node listed in linux.devices gets no rule of its own: deny-all denies it, as under runc', () => {
    const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
    assert.ok(RUNC, 'runc is installed by scripts/setup.sh');
    const script = '(: > /dev/kmsg) 2>/dev/null && echo open-ok; echo x > /dev/null && echo null-ok';
    const edit = (c: any) => {
      c.process.args = ['/bin/sh', '-c', script];
      c.linux.devices = [{ path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 }];
      c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    };
    const runcRoot = tempDir('skiff-runc-root-');
    const outputs: Record<string, string> = {};
    for (const [name, argv] of [
      ['skiff', undefined],
      ['runc', [RUNC!, '--root', runcRoot]],
    ] as const) {
      const b = makeBundle(edit);
      const r = argv ? run(argv[0], [...argv.slice(1), 'run', '-b', b.dir, b.id]) : skiff(['run', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      outputs[name] = r.stdout;
      assert.deepEqual(assertGone(b), []);
    }
    assert.equal(outputs.skiff, outputs.runc, 'skiff and runc agree');
    assert.doesNotMatch(outputs.skiff!, /open-ok/, '/dev/kmsg is listed but not allowed by the rules');
    assert.match(outputs.skiff!, /null-ok/);
    // Allowed by a rule, the same node opens.
    const allowed = makeBundle((c) => {
      edit(c);
      c.linux.resources.devices.push({ allow: true, type: 'c', major: 1, minor: 11, access: 'rw' });
    });
    const r = skiff(['run', '-b', allowed.dir, allowed.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /open-ok/);
    assert.deepEqual(assertGone(allowed), []);
  });

  test('a memory hog is OOM-killed; events reports the OOM and stops with the container', async () => {
    const limit = 32 * MiB;
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', 'sleep 0.3; x=0123456789; while :; do x=$x$x; done'];
      c.linux.resources = { memory: { limit, swap: limit } };
    });
    ok(['create', '-b', b.dir, b.id]);
    const ev = skiffBackground(['events', '--interval', '100ms', b.id]);
    await waitFor('events to report the created container', () => ev.lines().length >= 1);
    const t0 = Date.now();
    ok(['start', b.id]);
    await waitFor('OOM kill', () => stateOf(b.id).status === 'stopped', 60_000);
    const took = Date.now() - t0;
    assert.equal(await within('events to exit after the container stopped', ev.exited, 10_000), 0, ev.stderr());
    const events = ev.lines().map((l) => JSON.parse(l));
    assert.ok(
      events.some((e) => e.type === 'oom' && e.id === b.id),
      `an oom event in ${ev.lines().length} lines`,
    );
    const stats = events.filter((e) => e.type === 'stats');
    assert.ok(stats.length >= 1, 'stats every 100ms while it ran');
    assert.equal(stats[0].data.memory.usage.limit, limit);
    const oom = cgKeyValues('memory', cgp(b), 'memory.oom_control');
    assert.ok(oom.oom_kill! >= 1, `memory.oom_control: ${JSON.stringify(oom)}`);
    assert.ok(Number(cgRead('memory', cgp(b), 'memory.max_usage_in_bytes')) >= limit * 0.9, 'it reached the limit');
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b), []);
    console.log(`# OOM kill ${took} ms after start (32 MiB limit)`);
  });

  test('run: an OOM-killed container exits 137', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', 'x=0123456789; while :; do x=$x$x; done'];
      c.linux.resources = { memory: { limit: 16 * MiB, swap: 16 * MiB } };
    });
    const t0 = Date.now();
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 137, r.stderr);
    assert.deepEqual(assertGone(b), []);
    console.log(`# run → 137 in ${Date.now() - t0} ms`);
  });

  test('pids.max stops a fork bomb', async () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', 'for i in $(seq 50); do sleep 100 & done; echo forks-done; wait'];
      c.linux.resources = { pids: { limit: 10 } };
    });
    ok(['run', '-d', '-b', b.dir, b.id]);
    const p = cgp(b);
    await waitFor('fork failures', () => (cgKeyValues('pids', p, 'pids.events').max ?? 0) > 0, 20_000);
    await sleep(200);
    const current = Number(cgRead('pids', p, 'pids.current'));
    assert.ok(current <= 10, `pids.current ${current}`);
    const pids = JSON.parse(ok(['ps', '--format', 'json', b.id]));
    assert.ok(pids.length <= 10, `ps lists ${pids.length}`);
    ok(['delete', '--force', b.id]);
    assert.deepEqual(assertGone(b), []);
  });

  test('pause freezes a busy loop, resume lets it run again', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'while :; do :; done']));
    ok(['run', '-d', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    await waitFor('the loop to use cpu', () => cpuTicks(pid) > 5);
    ok(['pause', b.id]);
    const st = stateOf(b.id);
    assert.equal(st.status, 'paused');
    assert.ok(stateValidator(st), `state of a paused container against skiff's state schema: ${JSON.stringify(stateValidator.errors)}`);
    assert.equal(cgRead('freezer', cgp(b), 'freezer.state'), 'FROZEN');
    const usage0 = cgRead('cpuacct', cgp(b), 'cpuacct.usage');
    const ticks0 = cpuTicks(pid);
    await sleep(400);
    assert.equal(cpuTicks(pid), ticks0, 'no cpu time while frozen');
    assert.equal(cgRead('cpuacct', cgp(b), 'cpuacct.usage'), usage0);
    const procState = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
    assert.ok(procState === 'D' || procState === 'S', `frozen task state ${procState}`);
    ok(['resume', b.id]);
    assert.equal(stateOf(b.id).status, 'running');
    assert.equal(cgRead('freezer', cgp(b), 'freezer.state'), 'THAWED');
    await waitFor('the loop to run again', () => cpuTicks(pid) > ticks0 + 5);
    ok(['kill', b.id, 'KILL']);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test('pause and resume refuse the wrong states; SIGKILL and delete --force reach a paused container', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    ok(['create', '-b', b.dir, b.id]);
    fails(['resume', b.id], /cannot resume container .*: container not paused \(it is created\)/);
    // runc pauses a created container too; it reads as paused, then as created again.
    ok(['pause', b.id]);
    assert.equal(stateOf(b.id).status, 'paused');
    ok(['resume', b.id]);
    assert.equal(stateOf(b.id).status, 'created');
    ok(['start', b.id]);
    fails(['resume', b.id], /container not paused \(it is running\)/);
    ok(['pause', b.id]);
    fails(['pause', b.id], /already paused/);
    fails(['delete', b.id], /not stopped: paused/);
    const pid = stateOf(b.id).pid;
    ok(['kill', b.id, 'KILL']);
    await waitFor('a killed paused container to stop', () => stateOf(b.id).status === 'stopped');
    fails(['pause', b.id], /container not running \(it is stopped\)/);
    fails(['resume', b.id], /container not paused \(it is stopped\)/);
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b, pid), []);
    fails(['pause', b.id], /does not exist/);

    const c = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']));
    ok(['run', '-d', '-b', c.dir, c.id]);
    const cpid = stateOf(c.id).pid;
    ok(['pause', c.id]);
    ok(['delete', '--force', c.id]);
    assert.deepEqual(assertGone(c, cpid), []);
  });

  test('kill --all freezes, signals every process, thaws; a paused container stays paused', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']));
    ok(['run', '-d', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    await waitFor('3 processes', () => JSON.parse(ok(['ps', '--format', 'json', b.id])).length === 3);
    ok(['pause', b.id]);
    ok(['kill', '--all', b.id, 'TERM']);
    assert.equal(stateOf(b.id).status, 'paused', 'the signal waits for resume');
    assert.equal(JSON.parse(ok(['ps', '--format', 'json', b.id])).length, 3);
    ok(['resume', b.id]);
    // The sleeps die of SIGTERM; sh (pid 1 of its namespace, no handler) ignores it, then wait returns.
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(cgRead('freezer', cgp(b), 'freezer.state'), 'THAWED');
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test("update --resources - changes a running container's limits; events --stats shows them", async () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/sleep', '1000'];
      c.linux.resources = { memory: { limit: 256 * MiB, swap: 256 * MiB } };
    });
    ok(['run', '-d', '-b', b.dir, b.id]);
    const p = cgp(b);
    ok(['update', '--resources', '-', b.id], { input: DOCKER_UPDATE });
    assert.equal(cgRead('memory', p, 'memory.limit_in_bytes'), '67108864');
    assert.equal(cgRead('memory', p, 'memory.memsw.limit_in_bytes'), '134217728');
    assert.equal(cgRead('cpu', p, 'cpu.cfs_quota_us'), '50000');
    assert.equal(cgRead('cpu', p, 'cpu.cfs_period_us'), '100000');

    const ev = JSON.parse(ok(['events', '--stats', b.id]));
    assert.equal(ev.type, 'stats');
    assert.equal(ev.id, b.id);
    assert.equal(ev.data.memory.usage.limit, 67108864);
    const usage = Number(cgRead('memory', p, 'memory.usage_in_bytes'));
    assert.ok(
      ev.data.memory.usage.usage > 64 * 1024 && ev.data.memory.usage.usage < 4 * usage,
      `usage ${ev.data.memory.usage.usage} (memory.usage_in_bytes: ${usage})`,
    );
    assert.equal(ev.data.memory.swap.limit, 134217728);
    assert.ok(ev.data.cpu.usage.total > 0);
    assert.ok(Array.isArray(ev.data.cpu.usage.percpu));
    assert.ok(ev.data.pids.current >= 1);
    assert.ok(ev.data.memory.raw && typeof ev.data.memory.raw.rss === 'number');

    // Raising memory+swap past the limit in force: swap is written first.
    const file = path.join(tempDir(), 'podman-update.json');
    fs.writeFileSync(file, PODMAN_UPDATE);
    ok(['update', `--resources=${file}`, b.id]);
    assert.equal(cgRead('memory', p, 'memory.limit_in_bytes'), '134217728');
    assert.equal(cgRead('memory', p, 'memory.memsw.limit_in_bytes'), '268435456');

    ok([
      'update',
      '--memory',
      '48m',
      '--memory-swap',
      '64m',
      '--cpu-share',
      '256',
      '--cpu-quota',
      '-1',
      '--pids-limit',
      '100',
      '--cpuset-cpus',
      '0',
      b.id,
    ]);
    assert.equal(cgRead('memory', p, 'memory.limit_in_bytes'), String(48 * MiB));
    assert.equal(cgRead('memory', p, 'memory.memsw.limit_in_bytes'), String(64 * MiB));
    assert.equal(cgRead('cpu', p, 'cpu.shares'), '256');
    assert.equal(cgRead('cpu', p, 'cpu.cfs_quota_us'), '-1');
    assert.equal(cgRead('pids', p, 'pids.max'), '100');
    assert.equal(cgRead('cpuset', p, 'cpuset.cpus'), '0');

    // Below the current usage: the kernel refuses, the error says why, the limit stays.
    fails(
      ['update', '--memory', '4096', '--memory-swap', '64m', b.id],
      /write .*memory\.limit_in_bytes \("4096"\): EBUSY .*unable to set memory limit to 4096 \(current usage: \d+/,
    );
    assert.equal(cgRead('memory', p, 'memory.limit_in_bytes'), String(48 * MiB));
    fails(['update', '--kernel-memory', '1m', b.id], /--kernel-memory is not supported/);
    fails(['update', '--l3-cache-schema', 'L3:0=f', b.id], /Intel RDT/);
    fails(['update', '--resources', '-', b.id], /--resources standard input: \/memory\/limit: must be integer/, {
      input: '{"memory":{"limit":"1g"}}',
    });
    fails(['update', '--resources', '-', b.id], /invalid JSON/, { input: '{' });
    fails(['update', '--cpuset-cpus', '999', b.id], /write .*cpuset\.cpus \("999"\)/);
    ok(['kill', b.id, 'KILL']);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    fails(['update', '--memory', '64m', b.id], /container not running/);
    fails(['events', '--stats', b.id], /is not running/);
    ok(['delete', b.id]);
    assert.deepEqual(assertGone(b), []);
  });

  test('events: a stats line per interval until SIGTERM', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    ok(['run', '-d', '-b', b.dir, b.id]);
    const ev = skiffBackground(['events', '--interval', '150ms', b.id]);
    await waitFor('3 stats lines', () => ev.lines().length >= 3, 10_000);
    ev.kill('SIGTERM');
    assert.equal(await within('events to exit on SIGTERM', ev.exited, 5000), 0);
    for (const l of ev.lines()) assert.equal(JSON.parse(l).type, 'stats');
    fails(['events', '--interval', '0s', b.id], /greater than 0/);
    fails(['events', '--interval', 'soon', b.id], /invalid duration/);
    ok(['delete', '--force', b.id]);
    assert.deepEqual(assertGone(b), []);
  });

  test("ps lists the container's processes: JSON host pids, or the host's ps filtered", async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'sleep 1001 & sleep 1002 & wait']));
    ok(['run', '-d', '-b', b.dir, b.id]);
    const pid = stateOf(b.id).pid;
    await waitFor('3 processes', () => JSON.parse(ok(['ps', '--format', 'json', b.id])).length === 3);
    const pids: number[] = JSON.parse(ok(['ps', '--format', 'json', b.id]));
    assert.ok(pids.includes(pid), 'the init, by its host pid');
    assert.ok(pids.every((p) => pidAlive(p)));
    const table = ok(['ps', b.id]).trimEnd().split('\n');
    assert.match(table[0]!, /\bPID\b/);
    assert.equal(table.length, 4, table.join('\n'));
    assert.ok(table.some((l) => l.includes('sleep 1001')));
    const custom = ok(['ps', b.id, '-o', 'pid,comm']).trimEnd().split('\n');
    assert.match(custom[0]!, /^\s*PID\s+COMMAND$/);
    assert.deepEqual(
      custom
        .slice(1)
        .map((l) => Number(l.trim().split(/\s+/)[0]))
        .sort(),
      [...pids].sort(),
    );
    fails(['ps', '--format', 'yaml', b.id], /invalid --format/);
    ok(['delete', '--force', b.id]);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test('a create that fails on a resource leaves nothing behind', () => {
    const cases: [string, (c: any) => void, RegExp][] = [
      [
        'cpuset.cpus 999',
        (c) => (c.linux.resources = { cpu: { cpus: '999' } }),
        /write \/sys\/fs\/cgroup\/cpuset\/.*\/cpuset\.cpus \("999"\): E[A-Z]+ \(/,
      ],
      ['memory.swappiness 200', (c) => (c.linux.resources = { memory: { swappiness: 200 } }), /swappiness.*(0-100|between 0 and 100)/],
      [
        'a hole in a wildcard device rule',
        (c) =>
          (c.linux.resources = {
            devices: [
              { allow: false, access: 'rwm' },
              { allow: true, type: 'c', major: 136, access: 'rwm' },
              { allow: false, type: 'c', major: 136, minor: 2, access: 'rw' },
            ],
          }),
        /cannot punch a hole/,
      ],
      [
        'swap below the limit',
        (c) => (c.linux.resources = { memory: { limit: 64 * MiB, swap: 32 * MiB } }),
        /memory\.memsw\.limit_in_bytes \("33554432"\): EINVAL/,
      ],
      ...(LAYOUT.unified
        ? [
            [
              'unified memory.max on hybrid (no v2 memory controller)',
              (c: any) => (c.linux.resources = { unified: { 'memory.max': '1000000' } }),
              /cgroup v2 controller "memory" is not available/,
            ] as [string, (c: any) => void, RegExp],
          ]
        : []),
      ...(!has('hugetlb')
        ? [
            [
              'hugepageLimits without a hugetlb hierarchy',
              (c: any) => (c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 2 * MiB }] }),
              /cgroup v1 controller "hugetlb" is not mounted/,
            ] as [string, (c: any) => void, RegExp],
          ]
        : []),
      ...(!has('net_cls')
        ? [
            [
              'network without a net_cls hierarchy',
              (c: any) => (c.linux.resources = { network: { classID: 1048577 } }),
              /cgroup v1 controller "net_cls" is not mounted/,
            ] as [string, (c: any) => void, RegExp],
          ]
        : []),
    ];
    for (const [what, edit, pattern] of cases) {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sleep', '1000'];
        edit(c);
      });
      const r = skiff(['create', '-b', b.dir, b.id]);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, pattern, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
      assert.deepEqual(assertGone(b), [], what);
      assert.equal(skiff(['state', b.id]).code, 1);
    }
  });

  test('features: cgroup v1 and v2, the systemd driver (not the user instance), rdma', () => {
    const f = JSON.parse(ok(['features']));
    assert.deepEqual(f.linux.cgroup, { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true });
  });
});
