// What this host (and this build of skiff) supports of what a config.json asks for: namespaces,
// the cgroup mode and controllers, seccomp, LSM labels, idmapped mounts, hooks, and the fields
// skiff does not apply yet. Used by `skiff check`.
//
// Every function here is handed documents that may have failed validation: it checks the shape
// of everything it reads and never throws on odd input. The host is read through a HostProbe so
// the logic can be tested against made-up hosts.

import * as fs from 'node:fs';
import * as os from 'node:os';

import { hierarchy, type Hierarchy } from '../cgroups/hierarchy';
import { featuresDocument } from '../commands/features';
import { UNSUPPORTED_HOOKS } from '../container/hooks';

export type Verdict = 'ok' | 'warning' | 'error';

/** One finding of `skiff check`: `path` is a JSON pointer into config.json, or "host". */
export interface Finding {
  path: string;
  verdict: Verdict;
  message: string;
}

/** The host facts the checks read. */
export interface HostProbe {
  /** uname -r */
  release: string;
  exists(p: string): boolean;
  /** File contents, or undefined when unreadable. */
  read(p: string): string | undefined;
  /** stat(2) (following symlinks): the device, or undefined when it fails. */
  statDev(p: string): number | undefined;
  readlink(p: string): string | undefined;
  hierarchy(): Hierarchy;
}

