// config.json → the launch plan skiff-init executes. Pure translation: no syscalls here, so every
// rule can be unit-tested without root.
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { CgroupPaths } from '../cgroups/manager';
import type { Hook, IdMapping, Mount, Process, Spec } from '../spec/types';
import { planCapabilities, type CapabilityWarning } from './capabilities';
import { planDevices } from './devices';
import { MS, parseMountOptions, propagationFlag } from './mount-options';

/** The flags a bind remount sets per mount point (the rest belong to the superblock or the call). */
const PER_MOUNT_FLAGS =
  MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;
import { planNamespaces, type NamespacePlan } from './namespaces';
import { RLIMITS, rlimitValue } from './rlimits';
import type { CreatePlan, ExecPlan, PlanFds, PlanHook, PlanJoin, PlanMount, PlanProcess, PlanScheduler, PlanSeccomp } from './launch-plan';

export type { PlanMount } from './launch-plan';

export interface PlanInput {
  spec: Spec;
  bundle: string;
  rootfs: string;
  cgroup: CgroupPaths;
  noPivot: boolean;
  /** A new session keyring of this name (runc names it after the container); none with --no-new-keyring. */
  keyring?: string;
  fds: { fifo: number; console: number; preserve: number };
  /** The runtime's own bounding set: capabilities outside it are left out (default: all). */
  runtimeBounding?: bigint;
  /** The runtime's environment, for hooks the init runs that have no env of their own (runc's rule). */
  runtimeEnv?: string[];
  /** skiff itself runs in a user namespace (a rootless podman's): no device node can be made. */
  inUserns?: boolean;
}

export interface LaunchPlan {
  namespaces: NamespacePlan;
  uidMap?: string;
  gidMap?: string;
  /** What skiff-init reads (serialised by serializePlan). */
  init: CreatePlan;
  /** Capabilities left out (runtime-spec 1.3.0: a warning each, and the container runs). */
  warnings: CapabilityWarning[];
}

const SCHED_POLICY: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};
const SCHED_FLAG: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const MPOL_MODE: Record<string, number> = {
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
};
const MPOL_FLAG: Record<string, number> = { MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15 };

