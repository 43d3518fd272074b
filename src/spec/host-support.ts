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
import { SYSTEMD_NOT_RUNNING } from '../cgroups/systemd';
import { ResourceError, v1Writes, type CgroupWrite } from '../cgroups/resources-v1';
import { unifiedWrites, v2Writes } from '../cgroups/resources-v2';
import { featuresDocument } from '../commands/features';
import { unsupportedFields } from '../linux/plan';
import type { Resources, Spec } from './types';

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
  /** A regular file this process may execute (access(2) X_OK). */
  executable(p: string): boolean;
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
  executable: (p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  hierarchy: () => hierarchy(),
};

// ---------------------------------------------------------------------------------------------
// What skiff itself applies. linux.resources is checked through the same translation create uses
// (src/cgroups/resources-v1.ts, resources-v2.ts); the rest is listed here: keep it in step with
// src/linux/plan.ts.

/** Other fields create accepts but does not act on yet (JSON pointer → what it is). */

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
  // An omitted type is inherited (config-linux.md); for the mount namespace that has consequences.
  if (!hasMount) {
    out.push({
      path: '/linux/namespaces',
      verdict: 'ok',
      message:
        "no mount namespace: the container shares skiff's, its mounts are made there under the rootfs (removed by delete) and it is chrooted, not pivoted",
    });
  }
}

// ---------------------------------------------------------------------------------------------
// cgroups

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

/** "linux.resources.memory.swap: text" → ["/linux/resources/memory/swap", "text"]. */
function resourceErrorFinding(err: ResourceError, fallback: string): Finding {
  const m = /^linux\.resources\.([A-Za-z0-9_.]+)(?::\s*)?/.exec(err.message);
  if (!m) return { path: fallback, verdict: 'error', message: err.message };
  const rest = err.message.slice(m[0].length);
  return { path: `/linux/resources/${m[1]!.split('.').join('/')}`, verdict: 'error', message: rest || err.message };
}

/** Where a write's value comes from, for messages. */
function writePointer(w: CgroupWrite, group: string): string {
  if (w.file === 'cpuset.cpus') return '/linux/resources/cpu/cpus';
  if (w.file === 'cpuset.mems') return '/linux/resources/cpu/mems';
  return `/linux/resources/${group}`;
}