export const realHost: HostProbe = {
  release: os.release(),
  exists: (p) => fs.existsSync(p),
  read: (p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  statDev: (p) => {
    try {
      return fs.statSync(p).dev;
    } catch {
      return undefined;
    }
  },
  readlink: (p) => {
    try {
      return fs.readlinkSync(p);
    } catch {
      return undefined;
    }
  },
  hierarchy: () => hierarchy(),
};

// ---------------------------------------------------------------------------------------------
// What skiff itself applies. Keep in step with src/cgroups/ and src/linux/plan.ts.

/**
 * linux.resources fields (as "group" or "group.field") that skiff writes to the cgroup. Anything
 * else that a config sets is reported as "not applied by skiff yet". Empty: src/cgroups/ has no
 * resource support yet (manager.ts only creates, places and removes the cgroups).
 */
export const APPLIED_RESOURCES: ReadonlySet<string> = new Set<string>([]);

/** Other fields create accepts but does not act on yet (JSON pointer → what it is). */
export const NOT_APPLIED_FIELDS: Readonly<Record<string, string>> = {
  '/process/scheduler': 'the scheduling policy',
  '/process/ioPriority': 'the I/O priority',
  '/process/execCPUAffinity': 'the CPU affinity',
  '/linux/personality': 'the execution domain (personality)',
  '/linux/intelRdt': 'Intel RDT',
  '/linux/memoryPolicy': 'the NUMA memory policy',
  '/linux/netDevices': 'moving network devices',
};

// ---------------------------------------------------------------------------------------------
// helpers

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
function isStr(x: unknown): x is string {
  return typeof x === 'string';
}
function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
function isSet(x: unknown): boolean {
  if (x === undefined || x === null) return false;
  if (Array.isArray(x)) return x.length > 0;
  if (isObj(x)) return Object.keys(x).length > 0;
  if (isStr(x)) return x !== '';
  return true;
}
function q(s: string): string {
  return JSON.stringify(s);
}
function token(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** [major, minor] of a kernel release such as "6.8.0-45-generic"; undefined if it does not parse. */
export function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function kernelAtLeast(release: string, major: number, minor: number): boolean | undefined {
  const v = kernelVersion(release);
  if (!v) return undefined;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** /proc/<pid>/ns/<name> per spec namespace type, and the kernel that introduced it. */
const NAMESPACES: Record<string, { proc: string; since: string }> = {
  pid: { proc: 'pid', since: '2.6.24' },
  network: { proc: 'net', since: '2.6.29' },
  mount: { proc: 'mnt', since: '2.4.19' },
  ipc: { proc: 'ipc', since: '2.6.19' },
  uts: { proc: 'uts', since: '2.6.19' },
  user: { proc: 'user', since: '3.8' },
  cgroup: { proc: 'cgroup', since: '4.6' },
  time: { proc: 'time', since: '5.6' },
};

// ---------------------------------------------------------------------------------------------
// namespaces

function namespaceFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  const linux = isObj(doc.linux) ? doc.linux : undefined;
  const nsList = linux ? linux.namespaces : undefined;
  if (nsList !== undefined && !Array.isArray(nsList)) return; // the schema reports it
  const ok: string[] = [];
  let hasMount = false;
  let nsfsDev: number | undefined;
  list(nsList).forEach((ns, i) => {
    if (!isObj(ns) || !isStr(ns.type)) return;
    const info = NAMESPACES[ns.type];
    if (!info) return; // unknown type: the schema reports it
    if (ns.type === 'mount') hasMount = true;
    const base = `/linux/namespaces/${i}`;
    const self = `/proc/self/ns/${info.proc}`;
    if (!host.exists(self)) {
      out.push({
        path: `${base}/type`,
        verdict: 'error',
        message: `this kernel has no ${ns.type} namespaces (${self} is missing; they need Linux ${info.since} or later)`,
      });
      return;
    }
    const nsPath = isStr(ns.path) && ns.path !== '' ? ns.path : undefined;
    if (nsPath === undefined) {
      if (ns.type === 'user') {
        const max = host.read('/proc/sys/user/max_user_namespaces')?.trim();
        if (max === '0') {
          out.push({
            path: `${base}/type`,
            verdict: 'error',
            message: 'user namespaces are disabled on this host (/proc/sys/user/max_user_namespaces is 0)',
          });
          return;
        }
      }
      ok.push(ns.type);
      return;
    }
    if (!nsPath.startsWith('/')) return; // the rules report it
    const dev = host.statDev(nsPath);
    if (dev === undefined) {
      out.push({ path: `${base}/path`, verdict: 'error', message: `${nsPath} does not exist (or cannot be opened)` });
      return;
    }
    nsfsDev ??= host.statDev(self);
    if (nsfsDev !== undefined && dev !== nsfsDev) {
      out.push({
        path: `${base}/path`,
        verdict: 'error',
        message: `${nsPath} is not a namespace file (expected /proc/<pid>/ns/${info.proc} or a bind mount of one)`,
      });
      return;
    }
    const link = host.readlink(nsPath);
    const kind = link ? /^([a-z_]+):\[\d+\]$/.exec(link)?.[1] : undefined;
    if (kind && kind !== info.proc) {
      out.push({ path: `${base}/path`, verdict: 'error', message: `${nsPath} is a ${kind} namespace, not a ${info.proc} one` });
      return;
    }
    out.push({ path: `${base}/path`, verdict: 'ok', message: `joins the ${ns.type} namespace ${nsPath}` });
  });
  if (ok.length > 0) {
    out.push({ path: '/linux/namespaces', verdict: 'ok', message: `the kernel supports new ${ok.join(', ')} namespaces` });
  }
  // skiff builds the container's root in a mount namespace of its own (src/linux/plan.ts).
  if (!hasMount) {
    out.push({
      path: '/linux/namespaces',
      verdict: 'error',
      message: 'skiff needs a mount namespace: add {"type": "mount"} to /linux/namespaces',
    });
  }
}

// ---------------------------------------------------------------------------------------------
// cgroups

/** Which controller a resource group needs: v1 hierarchy name, cgroup2 controller (null: none exists). */
interface ControllerNeed {
  v1: string | null;
  v2: string | null;
}

function controllerFor(group: string, field: string): ControllerNeed {
  switch (group) {
    case 'memory':
      if (field === 'kernel' || field === 'kernelTCP' || field === 'swappiness' || field === 'useHierarchy') return { v1: 'memory', v2: null };
      return { v1: 'memory', v2: 'memory' };
    case 'cpu':
      if (field === 'cpus' || field === 'mems') return { v1: 'cpuset', v2: 'cpuset' };
      if (field === 'realtimeRuntime' || field === 'realtimePeriod') return { v1: 'cpu', v2: null };
      return { v1: 'cpu', v2: 'cpu' };
    case 'pids':
      return { v1: 'pids', v2: 'pids' };
    case 'blockIO':
      return { v1: 'blkio', v2: field === 'leafWeight' ? null : 'io' };
    case 'hugepageLimits':
      return { v1: 'hugetlb', v2: 'hugetlb' };
    case 'network':
      return { v1: field === 'priorities' ? 'net_prio' : 'net_cls', v2: null };
    case 'rdma':
      return { v1: 'rdma', v2: 'rdma' };
    case 'devices':
      // cgroup2 has no devices controller: the rules are an eBPF program on the cgroup.
      return { v1: 'devices', v2: '' };
    default:
      return { v1: null, v2: null };
  }
}

function modeText(h: Hierarchy): string {
  if (h.mode === 'unified') return `cgroup v2 (unified hierarchy at ${h.unified?.mountpoint ?? '?'})`;
  const v1 = h.v1.map((v) => v.controllers.join(',')).join(' ');
  if (h.mode === 'hybrid') return `cgroup v1 (hybrid: controllers ${v1}; cgroup2 at ${h.unified?.mountpoint ?? '?'})`;
  return `cgroup v1 (legacy: controllers ${v1})`;
}

function v2Controllers(h: Hierarchy, host: HostProbe): Set<string> {
  if (!h.unified) return new Set();
  const text = host.read(`${h.unified.mountpoint}/cgroup.controllers`) ?? '';
  return new Set(text.split(/\s+/).filter(Boolean));
}

function cgroupFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  let h: Hierarchy;
  try {
    h = host.hierarchy();
  } catch (err) {
    out.push({ path: 'host', verdict: 'error', message: `cannot read the cgroup layout: ${(err as Error).message}` });
    return;
  }
  if (h.v1.length === 0 && !h.unified) {
    out.push({ path: 'host', verdict: 'error', message: 'no cgroup filesystem is mounted (skiff needs cgroup v1 or v2)' });
    return;
  }
  out.push({ path: 'host', verdict: 'ok', message: modeText(h) });

  const linux = isObj(doc.linux) ? doc.linux : undefined;
  const r = linux && isObj(linux.resources) ? linux.resources : undefined;
  if (!r) return;
  const v1 = new Set(h.v1.flatMap((v) => v.controllers));
  const v2 = v2Controllers(h, host);
  const useV2 = h.mode === 'unified';
  const available = new Set<string>();

  /** One field (or a whole group for arrays and maps). */
  const consider = (pointer: string, key: string, need: ControllerNeed): void => {
    const wanted = useV2 ? need.v2 : need.v1;
    let problem: string | undefined;
    if (wanted === null) {
      problem = useV2 ? 'has no cgroup v2 equivalent (this host is cgroup v2)' : 'needs cgroup v2';
    } else if (wanted !== '' && !(useV2 ? v2 : v1).has(wanted)) {
      problem = useV2
        ? `needs the ${wanted} controller, which is not in ${h.unified?.mountpoint}/cgroup.controllers`
        : `needs the ${wanted} controller, which no cgroup v1 hierarchy on this host has`;
    }
    if (!APPLIED_RESOURCES.has(key) && !APPLIED_RESOURCES.has(key.split('.')[0]!)) {
      out.push({
        path: pointer,
        verdict: 'warning',
        message: `is not applied by skiff yet: the container would run without this limit${problem ? ` (and it ${problem})` : ''}`,
      });
      return;
    }
    if (problem) out.push({ path: pointer, verdict: need.v1 === null || need.v2 === null ? 'warning' : 'error', message: problem });
    else if (wanted) available.add(wanted);
  };

  for (const group of ['memory', 'cpu', 'pids', 'blockIO', 'network']) {
    const g = r[group];
    if (!isObj(g)) continue;
    for (const [field, value] of Object.entries(g)) {
      if (value === undefined || value === null) continue;
      consider(`/linux/resources/${group}/${token(field)}`, `${group}.${field}`, controllerFor(group, field));
    }
  }
  for (const group of ['hugepageLimits', 'rdma', 'devices']) {
    if (isSet(r[group])) consider(`/linux/resources/${group}`, group, controllerFor(group, ''));
  }
  if (isObj(r.unified)) {
    for (const key of Object.keys(r.unified)) {
      const pointer = `/linux/resources/unified/${token(key)}`;
      const controller = key.split('.')[0]!;
      const core = controller === 'cgroup';
      if (!APPLIED_RESOURCES.has('unified')) {
        out.push({ path: pointer, verdict: 'warning', message: 'is not applied by skiff yet: the container would run without it' });
      } else if (!h.unified) {
        out.push({ path: pointer, verdict: 'error', message: 'needs cgroup v2, and this host has only cgroup v1' });
      } else if (!core && !v2.has(controller)) {
        out.push({
          path: pointer,
          verdict: 'error',
          message: `needs the ${controller} controller on cgroup v2, which is not in ${h.unified.mountpoint}/cgroup.controllers`,
        });
      } else if (!core) available.add(controller);
    }
  }
  if (available.size > 0) {
    out.push({ path: '/linux/resources', verdict: 'ok', message: `controllers available: ${[...available].sort().join(', ')}` });
  }
}

// ---------------------------------------------------------------------------------------------
// security, mounts, hooks, the rest

function apparmorEnabled(host: HostProbe): boolean {
  return host.exists('/sys/kernel/security/apparmor') || host.read('/sys/module/apparmor/parameters/enabled')?.trim() === 'Y';
}

function selinuxEnabled(host: HostProbe): boolean {
  return host.exists('/sys/fs/selinux/enforce') || host.exists('/sys/fs/selinux');
}

function securityFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  const features = featuresDocument() as { linux: Record<string, { enabled?: boolean } | undefined> };
  const enabled = (k: string): boolean => !!features.linux[k]?.enabled;
  const linux = isObj(doc.linux) ? doc.linux : undefined;
  const proc = isObj(doc.process) ? doc.process : undefined;

  if (linux && isObj(linux.seccomp)) {
    const status = host.read('/proc/self/status');
    if (status !== undefined && !/^Seccomp:/m.test(status)) {
      out.push({ path: '/linux/seccomp', verdict: 'error', message: 'this kernel has no seccomp (no "Seccomp:" line in /proc/self/status)' });
    }
    if (!enabled('seccomp')) {
      out.push({
        path: '/linux/seccomp',
        verdict: 'error',
        message: 'seccomp is not supported by skiff yet: create would run the container without this filter',
      });
    }
  }

  if (proc && isStr(proc.apparmorProfile) && proc.apparmorProfile !== '') {
    if (!apparmorEnabled(host)) {
      out.push({
        path: '/process/apparmorProfile',
        verdict: 'error',
        message: 'AppArmor is not enabled on this host (no /sys/kernel/security/apparmor; /sys/module/apparmor/parameters/enabled is not Y)',
      });
    }
    if (!enabled('apparmor')) {
      out.push({ path: '/process/apparmorProfile', verdict: 'error', message: 'AppArmor profiles are not applied by skiff yet' });
    }
  }

  const labels: [string, unknown][] = [
    ['/process/selinuxLabel', proc?.selinuxLabel],
    ['/linux/mountLabel', linux?.mountLabel],
  ];
  for (const [pointer, value] of labels) {
    if (!isStr(value) || value === '') continue;
    if (!selinuxEnabled(host)) out.push({ path: pointer, verdict: 'error', message: 'SELinux is not enabled on this host (no /sys/fs/selinux)' });
    if (!enabled('selinux')) out.push({ path: pointer, verdict: 'error', message: 'SELinux labels are not applied by skiff yet' });
  }

  // Idmapped mounts (mount_setattr(2) with MOUNT_ATTR_IDMAP): Linux 5.12.
  const idmapOk = kernelAtLeast(host.release, 5, 12);
  const idmapSupported = !!(features.linux.mountExtensions as { idmap?: { enabled?: boolean } } | undefined)?.idmap?.enabled;
  list(doc.mounts).forEach((m, i) => {
    if (!isObj(m)) return;
    const opts = list(m.options);
    const wants = m.uidMappings !== undefined || m.gidMappings !== undefined || opts.includes('idmap') || opts.includes('ridmap');
    if (!wants) return;
    const pointer = m.uidMappings !== undefined ? `/mounts/${i}/uidMappings` : m.gidMappings !== undefined ? `/mounts/${i}/gidMappings` : `/mounts/${i}/options`;
    if (idmapOk === false) {
      out.push({ path: pointer, verdict: 'error', message: `idmapped mounts need Linux 5.12 or later (this kernel is ${host.release})` });
    }
    if (!idmapSupported) out.push({ path: pointer, verdict: 'error', message: 'idmapped mounts are not supported by skiff yet' });
    else if (idmapOk) out.push({ path: pointer, verdict: 'ok', message: `idmapped mounts are supported (kernel ${host.release})` });
  });
}

function hookFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  if (!isObj(doc.hooks)) return;
  const hooks = doc.hooks;
  const unsupported = new Set<string>(UNSUPPORTED_HOOKS);
  for (const [kind, entries] of Object.entries(hooks)) {
    if (!Array.isArray(entries) || entries.length === 0) continue;
    if (unsupported.has(kind)) {
      out.push({ path: `/hooks/${token(kind)}`, verdict: 'error', message: `${kind} hooks are not supported by skiff yet (supported: poststart, poststop)` });
      continue;
    }
    entries.forEach((h, i) => {
      if (!isObj(h) || !isStr(h.path) || !h.path.startsWith('/')) return;
      if (!host.exists(h.path)) {
        // runtime.md: a failing poststart or poststop hook is logged as a warning.
        out.push({ path: `/hooks/${token(kind)}/${i}/path`, verdict: 'warning', message: `${h.path} does not exist on the host: the hook would fail` });
      }
    });
  }
}

function notAppliedFindings(doc: Obj, out: Finding[]): void {
  for (const [pointer, what] of Object.entries(NOT_APPLIED_FIELDS)) {
    const [, top, field] = pointer.split('/');
    const parent = doc[top!];
    if (isObj(parent) && isSet(parent[field!])) {
      out.push({ path: pointer, verdict: 'warning', message: `is not applied by skiff yet: the container would run without ${what}` });
    }
  }
  if (isObj(doc.process) && doc.process.terminal === true) {
    out.push({ path: '/process/terminal', verdict: 'warning', message: 'is true: create and run need --console-socket to pass the pty master' });
  }
}

/**
 * Everything the host and skiff must support for this config. `doc` is the parsed config.json
 * (possibly invalid); callers drop findings about paths that already have validation problems.
 */
export function hostFindings(doc: unknown, opts: { systemdCgroup?: boolean } = {}, host: HostProbe = realHost): Finding[] {
  const out: Finding[] = [];
  if (opts.systemdCgroup) {
    out.push({ path: 'host', verdict: 'error', message: '--systemd-cgroup is not supported yet: use the cgroupfs driver (omit the flag)' });
  }
  if (!isObj(doc)) return out;
  namespaceFindings(doc, host, out);
  cgroupFindings(doc, host, out);
  securityFindings(doc, host, out);
  hookFindings(doc, host, out);
  notAppliedFindings(doc, out);
  return out;
}
