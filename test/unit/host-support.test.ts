// Unit tests of src/spec/host-support.ts (against made-up hosts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Hierarchy } from '../../src/cgroups/hierarchy';
import { hostFindings, kernelVersion, type Finding, type HostProbe } from '../../src/spec/host-support';

const NSFS = 4;

interface FakeHost {
  release?: string;
  files?: Record<string, string>;
  /** path → device (nsfs is 4) */
  devs?: Record<string, number>;
  links?: Record<string, string>;
  h?: Hierarchy;
  noNs?: string[];
  notExecutable?: string[];
}

const V2: Hierarchy = { mode: 'unified', unified: { mountpoint: '/sys/fs/cgroup', root: '/' }, v1: [] };
const V1: Hierarchy = {
  mode: 'legacy',
  v1: ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'pids', 'blkio', 'freezer'].map((c) => ({
    mountpoint: `/sys/fs/cgroup/${c}`,
    root: '/',
    controllers: c.split(','),
  })),
};

function fakeHost(f: FakeHost = {}): HostProbe {
  const files: Record<string, string> = {
    '/proc/self/status': 'Name:\tnode\nSeccomp:\t0\n',
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
    '/proc/sys/user/max_user_namespaces': '1000\n',
    ...f.files,
  };
  const ns = ['pid', 'net', 'mnt', 'ipc', 'uts', 'user', 'cgroup', 'time'].filter((n) => !f.noNs?.includes(n));
  const devs: Record<string, number> = Object.fromEntries(ns.map((n) => [`/proc/self/ns/${n}`, NSFS]));
  Object.assign(devs, f.devs);
  return {
    release: f.release ?? '6.8.0-45-generic',
    exists: (p) => p in files || p in devs,
    read: (p) => files[p],
    statDev: (p) => devs[p],
    readlink: (p) => f.links?.[p],
    executable: (p) => p in files && !(f.notExecutable ?? []).includes(p),
    hierarchy: () => f.h ?? V2,
  };
}

function config(edit?: (c: any) => void): any {
  const c: any = {
    ociVersion: '1.3.0',
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }] },
  };
  edit?.(c);
  return c;
}

const errors = (fs: Finding[]) => fs.filter((f) => f.verdict === 'error');
const at = (fs: Finding[], p: string) => fs.filter((f) => f.path === p && f.verdict !== 'ok');

describe('host-support: namespaces', () => {
  test('a plain config on a modern host: no errors, one ok line for the namespaces', () => {
    const f = hostFindings(config(), {}, fakeHost());
    assert.deepEqual(errors(f), []);
    assert.ok(f.some((x) => x.path === '/linux/namespaces' && x.verdict === 'ok' && /pid, mount, network/.test(x.message)));
  });

  test('a kernel without time namespaces', () => {
    const f = hostFindings(
      config((c) => c.linux.namespaces.push({ type: 'time' })),
      {},
      fakeHost({ noNs: ['time'] }),
    );
    assert.deepEqual(
      at(f, '/linux/namespaces/3/type').map((x) => x.message),
      ['this kernel has no time namespaces (/proc/self/ns/time is missing; they need Linux 5.6 or later)'],
    );
  });

  test('namespace paths: missing, not a namespace, the wrong kind, fine', () => {
    const host = fakeHost({
      devs: { '/etc/hostname': 2049, '/proc/7/ns/uts': NSFS, '/run/netns/x': NSFS },
      links: { '/proc/7/ns/uts': 'uts:[4026531838]' },
    });
    const c = config((c) => {
      c.linux.namespaces = [
        { type: 'mount' },
        { type: 'network', path: '/run/netns/missing' },
        { type: 'ipc', path: '/etc/hostname' },
        { type: 'pid', path: '/proc/7/ns/uts' },
        { type: 'uts', path: '/run/netns/x' },
      ];
    });
    const f = hostFindings(c, {}, host);
    assert.match(at(f, '/linux/namespaces/1/path')[0]!.message, /does not exist/);
    assert.match(at(f, '/linux/namespaces/2/path')[0]!.message, /is not a namespace file/);
    assert.match(at(f, '/linux/namespaces/3/path')[0]!.message, /is a uts namespace, not a pid one/);
    assert.deepEqual(at(f, '/linux/namespaces/4/path'), []);
  });

  test('user namespaces switched off; no mount namespace', () => {
    const c = config((c) => (c.linux.namespaces = [{ type: 'user' }, { type: 'pid' }]));
    const f = hostFindings(c, {}, fakeHost({ files: { '/proc/sys/user/max_user_namespaces': '0\n' } }));
    assert.match(at(f, '/linux/namespaces/0/type')[0]!.message, /max_user_namespaces is 0/);
    const ns = f.find((x) => x.path === '/linux/namespaces' && /no mount namespace/.test(x.message));
    assert.equal(ns?.verdict, 'ok', 'an omitted mount namespace is inherited, not refused');
  });
});