/** Fields the translation leaves out (as runc does): set in the config, but without effect. */
function ignoredResources(r: Obj, v2: boolean): Finding[] {
  const out: Finding[] = [];
  const warn = (p: string, why: string) => out.push({ path: p, verdict: 'warning', message: `is ignored ${why}` });
  const mem = isObj(r.memory) ? r.memory : {};
  for (const k of ['kernel', 'kernelTCP']) {
    if (typeof mem[k] === 'number' && mem[k] !== 0)
      warn(`/linux/resources/memory/${k}`, '(kernel memory limits are deprecated by the kernel)');
  }
  if (mem.useHierarchy !== undefined) warn('/linux/resources/memory/useHierarchy', '(the kernel always uses the hierarchy now)');
  if (v2) {
    if (typeof mem.swappiness === 'number' && mem.swappiness !== -1)
      warn('/linux/resources/memory/swappiness', 'on cgroup v2 (it has no per-cgroup swappiness)');
    if (mem.disableOOMKiller === true) warn('/linux/resources/memory/disableOOMKiller', 'on cgroup v2 (it has no memory.oom_control)');
    const b = isObj(r.blockIO) ? r.blockIO : {};
    if (typeof b.leafWeight === 'number' && b.leafWeight !== 0)
      warn('/linux/resources/blockIO/leafWeight', 'on cgroup v2 (io has no leaf weights)');
    list(b.weightDevice).forEach((d, i) => {
      if (isObj(d) && typeof d.leafWeight === 'number' && d.leafWeight !== 0) {
        warn(`/linux/resources/blockIO/weightDevice/${i}/leafWeight`, 'on cgroup v2 (io has no leaf weights)');
      }
    });
  }
  return out;
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
  const r: Obj = linux && isObj(linux.resources) ? linux.resources : {};
  const useV2 = h.mode === 'unified';
  const v1 = new Set(h.v1.flatMap((v) => v.controllers));
  const v2 = v2Controllers(h, host);
  const used = new Set<string>();
  const missing = new Set<string>();

  // The writes create would make (src/cgroups/apply.ts), one resource group at a time so that one
  // group's error does not hide the others'. On v1 the device rules are always written.
  const groups = Object.keys(r).filter((g) => g !== 'unified');
  if (!useV2 && !groups.includes('devices')) groups.push('devices');
  for (const group of groups) {
    let writes: CgroupWrite[];
    try {
      const only = { [group]: r[group] } as Resources;
      writes = useV2 ? v2Writes(only) : v1Writes(only, { devices: group === 'devices' });
    } catch (err) {
      if (err instanceof ResourceError) out.push(resourceErrorFinding(err, `/linux/resources/${token(group)}`));
      continue; // other throws: a value of the wrong shape, which the schema reports
    }
    for (const w of writes) {
      const have = useV2 ? v2.has(w.controller) : v1.has(w.controller);
      if (have) {
        used.add(w.controller);
        continue;
      }
      if (missing.has(w.controller)) continue;
      missing.add(w.controller);
      const pointer = group === 'devices' && !isSet(r.devices) ? 'host' : writePointer(w, group);
      out.push({
        path: pointer,
        verdict: 'error',
        message: useV2
          ? `needs the cgroup v2 ${w.controller} controller, which is not in ${h.unified?.mountpoint}/cgroup.controllers`
          : `needs the cgroup v1 ${w.controller} controller, which no hierarchy on this host has (it would write ${w.file})`,
      });
    }
  }

  // linux.resources.unified: files of the cgroup2 directory (on hybrid hosts too).
  if (isObj(r.unified)) {
    for (const key of Object.keys(r.unified)) {
      const pointer = `/linux/resources/unified/${token(key)}`;
      let writes: CgroupWrite[];
      try {
        writes = isStr(r.unified[key]) ? unifiedWrites({ [key]: r.unified[key] as string }) : [];
      } catch (err) {
        if (err instanceof ResourceError)
          out.push({ path: pointer, verdict: 'error', message: err.message.replace(/^linux\.resources\.unified: /, '') });
        continue;
      }
      const controller = writes[0]?.controller;
      if (controller === undefined) continue;
      if (!h.unified) {
        out.push({ path: pointer, verdict: 'error', message: 'needs cgroup v2, and this host has only cgroup v1 hierarchies' });
      } else if (controller !== 'cgroup' && !v2.has(controller)) {
        out.push({
          path: pointer,
          verdict: 'error',
          message: `needs the cgroup v2 ${controller} controller, which is not in ${h.unified.mountpoint}/cgroup.controllers${h.mode === 'hybrid' ? ' (on this hybrid host the controllers are on cgroup v1)' : ''}`,
        });
      } else if (controller !== 'cgroup') used.add(controller);
    }
  }

  // v1's memory.memsw.limit_in_bytes is memory+swap: the kernel refuses one below the memory limit
  // (the v2 translation above reports the same).
  const mem = isObj(r.memory) ? r.memory : {};
  if (!useV2 && typeof mem.limit === 'number' && mem.limit > 0 && typeof mem.swap === 'number' && mem.swap > 0 && mem.swap < mem.limit) {
    out.push({
      path: '/linux/resources/memory/swap',
      verdict: 'error',
      message: `is memory+swap, and must be >= limit (${mem.limit}) (got ${mem.swap}): the kernel would refuse it with EINVAL`,
    });
  }
  out.push(...ignoredResources(r, useV2));
  if (used.size > 0) {
    out.push({
      path: isSet(r) ? '/linux/resources' : 'host',
      verdict: 'ok',
      message: `cgroup controllers available: ${[...used].sort().join(', ')}`,
    });
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

interface SeccompFeatures {
  enabled?: boolean;
  actions?: string[];
  archs?: string[];
  supportedFlags?: string[];
}

/** linux.seccomp against the kernel and what `skiff features` says skiff supports. */
function seccompFindings(sc: Obj, features: SeccompFeatures | undefined, host: HostProbe, out: Finding[]): void {
  const before = out.length;
  const status = host.read('/proc/self/status');
  if (status !== undefined && !/^Seccomp:/m.test(status)) {
    out.push({ path: '/linux/seccomp', verdict: 'error', message: 'this kernel has no seccomp (no "Seccomp:" line in /proc/self/status)' });
  }
  if (!features?.enabled) {
    out.push({
      path: '/linux/seccomp',
      verdict: 'error',
      message: 'seccomp is not supported by skiff yet: create would run the container without this filter',
    });
    return;
  }
  const unsupported = (pointer: string, what: string, value: unknown, known: string[] | undefined) => {
    if (isStr(value) && known && !known.includes(value)) {
      out.push({
        path: pointer,
        verdict: 'error',
        message: `${what} ${q(value)} is not supported by skiff (supported: ${known.join(', ')})`,
      });
    }
  };
  unsupported('/linux/seccomp/defaultAction', 'action', sc.defaultAction, features.actions);
  list(sc.architectures).forEach((a, i) => unsupported(`/linux/seccomp/architectures/${i}`, 'architecture', a, features.archs));
  list(sc.flags).forEach((f, i) => unsupported(`/linux/seccomp/flags/${i}`, 'flag', f, features.supportedFlags));
  list(sc.syscalls).forEach((r, i) => {
    if (isObj(r)) unsupported(`/linux/seccomp/syscalls/${i}/action`, 'action', r.action, features.actions);
  });
  if (!out.slice(before).some((f) => f.path.startsWith('/linux/seccomp'))) {
    const n = list(sc.syscalls).length;
    out.push({
      path: '/linux/seccomp',
      verdict: 'ok',
      message: `supported (default ${isStr(sc.defaultAction) ? sc.defaultAction : '?'}, ${n} syscall rule${n === 1 ? '' : 's'})`,
    });
  }
}

function securityFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  const features = featuresDocument() as { linux: Record<string, { enabled?: boolean } | undefined> };
  const enabled = (k: string): boolean => !!features.linux[k]?.enabled;
  const linux = isObj(doc.linux) ? doc.linux : undefined;
  const proc = isObj(doc.process) ? doc.process : undefined;

  if (linux && isObj(linux.seccomp)) seccompFindings(linux.seccomp, features.linux.seccomp as SeccompFeatures | undefined, host, out);

  if (proc && isStr(proc.apparmorProfile) && proc.apparmorProfile !== '') {
    if (!apparmorEnabled(host)) {
      out.push({
        path: '/process/apparmorProfile',
        verdict: 'error',
        message:
          'AppArmor is not enabled on this host (no /sys/kernel/security/apparmor; /sys/module/apparmor/parameters/enabled is not Y)',
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
    // Without SELinux there is nothing to apply a label to: create ignores it with a warning.
    if (!selinuxEnabled(host))
      out.push({ path: pointer, verdict: 'warning', message: 'ignored: SELinux is not enabled on this host (no /sys/fs/selinux)' });
    else if (!enabled('selinux')) out.push({ path: pointer, verdict: 'error', message: 'SELinux labels are not applied by skiff yet' });
  }

  // Idmapped mounts (mount_setattr(2) with MOUNT_ATTR_IDMAP): Linux 5.12.
  const idmapOk = kernelAtLeast(host.release, 5, 12);
  const idmapSupported = !!(features.linux.mountExtensions as { idmap?: { enabled?: boolean } } | undefined)?.idmap?.enabled;
  list(doc.mounts).forEach((m, i) => {
    if (!isObj(m)) return;
    const opts = list(m.options);
    const wants = m.uidMappings !== undefined || m.gidMappings !== undefined || opts.includes('idmap') || opts.includes('ridmap');
    if (!wants) return;
    const pointer =
      m.uidMappings !== undefined
        ? `/mounts/${i}/uidMappings`
        : m.gidMappings !== undefined
          ? `/mounts/${i}/gidMappings`
          : `/mounts/${i}/options`;
    if (idmapOk === false) {
      out.push({ path: pointer, verdict: 'error', message: `idmapped mounts need Linux 5.12 or later (this kernel is ${host.release})` });
    }
    const bind = m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
    if (!bind)
      out.push({
        path: `/mounts/${i}`,
        verdict: 'error',
        message: `idmapped mounts are bind mounts (this one is type ${JSON.stringify(m.type ?? '')})`,
      });
    if (!idmapSupported) out.push({ path: pointer, verdict: 'error', message: 'idmapped mounts are not supported by skiff yet' });
    else if (idmapOk && bind)
      out.push({
        path: pointer,
        verdict: 'ok',
        message: `idmapped (kernel ${host.release}); the source's filesystem must support idmapped mounts (ext4, xfs, btrfs, tmpfs, overlayfs do; create says so when it does not)`,
      });
  });
}

/** Hooks whose failure makes create (or start) fail; poststart and poststop failures are only logged. */
const FATAL_HOOKS = new Set(['prestart', 'createRuntime', 'createContainer', 'startContainer']);

/**
 * Hook programs on the host. startContainer hooks resolve in the container (config.md), so
 * `skiff check` looks for those in the rootfs instead (src/commands/check.ts).
 */
function hookFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  if (!isObj(doc.hooks)) return;
  const hooks = doc.hooks;
  for (const [kind, entries] of Object.entries(hooks)) {
    if (kind === 'startContainer' || !Array.isArray(entries)) continue;
    entries.forEach((h, i) => {
      if (!isObj(h) || !isStr(h.path) || !h.path.startsWith('/')) return;
      const problem = !host.exists(h.path)
        ? 'does not exist on the host'
        : !host.executable(h.path)
          ? 'is not an executable file'
          : undefined;
      if (!problem) return;
      const fatal = FATAL_HOOKS.has(kind);
      out.push({
        path: `/hooks/${token(kind)}/${i}/path`,
        verdict: fatal ? 'error' : 'warning',
        message: `${h.path} ${problem}: the ${kind} hook would fail${fatal ? ', and with it create' : ' (only logged as a warning)'}`,
      });
    });
  }
}

function notAppliedFindings(doc: Obj, out: Finding[]): void {
  // The same list create refuses (AppArmor and SELinux are reported with the LSM findings).
  for (const u of unsupportedFields(doc as unknown as Spec)) {
    if (u.path === '/process/apparmorProfile' || u.path === '/process/selinuxLabel' || u.path === '/linux/mountLabel') continue;
    out.push({ path: u.path, verdict: 'error', message: u.message });
  }
  if (isObj(doc.process) && doc.process.terminal === true) {
    out.push({
      path: '/process/terminal',
      verdict: 'warning',
      message: 'is true: create needs --console-socket to pass the pty master to (run can relay the terminal itself)',
    });
  }
}

/**
 * Everything the host and skiff must support for this config. `doc` is the parsed config.json
 * (possibly invalid); callers drop findings about paths that already have validation problems.
 */
/** The systemd driver needs systemd as the host's init (sd_booted: /run/systemd/system). */
export function systemdFinding(host: HostProbe): Finding {
  if (!host.exists('/run/systemd/system')) return { path: 'host', verdict: 'error', message: SYSTEMD_NOT_RUNNING };
  return { path: 'host', verdict: 'ok', message: 'systemd runs this host: the container gets a transient scope unit (--systemd-cgroup)' };
}

export function hostFindings(doc: unknown, opts: { systemdCgroup?: boolean } = {}, host: HostProbe = realHost): Finding[] {
  const out: Finding[] = [];
  if (opts.systemdCgroup) out.push(systemdFinding(host));
  if (!isObj(doc)) return out;
  namespaceFindings(doc, host, out);
  cgroupFindings(doc, host, out);
  securityFindings(doc, host, out);
  hookFindings(doc, host, out);
  netDeviceFindings(doc, host, out);
  const personality = isObj(doc.linux) && isObj(doc.linux.personality) ? doc.linux.personality : undefined;
  if (personality && list(personality.flags).length)
    out.push({
      path: '/linux/personality/flags',
      verdict: 'warning',
      message: 'ignored, as by runc: runtime-spec 1.3.0 defines no personality flags',
    });
  notAppliedFindings(doc, out);
  return out;
}

/** linux.netDevices: each must be a network device in skiff's network namespace now. */
function netDeviceFindings(doc: Obj, host: HostProbe, out: Finding[]): void {
  const linux = isObj(doc.linux) ? doc.linux : undefined;
  if (!linux || !isObj(linux.netDevices)) return;
  for (const [name, d] of Object.entries(linux.netDevices)) {
    const pointer = `/linux/netDevices/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!/^[^/\s:]{1,15}$/.test(name) || name === '.' || name === '..') continue; // the rules report it
    const to = isObj(d) && isStr(d.name) && d.name !== '' ? d.name : name;
    if (host.exists(`/sys/class/net/${name}`))
      out.push({
        path: pointer,
        verdict: 'ok',
        message: `moves the network device ${name} into the container as ${to} (addresses kept, up)`,
      });
    else
      out.push({
        path: pointer,
        verdict: 'error',
        message: `no network device ${name} in skiff's network namespace (/sys/class/net/${name})`,
      });
  }
}
