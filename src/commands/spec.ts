import * as fs from 'node:fs';
import * as path from 'node:path';

import { hierarchy } from '../cgroups/hierarchy';
import { SkiffError } from '../errors';
import type { Spec } from '../spec/types';
import { SPEC_VERSION } from '../version';

// The capabilities runc's `spec` grants (Docker's historical default set).
const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * runc's default config.json: a shell in a busybox-like rootfs, in new pid, network, ipc, uts and
 * mount namespaces, and a cgroup namespace where the host is cgroup v2 only (as runc decides it:
 * scripts that add their own on v1 hosts would otherwise meet a duplicate).
 */
export function defaultSpec(opts: { cgroupNamespace?: boolean } = {}): Spec {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'skiff',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        ...(opts.cgroupNamespace ? [{ type: 'cgroup' as const }] : []),
      ],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * runc's `spec --rootless`: the default made runnable by an unprivileged user. A user namespace
 * mapping the caller's own uid and gid to 0, no network namespace (an unprivileged user could not
 * configure one), /sys bind-mounted from the host (sysfs cannot be mounted
 * without owning a network namespace), no uid=/gid= mount options, no cgroup limits.
 */
export function rootlessSpec(base: Spec, ids: { uid: number; gid: number }): Spec {
  const linux = base.linux ?? {};
  const namespaces = (linux.namespaces ?? []).filter((n) => n.type !== 'network' && n.type !== 'user');
  namespaces.push({ type: 'user' });
  const mounts = (base.mounts ?? []).map((m) =>
    path.posix.normalize(m.destination) === '/sys'
      ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { ...m, ...(m.options ? { options: m.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) } : {}) },
  );
  const { resources: _resources, ...rest } = linux;
  return {
    ...base,
    mounts,
    linux: {
      ...rest,
      uidMappings: [{ containerID: 0, hostID: ids.uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: ids.gid, size: 1 }],
      namespaces,
    },
  };
}

export function spec(opts: { bundle?: string; rootless?: boolean }): void {
  const file = path.join(path.resolve(opts.bundle ?? '.'), 'config.json');
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new SkiffError(`File ${file} exists. Remove it first`);
    throw new SkiffError(`open ${file}: ${code}`);
  }
  const base = defaultSpec({ cgroupNamespace: hierarchy().mode === 'unified' });
  const doc = opts.rootless ? rootlessSpec(base, { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }) : base;
  fs.writeSync(fd, JSON.stringify(doc, null, '\t') + '\n');
  fs.closeSync(fd);
}
