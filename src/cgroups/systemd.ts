// The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a transient scope unit
// that systemd creates (StartTransientUnit over D-Bus, Delegate=yes), named from cgroupsPath
// "slice:prefix:name" as runc names it. The resource limits are passed as unit properties too, so
// that systemd, which rewrites its units' cgroup files on every daemon-reload, keeps them; skiff
// then writes every limit into the files itself (systemd has no property for most of them).
// The translation to properties is pure; the D-Bus calls are the addon's.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from '../errors';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { hierarchy } from './hierarchy';
import type { CgroupPaths } from './manager';
import { emulateDeviceRules } from './resources-v1';
import { blkioWeightToIoWeight, sharesToWeight, swapToV2 } from './resources-v2';

export interface SystemdUnitName {
  /** The slice unit the scope goes in ("system.slice" when cgroupsPath leaves it empty). */
  slice: string;
  /** The scope unit: "prefix-name.scope". */
  unit: string;
  /** Where its cgroup is, from the hierarchy's root: the expanded slice path plus the unit. */
  cgroup: string;
}

/** Properties as the addon sends them: [name, D-Bus signature, value]. */
export type UnitProperty = [string, string, unknown];

const DEFAULT_SLICE = 'system.slice';
const DEFAULT_PREFIX = 'skiff';
const UINT64_MAX = 18446744073709551615n;

/** systemd's unit-name rules: [A-Za-z0-9:_.\-], at most 255 bytes. */
function checkUnitName(unit: string, cgroupsPath: string): void {
  if (!/^[A-Za-z0-9:_.\\-]+$/.test(unit) || unit.length > 255)
    throw new SkiffError(
      `linux.cgroupsPath ${JSON.stringify(cgroupsPath)}: "${unit}" is not a valid systemd unit name (letters, digits, ":", "_", ".", "-", "\\"; at most 255 characters)`,
    );
}

/** runc's ExpandSlice: "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root. */
export function expandSlice(slice: string): string {
  const suffix = '.slice';
  if (slice.length <= suffix.length || !slice.endsWith(suffix) || slice.includes('/'))
    throw new SkiffError(`invalid slice name "${slice}": it must end in ".slice" and contain no "/"`);
  const base = slice.slice(0, -suffix.length);
  if (base === '-') return '/';
  let out = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw new SkiffError(`invalid slice name "${slice}": no empty parts between dashes ("a--b", "-a", "a-")`);
    out += `/${prefix}${part}${suffix}`;
    prefix += `${part}-`;
  }
  return out;
}

/**
 * linux.cgroupsPath for the systemd driver: "slice:prefix:name" (Kubernetes' form), or empty for
 * "system.slice:skiff:<id>". The unit is the scope "prefix-name.scope".
 */
export function parseSystemdPath(cgroupsPath: string | undefined, id: string, opts: { user?: boolean } = {}): SystemdUnitName {
  const given = cgroupsPath ?? '';
  // The user's instance has no system.slice; runc's rootless default is user.slice.
  const defaultSlice = opts.user ? 'user.slice' : DEFAULT_SLICE;
  let slice = defaultSlice;
  let prefix = DEFAULT_PREFIX;
  let name = id;
  if (given !== '') {
    const parts = given.split(':');
    if (parts.length !== 3)
      throw new SkiffError(`linux.cgroupsPath must be "slice:prefix:name" with the systemd cgroup driver (got ${JSON.stringify(given)})`);
    [slice, prefix, name] = parts as [string, string, string];
    if (slice === '') slice = defaultSlice;
    if (name === '') throw new SkiffError(`linux.cgroupsPath ${JSON.stringify(given)}: the name part must not be empty`);
  }
  if (name.endsWith('.slice'))
    throw new SkiffError(
      `linux.cgroupsPath ${JSON.stringify(given)}: a slice as the container's own unit is not supported (name a scope: "slice:prefix:name")`,
    );
  const unit = prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
  checkUnitName(unit, given);
  const slicePath = expandSlice(slice);
  return { slice, unit, cgroup: path.posix.join(slicePath, unit) };
}

/**
 * The v1 controllers systemd manages for its units; skiff makes and joins the others itself
 * (cpuset, freezer, net_cls, hugetlb, …), as runc's systemd driver does.
 */
