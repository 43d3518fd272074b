// What the process sees inside: the probe's report against config.json, field by field.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { assertGone, cleanupAll, makeBundle, run, skiff, SKIFF, STATE_ROOT, tempDir, type Bundle } from '../helpers/skiff';

after(() => cleanupAll());

function runProbe(b: Bundle, extra: string[] = []): any {
  const r = skiff(['run', '-b', b.dir, ...extra, b.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(assertGone(b), []);
  return b.probe();
}

function hostNs(name: string): number {
  return fs.statSync(`/proc/self/ns/${name}`).ino;
}

const capMask = (bits: number[]) =>
  bits
    .reduce((m, b) => m | (1n << BigInt(b)), 0n)
    .toString(16)
    .padStart(16, '0');

describe('container environment', () => {
  test('namespaces, identity, capabilities, limits and env follow config.json', () => {
    const b = makeBundle((c) => {
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [100, 1000], umask: 0o027 };
      c.process.cwd = '/home/probe';
      c.process.env.push('EXTRA=with spaces = and equals');
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ];
      c.process.capabilities = {
        bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
        effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      };
      c.process.oomScoreAdj = 500;
      c.hostname = 'probe-host';
      c.domainname = 'probe.domain';
      c.mounts.find((m: any) => m.destination === '/out').options.push('rw');
    });
    fs.chmodSync(b.out, 0o777);
    const p = runProbe(b);
    assert.equal(p.pid, 1);
    for (const ns of ['pid', 'mnt', 'net', 'ipc', 'uts', 'cgroup']) assert.notEqual(p.namespaces[ns], hostNs(ns), `${ns} namespace is new`);
    assert.equal(p.namespaces.user, hostNs('user'), 'no user namespace asked for');
    assert.equal(p.uid, 1000);
    assert.equal(p.euid, 1000);
    assert.equal(p.gid, 1000);
    assert.deepEqual(
      [...p.groups].sort((a: number, b: number) => a - b),
      [100, 1000],
    );
    assert.equal(p.umask, 0o027);
    assert.equal(p.cwd, '/home/probe');
    assert.equal(p.hostname, 'probe-host');
    assert.equal(p.domainname, 'probe.domain');
    assert.ok(p.env.includes('EXTRA=with spaces = and equals'));
    assert.ok(p.env.includes('SKIFF_TEST=1'));
    assert.deepEqual(p.rlimits.RLIMIT_NOFILE, { soft: 512, hard: 1024 });
    assert.deepEqual(p.rlimits.RLIMIT_CORE, { soft: 0, hard: 0 });
    // CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10
    assert.equal(p.caps.bounding, capMask([0, 5, 10]));
    // A non-root user keeps across execve only what is ambient (capabilities(7)): runc agrees.
    assert.equal(p.caps.effective, capMask([10]));
    assert.equal(p.caps.permitted, capMask([10]));
    assert.equal(p.caps.inheritable, capMask([5, 10]));
    assert.equal(p.caps.ambient, capMask([10]));
    assert.equal(p.no_new_privs, 1);
    assert.equal(p.oom_score_adj, 500);
    assert.equal(p.sigignore, '0000000000000000', 'no signal stays ignored (Node ignores SIGPIPE)');
    assert.equal(p.sigblk, '0000000000000000');
  });

  test('mounts: proc, sysfs ro, devpts, masked and read-only paths, read-only root, default devices', () => {
    const b = makeBundle((c) => {
      c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--write', '/etc/x', 'data', '--read', '/proc/timer_list'];
    });
    const p = runProbe(b);
    const at = (mp: string) => p.mounts.filter((m: any) => m.mountpoint === mp).pop();
    assert.equal(at('/proc').fstype, 'proc');
    assert.equal(at('/sys').fstype, 'sysfs');
    assert.match(at('/sys').options, /(^|,)ro(,|$)/);
    assert.equal(at('/dev/pts').fstype, 'devpts');
    assert.equal(at('/dev/mqueue').fstype, 'mqueue');
    assert.match(at('/').options, /(^|,)ro(,|$)/, 'root.readonly');
    assert.equal(p.write.ok, false);
    assert.equal(p.write.errno, 'EROFS');
    assert.match(at('/proc/sys').options, /(^|,)ro(,|$)/, 'readonlyPaths');
    assert.ok(at('/proc/timer_list'), 'maskedPaths: /proc/timer_list is covered');
    assert.ok(at('/sys/firmware'), 'maskedPaths: a directory is covered by an empty tmpfs');
    assert.equal(p.read.ok, true);
    assert.equal(p.read.content, '', 'masked with /dev/null');
    assert.ok(at('/sys/fs/cgroup'), 'cgroup mount');
    assert.ok(!p.mounts.some((m: any) => m.mountpoint.startsWith('/tmp/skiff')), 'no host path leaks into the mount table');
  });

  test('only stdio reaches the container (and fds preserved with --preserve-fds)', () => {
    const b = makeBundle();
    const p = runProbe(b);
    assert.deepEqual(
      p.fds.map((f: any) => f.fd),
      [0, 1, 2],
    );

    // fd 3 and 4 opened by the caller, passed with --preserve-fds 2.
    const b2 = makeBundle();
    const f3 = path.join(b2.dir, 'three');
    fs.writeFileSync(f3, 'x');
    const r = run('/bin/sh', [
      '-c',
      `exec 3<"${f3}" 4<"${f3}" 5<"${f3}"; exec "${SKIFF}" --root "${STATE_ROOT}" run --preserve-fds 2 -b "${b2.dir}" ${b2.id}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const p2 = b2.probe();
    assert.deepEqual(
      p2.fds.map((f: any) => f.fd),
      [0, 1, 2, 3, 4],
    );
    assert.equal(p2.fds[3].target, f3.replace(b2.dir, '') === f3 ? f3 : p2.fds[3].target);
  });

  test('socket activation: LISTEN_FDS fds come first, then --preserve-fds; LISTEN_PID=1 inside', () => {
    const b = makeBundle();
    const f = path.join(b.dir, 'sock');
    fs.writeFileSync(f, 'x');
    const r = run('/bin/sh', [
      '-c',
      `exec 3<"${f}" 4<"${f}" 5<"${f}" 6<"${f}"; LISTEN_FDS=2 LISTEN_PID=$$ exec "${SKIFF}" --root "${STATE_ROOT}" run --preserve-fds 1 -b "${b.dir}" ${b.id}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const p = b.probe();
    assert.deepEqual(
      p.fds.map((x: any) => x.fd),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(p.env.includes('LISTEN_FDS=2'));
    assert.ok(p.env.includes('LISTEN_PID=1'));
    // LISTEN_PID naming another process: the fds are not skiff's to pass.
    const b2 = makeBundle();
    const r2 = run('/bin/sh', [
      '-c',
      `exec 3<"${f}" 4<"${f}"; LISTEN_FDS=2 LISTEN_PID=1 exec "${SKIFF}" --root "${STATE_ROOT}" run -b "${b2.dir}" ${b2.id}`,
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(
      b2.probe().fds.map((x: any) => x.fd),
      [0, 1, 2],
    );
    assert.ok(!b2.probe().env.some((e: string) => e.startsWith('LISTEN_')));
  });

  test('--preserve-fds names fds that must be open', () => {
    const b = makeBundle();
    const r = skiff(['create', '--preserve-fds', '40', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /fd \d+ is not open/);
    assert.deepEqual(assertGone(b), []);
  });

  test('a user namespace maps root to an unprivileged host id', () => {
    const b = makeBundle((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.root.readonly = true;
    });
    // Mounts are made by the namespace's root (host uid 100000): the bind source must be reachable.
    fs.chmodSync(b.dir, 0o755);
    fs.chmodSync(b.out, 0o777);
    const p = runProbe(b);
    assert.equal(p.uid, 0, 'root inside');
    assert.notEqual(p.namespaces.user, hostNs('user'));
    const owner = fs.statSync(path.join(b.out, 'probe.json')).uid;
    assert.equal(owner, 100000, 'files it writes belong to the mapped host id');
  });

  test('a time namespace applies its offsets', () => {
    const b = makeBundle((c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 86400 * 365, nanosecs: 0 } };
      c.process.args = ['/bin/sh', '-c', 'cut -d. -f1 /proc/uptime > /out/uptime'];
    });
    runProbe2(b);
    const uptime = Number(fs.readFileSync(path.join(b.out, 'uptime'), 'utf8'));
    assert.ok(uptime >= 86400 * 365, `uptime inside is ${uptime}`);
  });

  test("joining namespaces by path: a second container in the first one's network and uts namespaces", async () => {
    const a = makeBundle((c) => (c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--sleep', 'inf']));
    assert.equal(skiff(['run', '-d', '-b', a.dir, a.id]).code, 0);
    const pidA = JSON.parse(skiff(['state', a.id]).stdout).pid;
    const b = makeBundle((c) => {
      c.hostname = undefined;
      c.linux.namespaces = c.linux.namespaces.map((n: any) =>
        n.type === 'network'
          ? { type: 'network', path: `/proc/${pidA}/ns/net` }
          : n.type === 'uts'
            ? { type: 'uts', path: `/proc/${pidA}/ns/uts` }
            : n,
      );
    });
    const p = runProbe(b);
    const pa = (() => {
      for (let i = 0; i < 500 && !fs.existsSync(path.join(a.out, 'probe.json')); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      return a.probe();
    })();
    assert.equal(p.namespaces.net, pa.namespaces.net);
    assert.equal(p.namespaces.uts, pa.namespaces.uts);
    assert.equal(p.hostname, 'skiff-test');
    assert.notEqual(p.namespaces.mnt, pa.namespaces.mnt);
    assert.equal(skiff(['delete', '--force', a.id]).code, 0);
  });

  test("sysctl is written inside the container's namespaces", () => {
    const b = makeBundle((c) => {
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '12345678' };
      c.process.args = ['/bin/sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax > /out/sysctl'];
    });
    runProbe2(b);
    assert.equal(fs.readFileSync(path.join(b.out, 'sysctl'), 'utf8'), '1\n12345678\n');
    assert.notEqual(fs.readFileSync('/proc/sys/kernel/shmmax', 'utf8'), '12345678\n', 'the host is untouched');
  });
});

describe('personality and I/O priority', () => {
  test('linux.personality LINUX32 and process.ioPriority reach the process', () => {
    const b = makeBundle((c) => {
      c.linux.personality = { domain: 'LINUX32' };
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
      c.process.args = ['/bin/sh', '-c', 'uname -m > /out/uname; ionice -p $$ > /out/ionice; /bin/probe --out /out/probe.json'];
    });
    runProbe2(b);
    assert.equal(b.probe().personality, 8);
    assert.equal(fs.readFileSync(path.join(b.out, 'uname'), 'utf8').trim(), 'i686');
    assert.match(fs.readFileSync(path.join(b.out, 'ionice'), 'utf8'), /best-effort: prio 6/);
  });

  test(
    'an AppArmor profile on a host without AppArmor is an error',
    { skip: fs.existsSync('/sys/module/apparmor/parameters/enabled') && 'this host has AppArmor' },
    () => {
      const b = makeBundle((c) => (c.process.apparmorProfile = 'skiff-test'));
      const r = skiff(['create', '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /AppArmor profile "skiff-test" was asked for, but AppArmor is not enabled on this host/);
      assert.deepEqual(assertGone(b), []);
    },
  );

  test('scheduler, execCPUAffinity and memoryPolicy reach the process', () => {
    const b = makeBundle((c) => {
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
      c.process.execCPUAffinity = { initial: '0-1', final: '0' };
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
      c.process.args = [
        '/bin/sh',
        '-c',
        'grep "^policy" /proc/self/sched > /out/sched; taskset -p $$ > /out/affinity; grep -m1 -o "bind:[0-9]*" /proc/self/numa_maps > /out/numa; cut -d" " -f19 /proc/self/stat > /out/nice',
      ];
    });
    runProbe2(b);
    const read = (f: string) => fs.readFileSync(path.join(b.out, f), 'utf8').trim();
    assert.match(read('sched'), /:\s+3$/, 'SCHED_BATCH is policy 3');
    assert.equal(read('nice'), '5');
    assert.match(read('affinity'), /mask: 1$/);
    assert.equal(read('numa'), 'bind:0');
  });

  test('fields skiff cannot apply are refused, not ignored', () => {
    // netDevices and idmapped mounts are applied now (netdev.test.ts, idmap.test.ts); intelRdt is not.
    for (const edit of [(c: any) => (c.linux.intelRdt = { closID: 'x' })]) {
      const b = makeBundle(edit);
      const r = skiff(['create', '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is not supported by skiff yet/);
      assert.deepEqual(assertGone(b), []);
    }
  });
});

describe('SELinux labels on a host without SELinux', () => {
  test(
    'are ignored with a warning by create and exec (as crun), and check says so',
    { skip: fs.existsSync('/sys/fs/selinux') && 'this host has SELinux' },
    () => {
      const b = makeBundle((c) => {
        c.process.args = ['/bin/sleep', '100'];
        c.process.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2';
        c.linux.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2';
      });
      const r = skiff(['run', '-d', '-b', b.dir, b.id]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /\/process\/selinuxLabel: ignored: SELinux is not enabled on this host/);
      assert.match(r.stderr, /\/linux\/mountLabel: ignored: SELinux is not enabled on this host/);
      const e = skiff(['exec', '--process-label', 'system_u:system_r:container_t:s0', b.id, '/bin/true']);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stderr, /SELinux label is ignored/);
      const chk = skiff(['check', '-b', b.dir]);
      assert.equal(chk.code, 0, chk.stdout + chk.stderr);
      assert.match(chk.stdout + chk.stderr, /selinuxLabel.*ignored: SELinux is not enabled/);
      assert.equal(skiff(['delete', '--force', b.id]).code, 0);
      assert.deepEqual(assertGone(b), []);
    },
  );
});

describe('what podman and ctr send', () => {
  test('tmpfs with tmpcopyup keeps what the image had; rslave propagation; a device fileMode with type bits', () => {
    const b = makeBundle((c) => {
      c.mounts.push({
        destination: '/etc',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['size=1m', 'rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'],
      });
      c.linux.rootfsPropagation = 'rslave';
      c.linux.devices = [{ path: '/dev/fuse-test', type: 'c', major: 1, minor: 3, fileMode: 8576, uid: 0, gid: 0 }];
      c.process.args = [
        '/bin/sh',
        '-c',
        'grep -c ^root: /etc/passwd > /out/etc; echo new > /etc/new && echo writable >> /out/etc; grep " /etc " /proc/self/mounts | cut -d" " -f3 >> /out/etc; stat -c %a:%F /dev/fuse-test >> /out/etc',
      ];
    });
    runProbe2(b);
    assert.equal(fs.readFileSync(path.join(b.out, 'etc'), 'utf8'), '1\nwritable\ntmpfs\n600:character special file\n');
    assert.ok(!fs.existsSync(path.join(b.config.root.path, 'etc/new')), 'the image is untouched');
  });
});

describe('session keyring', () => {
  test('a new session keyring named after the container, none with --no-new-keyring', () => {
    const edit = (c: any) => {
      c.linux.maskedPaths = [];
      c.process.args = ['/bin/sh', '-c', 'cat /proc/keys > /out/keys'];
    };
    const b = makeBundle(edit);
    runProbe2(b);
    assert.match(fs.readFileSync(path.join(b.out, 'keys'), 'utf8'), new RegExp(`keyring\\s+${b.id}:`));
    const b2 = makeBundle(edit);
    const r = skiff(['run', '--no-new-keyring', '-b', b2.dir, b2.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(fs.readFileSync(path.join(b2.out, 'keys'), 'utf8'), new RegExp(`keyring\\s+${b2.id}:`));
  });
});

function runProbe2(b: Bundle): void {
  const r = skiff(['run', '-b', b.dir, b.id]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(assertGone(b), []);
}

// Keep tempDir referenced for bundles made outside makeBundle in future cases.
void tempDir;