describe('host-support: cgroups', () => {
  test('v2 without the memory controller: an error at the resource', () => {
    const host = fakeHost({ files: { '/sys/fs/cgroup/cgroup.controllers': 'cpu pids\n' } });
    const f = hostFindings(
      config((c) => (c.linux.resources = { memory: { limit: 1 << 30 }, pids: { limit: 10 } })),
      {},
      host,
    );
    assert.deepEqual(
      errors(f).map((x) => x.path),
      ['/linux/resources/memory'],
    );
    assert.match(errors(f)[0]!.message, /cgroup v2 memory controller, which is not in \/sys\/fs\/cgroup\/cgroup.controllers/);
    assert.ok(f.some((x) => x.verdict === 'ok' && x.path === '/linux/resources' && /pids/.test(x.message)));
  });

  test('v2: realtime and net_cls have no equivalent; device rules apply (eBPF); swappiness is ignored', () => {
    const c = config((c) => {
      c.linux.resources = {
        cpu: { realtimeRuntime: 1000 },
        network: { classID: 7 },
        devices: [{ allow: false, access: 'rwm' }],
        memory: { limit: 1 << 30, swappiness: 10 },
      };
    });
    const f = hostFindings(c, {}, fakeHost());
    assert.deepEqual(
      errors(f)
        .map((x) => x.path)
        .sort(),
      ['/linux/resources/cpu', '/linux/resources/network'],
    );
    assert.ok(!at(f, '/linux/resources/devices').some((x) => x.verdict !== 'ok'), 'the eBPF device filter applies them');
    assert.equal(at(f, '/linux/resources/memory/swappiness')[0]?.verdict, 'warning');
  });

  test('v2: swap below the limit is refused by the translation', () => {
    const f = hostFindings(
      config((c) => (c.linux.resources = { memory: { limit: 200, swap: 100 } })),
      {},
      fakeHost(),
    );
    assert.deepEqual(
      errors(f).map((x) => x.path),
      ['/linux/resources/memory'],
    );
  });

  test('v1: missing hierarchies, unified keys, swap below the limit', () => {
    const c = config((c) => {
      c.linux.resources = {
        hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }],
        unified: { 'memory.high': '1000' },
        memory: { limit: 200, swap: 100 },
      };
    });
    const f = hostFindings(c, {}, fakeHost({ h: V1 }));
    assert.deepEqual(
      errors(f)
        .map((x) => x.path)
        .sort(),
      ['/linux/resources/hugepageLimits', '/linux/resources/memory/swap', '/linux/resources/unified/memory.high'],
    );
  });

  test('v1 without a devices hierarchy: create would fail writing the default device rules', () => {
    const h: Hierarchy = { mode: 'legacy', v1: V1.v1.filter((v) => !v.controllers.includes('devices')) };
    const f = hostFindings(config(), {}, fakeHost({ h }));
    assert.deepEqual(
      errors(f).map((x) => x.path),
      ['host'],
    );
    assert.match(errors(f)[0]!.message, /devices controller/);
  });

  test('no cgroup filesystem at all; --systemd-cgroup without systemd', () => {
    const f = hostFindings(config(), { systemdCgroup: true }, fakeHost({ h: { mode: 'unified', v1: [] } }));
    assert.equal(errors(f).length, 2);
    assert.ok(errors(f).every((x) => x.path === 'host'));
    assert.ok(errors(f).some((x) => /systemd is not running/.test(x.message)));
  });

  test('--systemd-cgroup where systemd runs', () => {
    const f = hostFindings(config(), { systemdCgroup: true }, fakeHost({ files: { '/run/systemd/system': '' } }));
    assert.deepEqual(errors(f), []);
    assert.ok(f.some((x) => x.path === 'host' && x.verdict === 'ok' && /transient scope/.test(x.message)));
  });
});