const SYSTEMD_V1 = new Set(['cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'pids', 'name=systemd']);

export function systemdManagesV1(key: string): boolean {
  return key.split(',').some((c) => SYSTEMD_V1.has(c));
}

export const SYSTEMD_NOT_RUNNING =
  "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so it cannot make the container's scope: use the cgroupfs driver (omit --systemd-cgroup)";

/** Is systemd the init of this host? (what sd_booted() checks) */
export function systemdBooted(): boolean {
  try {
    return fs.lstatSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/**
 * The scope's directories in every hierarchy; `created` is filled by createCgroups for skiff's own.
 * The user's instance (`userRoot`: its own cgroup, where its units live below) manages cgroup v2
 * only, and the container's processes are the user's: no device rules (cgroups/apply.ts).
 */
export function systemdCgroupPaths(name: SystemdUnitName, userRoot?: string): CgroupPaths {
  const h = hierarchy();
  if (userRoot !== undefined) {
    if (h.mode !== 'unified' || !h.unified)
      throw new SkiffError(
        "--systemd-cgroup as an unprivileged user needs cgroup v2: the user's systemd instance manages no v1 hierarchy (leave the flag out to run without a cgroup)",
      );
    const unified = path.join(h.unified.mountpoint, userRoot, name.cgroup);
    return {
      mode: h.mode,
      unified,
      v1: {},
      rootless: true,
      systemd: { unit: name.unit, slice: name.slice, managed: [unified], user: true },
    };
  }
  const at = (mountpoint: string, root: string): string => {
    let rel = name.cgroup;
    if (root !== '/' && (rel === root || rel.startsWith(root + '/'))) rel = rel.slice(root.length);
    return path.join(mountpoint, rel);
  };
  const out: CgroupPaths = { mode: h.mode, v1: {}, systemd: { unit: name.unit, slice: name.slice, managed: [] } };
  if (h.unified) {
    out.unified = at(h.unified.mountpoint, h.unified.root);
    out.systemd!.managed.push(out.unified);
  }
  for (const v of h.v1) {
    const key = v.controllers.join(',');
    const dir = at(v.mountpoint, v.root);
    out.v1[key] = dir;
    if (systemdManagesV1(key)) out.systemd!.managed.push(dir);
  }
  return out;
}

/** "0-2,4" → systemd's AllowedCPUs bytes: bit n of byte n/8 for each listed number (runc's RangeToBits). */
export function cpuListToBytes(list: string): number[] {
  const bytes: number[] = [];
  for (const part of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new SkiffError(`invalid cpu/memory-node list "${list}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 8191) throw new SkiffError(`invalid cpu/memory-node list "${list}"`);
    for (let n = lo; n <= hi; n++) {
      while (bytes.length <= n >> 3) bytes.push(0);
      bytes[n >> 3]! |= 1 << (n & 7);
    }
  }
  return bytes;
}

/** systemd's "infinity" for -1, the value otherwise. */
function limit(v: number): bigint {
  return v === -1 ? UINT64_MAX : BigInt(v);
}

/** runc's addCpuQuota: CPUQuotaPerSecUSec rounded up to 10 ms (systemd's granularity), and the period. */
function cpuQuotaProperties(quota: number | undefined, period: number | undefined, version: number): UnitProperty[] {
  if (!quota && !period) return [];
  const out: UnitProperty[] = [];
  const p = period || 100000;
  if (period && version >= 242) out.push(['CPUQuotaPeriodUSec', 't', BigInt(period)]);
  let perSec = UINT64_MAX;
  if (quota && quota > 0) {
    let v = Math.floor((quota * 1_000_000) / p);
    if (v % 10000 !== 0) v = (Math.floor(v / 10000) + 1) * 10000;
    perSec = BigInt(v);
  }
  out.push(['CPUQuotaPerSecUSec', 't', perSec]);
  return out;
}

/** "/proc/devices": the name systemd's "char-NAME" / "block-NAME" needs for a major with any minor. */
function deviceGroup(type: string, major: number, procDevices: string): string | undefined {
  let section = '';
  for (const line of procDevices.split('\n')) {
    if (line.startsWith('Character devices:')) section = 'c';
    else if (line.startsWith('Block devices:')) section = 'b';
    else {
      const m = /^\s*(\d+)\s+(\S+)$/.exec(line);
      if (m && section === type && Number(m[1]) === major) return m[2];
    }
  }
  return undefined;
}

export interface DeviceProperties {
  properties: UnitProperty[];
  skipped: string[];
}

/**
 * The device rules as DevicePolicy/DeviceAllow (runc's systemd device translation), from the same
 * emulation as the v1 writes. systemd only knows allow lists: a deny list (allow-all plus
 * exceptions) leaves its policy at "auto" and the rules to skiff's own filter. Rules systemd
 * cannot name are skipped (and listed); skiff's own filter still applies them.
 */
export function deviceProperties(rules: readonly DeviceCgroupRule[], procDevices: string): DeviceProperties {
  const { defaultAllow, exceptions } = emulateDeviceRules(rules);
  if (defaultAllow)
    return {
      properties: [
        ['DevicePolicy', 's', 'auto'],
        ['DeviceAllow', 'a(ss)', []],
      ],
      skipped: [],
    };
  const entries: [string, string][] = [];
  const skipped: string[] = [];
  for (const r of exceptions) {
    const text = `${r.type} ${r.major < 0 ? '*' : r.major}:${r.minor < 0 ? '*' : r.minor} ${r.access}`;
    const kind = r.type === 'b' ? 'block' : 'char';
    if (r.major < 0) {
      if (r.minor >= 0) skipped.push(text);
      else entries.push([`${kind}-*`, r.access]);
    } else if (r.minor < 0) {
      const group = deviceGroup(r.type, r.major, procDevices);
      if (group) entries.push([`${kind}-${group}`, r.access]);
      else skipped.push(text);
    } else {
      entries.push([`/dev/${kind}/${r.major}:${r.minor}`, r.access]);
    }
  }
  return {
    properties: [
      ['DevicePolicy', 's', 'strict'],
      ['DeviceAllow', 'a(ss)', entries],
    ],
    skipped,
  };
}

/**
 * linux.resources as unit properties (runc's genV1/genV2ResourcesProperties). `version` is
 * systemd's: properties newer than it are left to the file writes.
 */
export function resourceProperties(r: Resources | undefined, v2: boolean, version: number): UnitProperty[] {
  const out: UnitProperty[] = [];
  if (!r) return out;
  const m = r.memory;
  if (m?.limit) out.push([v2 ? 'MemoryMax' : 'MemoryLimit', 't', limit(m.limit)]);
  if (v2 && m?.reservation) out.push(['MemoryLow', 't', limit(m.reservation)]);
  if (v2 && m?.swap) {
    const swap = swapToV2(m.swap, m.limit ?? 0);
    if (swap !== 0) out.push(['MemorySwapMax', 't', limit(swap)]);
  }
  const c = r.cpu;
  if (c?.shares) out.push(v2 ? ['CPUWeight', 't', BigInt(sharesToWeight(c.shares))] : ['CPUShares', 't', BigInt(c.shares)]);
  out.push(...cpuQuotaProperties(c?.quota, c?.period, version));
  if (v2 && version >= 244) {
    if (c?.cpus) out.push(['AllowedCPUs', 'ay', cpuListToBytes(c.cpus)]);
    if (c?.mems) out.push(['AllowedMemoryNodes', 'ay', cpuListToBytes(c.mems)]);
  }
  if (r.pids?.limit) out.push(['TasksMax', 't', r.pids.limit < 0 ? UINT64_MAX : BigInt(r.pids.limit)]);
  const weight = (r.blockIO as { weight?: number } | undefined)?.weight;
  if (weight) out.push(v2 ? ['IOWeight', 't', BigInt(blkioWeightToIoWeight(weight))] : ['BlockIOWeight', 't', BigInt(weight)]);
  return out;
}

export interface ScopeRequest {
  /** Device properties: not for the user's instance, which cannot apply a device policy. */
  devices: boolean;
  slice: string;
  id: string;
  pid: number;
  v2: boolean;
  version: number;
  resources?: Resources;
  deviceRules: readonly DeviceCgroupRule[];
  procDevices: string;
}

/** Everything StartTransientUnit gets for a container's scope. */
export function scopeProperties(q: ScopeRequest): { properties: UnitProperty[]; skippedDevices: string[] } {
  const devices = q.devices ? deviceProperties(q.deviceRules, q.procDevices) : { properties: [], skipped: [] };
  const properties: UnitProperty[] = [
    ['Description', 's', `skiff container ${q.id}`],
    ['Slice', 's', q.slice],
    ['PIDs', 'au', [q.pid]],
    // The container manages its own subtree; no implicit ordering against shutdown and the like.
    ['Delegate', 'b', true],
    ['DefaultDependencies', 'b', false],
    ['MemoryAccounting', 'b', true],
    ['CPUAccounting', 'b', true],
    ['TasksAccounting', 'b', true],
    [q.v2 ? 'IOAccounting' : 'BlockIOAccounting', 'b', true],
    ...devices.properties,
    ...resourceProperties(q.resources, q.v2, q.version),
  ];
  return { properties, skippedDevices: devices.skipped };
}
