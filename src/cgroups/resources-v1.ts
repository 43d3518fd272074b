// linux.resources → cgroup v1 file writes, in the order runc's cgroupfs driver writes them.
// Pure: no file is read here; what depends on the cgroup's current state (the memory limit in
// force, for the order of memory and memory+swap) comes in through the options.
import { SkiffError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';

export interface CgroupWrite {
  /** v1: the controller whose hierarchy holds the file; v2: the file's prefix ("memory", "io", …). */
  controller: string;
  file: string;
  value: string;
  /** A missing file (an optional kernel feature) is not an error. */
  optional?: boolean;
  /** On ENOENT, write this instead (e.g. blkio.bfq.weight → blkio.weight, io.bfq.weight → io.weight). */
  fallback?: { file: string; value: string };
  /** On EINVAL, retry once after the rest of the writes (runc: a period or burst the kernel only takes after the quota). */
  retryOnEinval?: boolean;
}

export interface V1Options {
  /** memory.limit_in_bytes in force now (undefined: a new cgroup, no limit). */
  currentMemoryLimit?: bigint;
  /** Write the device rules (create: yes; update: no, like runc's SkipDevices). */
  devices?: boolean;
}

/** linux.resources that cannot be translated for this host (pure: no cgroup was touched). */
export class ResourceError extends SkiffError {
  constructor(message: string) {
    super(message, { step: 'cgroup' });
  }
}

const num = (n: number | bigint): string => String(n);

/** The devices runc allows in every container, after the config's own rules (libcontainer/specconv AllowedDevices). */
export const DEFAULT_DEVICE_RULES: DeviceCgroupRule[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

function memoryWrites(r: Resources, opts: V1Options): CgroupWrite[] {
  const m = r.memory;
  if (!m) return [];
  const out: CgroupWrite[] = [];
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  // runc: memory -1 with no swap given means "both unlimited" (where swap accounting exists).
  const swapOptional = limit === -1 && swap === 0;
  if (swapOptional) swap = -1;
  const setLimit = (): void => {
    if (limit !== 0) out.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: num(limit) });
  };
  const setSwap = (): void => {
    if (swap !== 0)
      out.push({
        controller: 'memory',
        file: 'memory.memsw.limit_in_bytes',
        value: num(swap),
        ...(swapOptional ? { optional: true } : {}),
      });
  };
  // memsw must stay ≥ the limit at every step: raise swap first when it grows past the current limit.
  const current = opts.currentMemoryLimit ?? 2n ** 63n - 4096n;
  if (limit !== 0 && swap !== 0 && (swap === -1 || current < BigInt(swap))) {
    setSwap();
    setLimit();
  } else {
    setLimit();
    setSwap();
  }
  if (m.reservation) out.push({ controller: 'memory', file: 'memory.soft_limit_in_bytes', value: num(m.reservation) });
  if (m.disableOOMKiller) out.push({ controller: 'memory', file: 'memory.oom_control', value: '1' });
  if (m.swappiness !== undefined && m.swappiness !== -1) {
    if (m.swappiness < 0 || m.swappiness > 100)
      throw new ResourceError(`linux.resources.memory.swappiness ${m.swappiness}: valid range is 0-100`);
    out.push({ controller: 'memory', file: 'memory.swappiness', value: num(m.swappiness) });
  }
  // kernelTCP where the kernel still has the file (crun does the same); without it, apply.ts warns.
  // kernel and useHierarchy are ignored, as runc does (the kernel deprecated them).
  if (m.kernelTCP) out.push({ controller: 'memory', file: 'memory.kmem.tcp.limit_in_bytes', value: num(m.kernelTCP), optional: true });
  return out;
}

function cpuWrites(r: Resources): CgroupWrite[] {
  const c = r.cpu;
  if (!c) return [];
  const out: CgroupWrite[] = [];
  if (c.shares) out.push({ controller: 'cpu', file: 'cpu.shares', value: num(c.shares) });
  if (c.period) out.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: num(c.period), retryOnEinval: true });
  if (c.burst !== undefined)
    out.push({ controller: 'cpu', file: 'cpu.cfs_burst_us', value: num(c.burst), optional: true, retryOnEinval: !!c.quota });
  if (c.quota) out.push({ controller: 'cpu', file: 'cpu.cfs_quota_us', value: num(c.quota) });
  if (c.realtimePeriod) out.push({ controller: 'cpu', file: 'cpu.rt_period_us', value: num(c.realtimePeriod) });
  if (c.realtimeRuntime) out.push({ controller: 'cpu', file: 'cpu.rt_runtime_us', value: num(c.realtimeRuntime) });
  if (c.idle !== undefined) out.push({ controller: 'cpu', file: 'cpu.idle', value: num(c.idle) });
  return out;
}