describe('host-support: security, mounts, hooks', () => {
  test('seccomp: what skiff features does not list is an error; a kernel without seccomp too', () => {
    const c = config((c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_PDP11'],
        flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NEW_LISTENER'],
        syscalls: [
          { names: ['mkdir'], action: 'SCMP_ACT_ALLOW' },
          { names: ['open'], action: 'SCMP_ACT_NOTIFY' },
        ],
      };
    });
    const f = hostFindings(c, {}, fakeHost());
    // Every action of the spec is supported (NOTIFY included); an architecture or a flag may not be.
    assert.deepEqual(
      errors(f).map((x) => x.path),
      ['/linux/seccomp/architectures/1', '/linux/seccomp/flags/1'],
    );
    const plain = config((c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }));
    assert.deepEqual(errors(hostFindings(plain, {}, fakeHost())), []);
    const noSeccomp = fakeHost({ files: { '/proc/self/status': 'Name:\tnode\n' } });
    assert.match(at(hostFindings(plain, {}, noSeccomp), '/linux/seccomp')[0]!.message, /this kernel has no seccomp/);
  });

  test('apparmor and selinux: AppArmor must be enabled; SELinux labels are ignored without SELinux, refused with it (not applied yet)', () => {
    const c = config((c) => {
      c.process.apparmorProfile = 'docker-default';
      c.process.selinuxLabel = 'system_u:system_r:container_t:s0';
    });
    const none = hostFindings(c, {}, fakeHost());
    assert.equal(at(none, '/process/apparmorProfile').length, 1);
    assert.deepEqual(
      at(none, '/process/selinuxLabel').map((x) => [x.verdict, x.message]),
      [['warning', 'ignored: SELinux is not enabled on this host (no /sys/fs/selinux)']],
    );
    const lsm = hostFindings(c, {}, fakeHost({ files: { '/sys/module/apparmor/parameters/enabled': 'Y\n', '/sys/fs/selinux': '' } }));
    assert.deepEqual(at(lsm, '/process/apparmorProfile'), []);
    assert.deepEqual(
      at(lsm, '/process/selinuxLabel').map((x) => x.message),
      ['SELinux labels are not applied by skiff yet'],
    );
  });

  test('idmapped mounts need Linux 5.12', () => {
    const c = config((c) => {
      c.mounts = [
        {
          destination: '/data',
          source: '/srv',
          type: 'bind',
          options: ['rbind'],
          uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
          gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
        },
      ];
    });
    const old = at(hostFindings(c, {}, fakeHost({ release: '5.4.0-150-generic' })), '/mounts/0/uidMappings').map((x) => x.message);
    assert.ok(old.includes('idmapped mounts need Linux 5.12 or later (this kernel is 5.4.0-150-generic)'), JSON.stringify(old));
    const recent = at(hostFindings(c, {}, fakeHost({ release: '6.1.0' })), '/mounts/0/uidMappings').map((x) => x.message);
    assert.ok(!recent.some((m) => /5\.12/.test(m)));
    assert.deepEqual(kernelVersion('6.18.44-fc-v782'), [6, 18]);
  });

  test('hooks: a missing or non-executable program fails create, except for poststart and poststop', () => {
    const c = config((c) => {
      c.hooks = {
        prestart: [{ path: '/usr/bin/ok-hook' }],
        createRuntime: [{ path: '/no/such/hook' }],
        createContainer: [{ path: '/etc/not-exec' }],
        startContainer: [{ path: '/only/in/the/rootfs' }],
        poststop: [{ path: '/no/such/hook' }],
      };
    });
    const host = fakeHost({ files: { '/usr/bin/ok-hook': '', '/etc/not-exec': '' }, notExecutable: ['/etc/not-exec'] });
    const f = hostFindings(c, {}, host);
    assert.deepEqual(
      errors(f).map((x) => x.path),
      ['/hooks/createRuntime/0/path', '/hooks/createContainer/0/path'],
    );
    assert.match(errors(f)[1]!.message, /is not an executable file/);
    assert.equal(at(f, '/hooks/poststop/0/path')[0]?.verdict, 'warning');
    assert.deepEqual(at(f, '/hooks/startContainer/0/path'), [], 'resolved in the rootfs by check.ts');
  });

  test('odd documents never throw', () => {
    for (const doc of [
      null,
      1,
      'x',
      [],
      {},
      { linux: 5 },
      { linux: { namespaces: 'x', resources: { memory: 'x', hugepageLimits: 3, unified: { a: 1 } } } },
      { mounts: [null, 1, { options: 5 }] },
      { hooks: { prestart: 'x', poststart: [null] } },
    ]) {
      assert.doesNotThrow(() => hostFindings(doc, {}, fakeHost()), JSON.stringify(doc));
      assert.doesNotThrow(() => hostFindings(doc, {}, fakeHost({ h: V1 })), JSON.stringify(doc));
    }
  });
});

describe('host-support: network devices', () => {
  test('a device the host has moves; a missing one is an error', () => {
    const c = config((c) => (c.linux.netDevices = { eth9: { name: 'ctr0' }, nodev0: {} }));
    const f = hostFindings(c, {}, fakeHost({ files: { '/sys/class/net/eth9': '' } }));
    assert.match(f.find((x) => x.path === '/linux/netDevices/eth9')!.message, /moves the network device eth9 into the container as ctr0/);
    assert.equal(at(f, '/linux/netDevices/nodev0')[0]!.verdict, 'error');
  });
});