/** "0-3,7" → [0, 1, 2, 3, 7] (the cpuset list format of execCPUAffinity and memoryPolicy.nodes). */
export function parseCpuList(text: string, where: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`${where}: "${text}" is not a list like "0-3,7"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= 8192) throw new Error(`${where}: "${part}" is not a valid range`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function known(table: Record<string, number>, name: string, where: string): number {
  const v = table[name];
  if (v === undefined) throw new Error(`${where}: unknown value "${name}"`);
  return v;
}

const IOPRIO_CLASS: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
// linux/personality.h: PER_LINUX and PER_LINUX32.
const PERSONALITY: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

/**
 * Fields of config.json that skiff cannot apply yet: refusing beats silently ignoring them. SELinux
 * labels only where the host has SELinux: elsewhere there is nothing to apply them to, and create
 * ignores them with a warning (as crun; podman and containerd send labels only where SELinux is on).
 */
export function unsupportedFields(spec: Spec, host: { selinux: boolean } = { selinux: true }): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const p = spec.process ?? ({} as Partial<Process>);
  const l = spec.linux ?? {};
  const no = (path: string, what: string) => out.push({ path, message: `${what} is not supported by skiff yet` });
  if (l.intelRdt) no('/linux/intelRdt', 'Intel RDT');
  // Devices move right after the clone; a network namespace made inside a joined user namespace
  // does not exist yet then (skiff-init makes it after joining).
  const nsList = Array.isArray(l.namespaces) ? l.namespaces.filter((n) => n && typeof n === 'object') : [];
  if (
    l.netDevices &&
    Object.keys(l.netDevices).length &&
    nsList.some((n) => n.type === 'user' && n.path) &&
    nsList.some((n) => n.type === 'network' && !n.path)
  )
    no('/linux/netDevices', 'moving network devices into a new network namespace inside a joined user namespace');

  if (p.selinuxLabel && host.selinux) no('/process/selinuxLabel', 'SELinux');
  if (l.mountLabel && host.selinux) no('/linux/mountLabel', 'SELinux');
  return out;
}

export function idMap(maps: readonly IdMapping[] | undefined): string | undefined {
  if (!maps || maps.length === 0) return undefined;
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function planScheduler(s: Record<string, any>, where: string): PlanScheduler {
  return {
    policy: known(SCHED_POLICY, s.policy, `${where}.policy`),
    flags: ((s.flags ?? []) as string[]).reduce((f, name) => f | known(SCHED_FLAG, name, `${where}.flags`), 0),
    nice: s.nice ?? 0,
    priority: s.priority ?? 0,
    runtime: s.runtime ?? 0,
    deadline: s.deadline ?? 0,
    period: s.period ?? 0,
  };
}

/** The init's process plan; capabilities it leaves out are added to `warnings` for the caller to log. */
export function planProcess(proc: Process, where = 'process', runtimeBounding?: bigint, warnings?: CapabilityWarning[]): PlanProcess {
  const caps = planCapabilities(proc.capabilities, where, runtimeBounding);
  warnings?.push(...caps.warnings);
  return {
    args: proc.args ?? [],
    env: proc.env ?? [],
    cwd: proc.cwd,
    terminal: !!proc.terminal,
    consoleSize: proc.consoleSize ? { height: proc.consoleSize.height, width: proc.consoleSize.width } : null,
    user: {
      uid: proc.user.uid,
      gid: proc.user.gid,
      additionalGids: proc.user.additionalGids ?? [],
      umask: proc.user.umask ?? null,
    },
    rlimits: (proc.rlimits ?? []).map((r) => {
      const resource = RLIMITS[r.type];
      if (resource === undefined) throw new Error(`${where}.rlimits: unknown rlimit type "${r.type}"`);
      return { type: r.type, resource, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) };
    }),
    oomScoreAdj: proc.oomScoreAdj ?? null,
    noNewPrivileges: !!proc.noNewPrivileges,
    apparmorProfile: proc.apparmorProfile ?? null,
    scheduler: proc.scheduler ? planScheduler(proc.scheduler as Record<string, any>, `${where}.scheduler`) : null,
    cpuAffinityInitial: proc.execCPUAffinity?.initial
      ? parseCpuList(proc.execCPUAffinity.initial, `${where}.execCPUAffinity.initial`)
      : null,
    cpuAffinityFinal: proc.execCPUAffinity?.final ? parseCpuList(proc.execCPUAffinity.final, `${where}.execCPUAffinity.final`) : null,
    ioPriority: proc.ioPriority ? { class: IOPRIO_CLASS[proc.ioPriority.class] ?? 0, priority: proc.ioPriority.priority ?? 0 } : null,
    // No capabilities object means no capabilities at all (runc agrees), not "keep root's".
    caps: caps.masks,
  };
}

function isBind(m: Mount): boolean {
  return m.type === 'bind' || !!m.options?.some((o) => o === 'bind' || o === 'rbind');
}

function planMount(m: Mount, bundle: string, configIndex: number): PlanMount {
  const o = parseMountOptions(m.options);
  const bind = isBind(m);
  let source = m.source ?? '';
  if (bind && source && !path.isAbsolute(source)) source = path.resolve(bundle, source);
  const mapped = o.idmap !== 'none' || m.uidMappings !== undefined || m.gidMappings !== undefined;
  if (mapped && !bind)
    throw new Error(`config.json: /mounts/${configIndex}: idmapped mounts are bind mounts (this one is type "${m.type ?? ''}")`);
  return {
    destination: path.posix.normalize(m.destination),
    source,
    type: bind ? '' : (m.type ?? ''),
    flags: bind ? o.flags | MS.BIND : o.flags,
    data: o.data,
    bind,
    copyUp: o.copyUp && !bind,
    propagation: o.propagation,
    attrSet: o.attrSet,
    attrClr: o.attrClr,
    cgroup: false,
    idmap: mapped
      ? { recursive: o.idmap === 'ridmap', uidMap: idMap(m.uidMappings) ?? null, gidMap: idMap(m.gidMappings) ?? null, configIndex }
      : null,
  };
}

/**
 * A "cgroup" mount. On cgroup2 it is a cgroup2 mount. On v1 and hybrid hosts it is what runc
 * builds: a tmpfs holding one bind of the container's own directory per hierarchy.
 */
function planCgroupMount(m: Mount, cgroup: CgroupPaths, newCgroupns: boolean): PlanMount[] {
  const o = parseMountOptions(m.options);
  const base = { bind: false, copyUp: false, propagation: [], attrSet: 0, attrClr: 0, cgroup: true, idmap: null };
  const dest = path.posix.normalize(m.destination);
  // Rootless without a cgroup (cgroups/rootless.ts): the host's hierarchies as they are, read-only
  // where asked; the container's ids own nothing in them.
  if (cgroup.none !== undefined)
    return [{ ...base, destination: dest, source: '/sys/fs/cgroup', type: '', flags: o.flags | MS.BIND | MS.REC, data: '', bind: true }];
  if (cgroup.mode === 'unified') {
    if (newCgroupns) return [{ ...base, destination: dest, source: 'cgroup', type: 'cgroup2', flags: o.flags, data: o.data }];
    return [{ ...base, destination: dest, source: cgroup.unified!, type: '', flags: o.flags | MS.BIND | MS.REC, data: '', bind: true }];
  }
  const ro = o.flags & MS.RDONLY;
  const out: PlanMount[] = [
    {
      ...base,
      destination: dest,
      source: 'tmpfs',
      type: 'tmpfs',
      flags: (o.flags & ~MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      data: 'mode=755',
    },
  ];
  const binds: [string, string][] = Object.entries(cgroup.v1).map(([key, dir]) => [key.replace(/^name=/, ''), dir]);
  if (cgroup.unified) binds.push(['unified', cgroup.unified]);
  for (const [name, dir] of binds)
    out.push({
      ...base,
      destination: `${dest}/${name}`,
      source: dir,
      type: '',
      flags: MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC | ro,
      data: '',
      bind: true,
    });
  if (ro)
    out.push({
      ...base,
      destination: dest,
      source: '',
      type: 'remount',
      flags: MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC,
      data: '',
    });
  return out;
}

/** linux.seccomp for skiff-init: libseccomp's architecture names ("SCMP_ARCH_X86_64" → "x86_64"). */
export function planSeccomp(seccomp: Record<string, any> | undefined): PlanSeccomp | null {
  if (!seccomp) return null;
  return {
    defaultAction: seccomp.defaultAction,
    defaultErrnoRet: seccomp.defaultErrnoRet ?? null,
    architectures: ((seccomp.architectures ?? []) as string[]).map((a) => a.replace(/^SCMP_ARCH_/, '').toLowerCase()),
    flags: seccomp.flags ?? [],
    syscalls: ((seccomp.syscalls ?? []) as any[]).map((r) => ({
      names: r.names ?? [],
      action: r.action,
      errnoRet: r.errnoRet ?? null,
      args: (r.args ?? []).map((a: any) => ({ index: a.index, value: a.value ?? 0, valueTwo: a.valueTwo ?? 0, op: a.op })),
    })),
  };
}

function planMemoryPolicy(m: Record<string, any>): NonNullable<CreatePlan['memoryPolicy']> {
  return {
    mode: known(MPOL_MODE, m.mode, 'linux.memoryPolicy.mode'),
    nodes: m.nodes ? parseCpuList(String(m.nodes), 'linux.memoryPolicy.nodes') : [],
    flags: ((m.flags ?? []) as string[]).reduce((f, name) => f | known(MPOL_FLAG, name, 'linux.memoryPolicy.flags'), 0),
  };
}

export function buildPlan(input: PlanInput): LaunchPlan {
  const { spec, bundle, rootfs, cgroup } = input;
  const linux = spec.linux ?? {};
  const ns = planNamespaces(linux.namespaces);
  // Without a mount namespace of its own the container shares skiff's (config-linux.md: inherited):
  // its mounts land there, under the rootfs, / is left alone and chroot stands in for pivot_root.
  const ownMountns = ns.has.has('mount');

  const mounts: PlanMount[] = [];
  let devIsBind = false;
  (spec.mounts ?? []).forEach((m, i) => {
    if (m.type === 'cgroup') mounts.push(...planCgroupMount(m, cgroup, ns.has.has('cgroup')));
    else mounts.push(planMount(m, bundle, i));
    if (path.posix.normalize(m.destination) === '/dev' && isBind(m)) devIsBind = true;
  });

  // A read-only /dev tmpfs is mounted writable and made read-only once its device nodes, /dev/pts
  // and the symlinks are in (as runc does): otherwise nothing could be created in it.
  let readonlyDevFlags = 0;
  for (const m of mounts) {
    if (m.destination === '/dev' && !m.bind && m.type !== 'remount' && m.flags & MS.RDONLY) {
      readonlyDevFlags = m.flags & PER_MOUNT_FLAGS;
      m.flags &= ~MS.RDONLY;
    }
  }

  const given = propagationFlag(linux.rootfsPropagation);
  // pivot_root refuses a shared parent, and an unbindable one cannot be bind-mounted onto itself:
  // start from rslave and apply those two to the new / afterwards.
  const afterPivot = given !== undefined && (given & (MS.SHARED | MS.UNBINDABLE)) !== 0;
  const warnings: CapabilityWarning[] = [];
  // No process: the init builds the container and waits; `start` refuses it (config.md).
  const proc = spec.process ? planProcess(spec.process, 'process', input.runtimeBounding, warnings) : null;
  const runtimeEnv = input.runtimeEnv ?? [];

  const init: CreatePlan = {
    mode: 'create',
    rootfs,
    readonlyRoot: !!spec.root?.readonly,
    readonlyDevFlags,
    ownMountns,
    rootPropagation: !ownMountns ? 0 : given !== undefined && !afterPivot ? given : MS.SLAVE | MS.REC,
    // In skiff's own namespace only the rootfs bind (the container's /) is skiff's to change.
    rootPropagationAfter: afterPivot || !ownMountns ? (given ?? 0) : 0,
    noPivot: input.noPivot,
    keyring: input.keyring ?? null,
    join: ns.join.map((j): PlanJoin => ({ type: j.type, flag: j.flag, path: j.path })),
    unshareFlags: ns.unshareFlags,
    newCgroupns: ns.newCgroupns,
    newTimens: ns.newTimens,
    loopbackUp: ns.has.has('network') && !linux.namespaces?.find((n) => n.type === 'network')?.path,
    newPidnsInJoinedUserns: ns.newPidnsInJoinedUserns,
    timeOffsets: Object.entries(linux.timeOffsets ?? {}).map(([clock, o]) => ({ clock, secs: o.secs ?? 0, nanosecs: o.nanosecs ?? 0 })),
    hostname: spec.hostname ?? null,
    domainname: spec.domainname ?? null,
    mounts,
    devices: devIsBind ? [] : planDevices(linux.devices),
    bindDevices: ns.has.has('user') || !!input.inUserns,
    devSymlinks: !devIsBind,
    devCore: !devIsBind && fs.existsSync('/proc/kcore'),
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    sysctl: linux.sysctl ?? {},
    seccomp: planSeccomp(linux.seccomp),
    personality: linux.personality ? (PERSONALITY[linux.personality.domain] ?? null) : null,
    memoryPolicy: linux.memoryPolicy ? planMemoryPolicy(linux.memoryPolicy as Record<string, any>) : null,
    // The init stops before pivot_root so skiff can run prestart/createRuntime hooks, then runs
    // createContainer itself; startContainer runs in the init after `start`.
    hooksSync: ['prestart', 'createRuntime', 'createContainer', 'startContainer'].some((k) => (spec.hooks as any)?.[k]?.length),
    hooks: {
      createContainer: withEnv(spec.hooks?.createContainer, runtimeEnv),
      startContainer: withEnv(spec.hooks?.startContainer, runtimeEnv),
    },
    process: proc,
    fds: input.fds,
    trial: false,
  };
  return { namespaces: ns, uidMap: idMap(linux.uidMappings), gidMap: idMap(linux.gidMappings), init, warnings };
}

/** Hooks the init runs: one without env of its own gets the runtime's environment, as with runc. */
function withEnv(hooks: Hook[] | undefined, runtimeEnv: string[]): PlanHook[] {
  return (hooks ?? []).map((h) => ({ path: h.path, args: h.args ?? [], env: h.env ?? runtimeEnv, timeout: h.timeout ?? null }));
}

/** The plan for a process exec'd into a running container (its namespaces joined by path). */
export function buildExecPlan(input: {
  join: PlanJoin[];
  root: string | null;
  process: PlanProcess;
  seccomp: Record<string, any> | undefined;
  fds: PlanFds;
}): ExecPlan {
  return { mode: 'exec', join: input.join, root: input.root, process: input.process, seccomp: planSeccomp(input.seccomp), fds: input.fds };
}