function cpusetWrites(r: Resources): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (r.cpu?.cpus) out.push({ controller: 'cpuset', file: 'cpuset.cpus', value: r.cpu.cpus });
  if (r.cpu?.mems) out.push({ controller: 'cpuset', file: 'cpuset.mems', value: r.cpu.mems });
  return out;
}

interface WeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}
interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}
export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export const THROTTLES: [keyof BlockIO, string, string][] = [
  ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', 'wiops'],
];

function blkioWrites(r: Resources): CgroupWrite[] {
  const b = r.blockIO as BlockIO | undefined;
  if (!b) return [];
  const out: CgroupWrite[] = [];
  // runc prefers BFQ's files where the kernel has them.
  if (b.weight)
    out.push({
      controller: 'blkio',
      file: 'blkio.bfq.weight',
      value: num(b.weight),
      fallback: { file: 'blkio.weight', value: num(b.weight) },
    });
  if (b.leafWeight) out.push({ controller: 'blkio', file: 'blkio.leaf_weight', value: num(b.leafWeight) });
  for (const d of b.weightDevice ?? []) {
    const dev = `${d.major}:${d.minor}`;
    if (d.weight)
      out.push({
        controller: 'blkio',
        file: 'blkio.bfq.weight_device',
        value: `${dev} ${d.weight}`,
        fallback: { file: 'blkio.weight_device', value: `${dev} ${d.weight}` },
      });
    if (d.leafWeight) out.push({ controller: 'blkio', file: 'blkio.leaf_weight_device', value: `${dev} ${d.leafWeight}` });
  }
  for (const [key, file] of THROTTLES)
    for (const t of (b[key] as ThrottleDevice[] | undefined) ?? [])
      out.push({ controller: 'blkio', file, value: `${t.major}:${t.minor} ${t.rate}` });
  return out;
}

export function rdmaLines(rdma: Resources['rdma']): string[] {
  const out: string[] = [];
  for (const dev of Object.keys(rdma ?? {}).sort()) {
    const e = (rdma as Record<string, { hcaHandles?: number; hcaObjects?: number }>)[dev]!;
    let line = dev;
    if (e.hcaHandles !== undefined) line += ` hca_handle=${e.hcaHandles}`;
    if (e.hcaObjects !== undefined) line += ` hca_object=${e.hcaObjects}`;
    if (line !== dev) out.push(line);
  }
  return out;
}

export interface Rule {
  type: string;
  major: number;
  minor: number;
  access: string;
}
const WILDCARD = -1;

/**
 * The v1 devices emulation of runc (cgroups/devices): replay the rules from a deny-all start, then
 * write one disruptive "a *:* rwm" (deny for an allow-list, allow for a deny-list) followed by the
 * exceptions sorted by major, minor, type.
 */
export function deviceWrites(rules: readonly DeviceCgroupRule[]): CgroupWrite[] {
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  const out: CgroupWrite[] = [{ controller: 'devices', file: defaultAllow ? 'devices.allow' : 'devices.deny', value: 'a *:* rwm' }];
  for (const r of exceptions)
    out.push({
      controller: 'devices',
      file: defaultAllow ? 'devices.deny' : 'devices.allow',
      value: `${r.type} ${star(r.major)}:${star(r.minor)} ${r.access}`,
    });
  return out;
}

export interface DeviceRuleSet {
  /** Allow everything but the exceptions (a deny list), or nothing but them (an allow list). */
  defaultAllow: boolean;
  /** Sorted by major, minor, type; major/minor -1 is the wildcard. */
  exceptions: Rule[];
}

/** The rules replayed in order from a deny-all start, as the kernel's v1 devices controller keeps them. */
export function emulateDeviceRules(rules: readonly DeviceCgroupRule[]): DeviceRuleSet {
  let defaultAllow = false;
  let exceptions = new Map<string, Rule>();
  const keyOf = (r: Rule): string => `${r.type} ${r.major}:${r.minor}`;
  for (const spec of rules) {
    const type = spec.type ?? 'a';
    if (!['a', 'b', 'c'].includes(type))
      throw new ResourceError(`linux.resources.devices: type "${type}" cannot be used in a cgroup rule (use a, b or c)`);
    const access = spec.access ?? 'rwm';
    if (!/^[rwm]*$/.test(access)) throw new ResourceError(`linux.resources.devices: access "${access}" is not a combination of r, w and m`);
    if (type === 'a') {
      defaultAllow = spec.allow;
      exceptions = new Map();
      continue;
    }
    const rule: Rule = { type, major: spec.major ?? WILDCARD, minor: spec.minor ?? WILDCARD, access };
    const k = keyOf(rule);
    // An exception adds to the list when it goes against the default, and removes from it otherwise.
    if (spec.allow !== defaultAllow) {
      const old = exceptions.get(k);
      exceptions.set(k, { ...rule, access: union(old?.access ?? '', access) });
    } else {
      for (const [maj, min] of [
        [WILDCARD, rule.minor],
        [rule.major, WILDCARD],
        [WILDCARD, WILDCARD],
      ] as const) {
        if (maj === rule.major && min === rule.minor) continue;
        const partial = exceptions.get(keyOf({ ...rule, major: maj, minor: min }));
        if (partial && [...access].some((c) => partial.access.includes(c)))
          throw new ResourceError(
            `linux.resources.devices: rule ${describe(spec)} cannot punch a hole in the wildcard rule ${partial.type} ${star(partial.major)}:${star(partial.minor)} ${partial.access} (cgroup v1 would ignore it)`,
          );
      }
      const old = exceptions.get(k);
      if (old) {
        const left = [...old.access].filter((c) => !access.includes(c)).join('');
        if (left) exceptions.set(k, { ...old, access: left });
        else exceptions.delete(k);
      }
    }
  }
  const sorted = [...exceptions.values()].sort(
    (a, b) => a.major - b.major || a.minor - b.minor || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0),
  );
  return { defaultAllow, exceptions: sorted };
}

function union(a: string, b: string): string {
  return 'rwm'
    .split('')
    .filter((c) => a.includes(c) || b.includes(c))
    .join('');
}
function star(n: number): string {
  return n === WILDCARD ? '*' : String(n);
}
function describe(r: DeviceCgroupRule): string {
  return `{allow: ${r.allow}, type: ${r.type ?? 'a'}, major: ${r.major ?? '*'}, minor: ${r.minor ?? '*'}, access: ${r.access ?? 'rwm'}}`;
}

/**
 * The device rules a container's cgroup gets: the config's, then runc's defaults. A node listed in
 * linux.devices is created in /dev but gets no rule of its own: only resources.devices grants it
 * (runc does the same; containerd, CRI-O, podman and docker send an allow rule for each device
 * they add), so a deny-all config with /dev/kmsg listed cannot use /dev/kmsg.
 */
export function effectiveDeviceRules(resources: Resources | undefined): DeviceCgroupRule[] {
  return [...(resources?.devices ?? []), ...DEFAULT_DEVICE_RULES];
}

/** linux.resources → v1 writes, controller by controller in runc's order (cpuset, devices, memory, cpu, pids, …). */
export function v1Writes(r: Resources, opts: V1Options = {}): CgroupWrite[] {
  const out: CgroupWrite[] = [...cpusetWrites(r)];
  if (opts.devices) out.push(...deviceWrites(effectiveDeviceRules(r)));
  out.push(...memoryWrites(r, opts));
  out.push(...cpuWrites(r));
  if (r.pids) out.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit < 0 ? 'max' : num(r.pids.limit) });
  out.push(...blkioWrites(r));
  for (const h of r.hugepageLimits ?? []) {
    out.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.limit_in_bytes`, value: num(h.limit) });
    out.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, value: num(h.limit), optional: true });
  }
  const net = r.network as { classID?: number; priorities?: { name: string; priority: number }[] } | undefined;
  if (net?.classID) out.push({ controller: 'net_cls', file: 'net_cls.classid', value: num(net.classID) });
  for (const p of net?.priorities ?? []) out.push({ controller: 'net_prio', file: 'net_prio.ifpriomap', value: `${p.name} ${p.priority}` });
  for (const line of rdmaLines(r.rdma)) out.push({ controller: 'rdma', file: 'rdma.max', value: line });
  return out;
}
