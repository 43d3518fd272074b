// Container statistics in runc's `events` JSON (runc/types/events.go), read from the v1 hierarchies
// (v1 and hybrid hosts) or the cgroup2 directory (unified hosts). Counters are bigints: v1's
// "unlimited" (2^63 − 4096) and v2's (2^64 − 1) do not survive a JavaScript number.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { v1Dir } from './apply';
import type { CgroupPaths } from './manager';

type N = bigint;
const MAX_U64 = 2n ** 64n - 1n;
/** USER_HZ: cpuacct.stat counts in clock ticks. */
const CLOCK_TICKS = 100n;

function read(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

function u64(dir: string | undefined, file: string): N {
  const t = read(dir, file)?.trim();
  if (!t) return 0n;
  if (t === 'max') return MAX_U64;
  return /^\d+$/.test(t) ? BigInt(t) : 0n;
}

function keyValues(text: string | undefined): Record<string, N> {
  const out: Record<string, N> = {};
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = BigInt(m[2]!);
  }
  return out;
}

function list(text: string | undefined): N[] {
  return (text ?? '')
    .trim()
    .split(/\s+/)
    .filter((x) => /^\d+$/.test(x))
    .map((x) => BigInt(x));
}

function cpuList(text: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
}

interface MemoryEntry {
  limit: N;
  usage: N;
  max: N;
  failcnt: N;
}
interface BlkioEntry {
  major: N;
  minor: N;
  op: string;
  value: N;
}

export interface Stats {
  cpu: {
    usage: { total: N; percpu?: N[]; percpu_kernel?: N[]; percpu_user?: N[]; kernel: N; user: N };
    throttling: { periods: N; throttledPeriods: N; throttledTime: N };
  };
  cpuset: Record<string, unknown>;
  memory: { cache: N; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw: Record<string, N> };
  pids: { current: N; limit: N };
  blkio: { ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[] };
  hugetlb: Record<string, { usage: N; max: N; failcnt: N }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

function memEntryV1(dir: string | undefined, prefix: string): MemoryEntry {
  return {
    limit: u64(dir, `${prefix}.limit_in_bytes`),
    usage: u64(dir, `${prefix}.usage_in_bytes`),
    max: u64(dir, `${prefix}.max_usage_in_bytes`),
    failcnt: u64(dir, `${prefix}.failcnt`),
  };
}

function blkioV1(dir: string | undefined): Stats['blkio'] {
  const parse = (file: string): BlkioEntry[] | undefined => {
    const text = read(dir, file);
    if (text === undefined) return undefined;
    const out: BlkioEntry[] = [];
    for (const line of text.split('\n')) {
      const f = line.trim().split(/[\s:]+/);
      if (f.length < 3) continue;
      const [major, minor] = [f[0]!, f[1]!];
      if (!/^\d+$/.test(major) || !/^\d+$/.test(minor)) continue;
      const op = f.length === 4 ? f[2]! : '';
      out.push({ major: BigInt(major), minor: BigInt(minor), op, value: BigInt(f[f.length - 1]!) });
    }
    return out;
  };
  // runc's preference: BFQ's recursive counters, then the throttling layer's.
  for (const [serviced, bytes] of [
    ['blkio.bfq.io_serviced_recursive', 'blkio.bfq.io_service_bytes_recursive'],
    ['blkio.io_serviced_recursive', 'blkio.io_service_bytes_recursive'],
    ['blkio.throttle.io_serviced_recursive', 'blkio.throttle.io_service_bytes_recursive'],
    ['blkio.throttle.io_serviced', 'blkio.throttle.io_service_bytes'],
  ] as const) {
    const s = parse(serviced);
    if (s === undefined) continue;
    return { ioServicedRecursive: s, ioServiceBytesRecursive: parse(bytes) ?? [] };
  }
  return {};
}

function hugetlbSizes(): string[] {
  try {
    return fs.readdirSync('/sys/kernel/mm/hugepages').map((d) => {
      const kb = Number(/hugepages-(\d+)kB/.exec(d)?.[1] ?? 0);
      return kb >= 1024 * 1024 ? `${kb / 1024 / 1024}GB` : kb >= 1024 ? `${kb / 1024}MB` : `${kb}KB`;
    });
  } catch {
    return [];
  }
}

function cpusetStats(dir: string | undefined, prefix: string): Record<string, unknown> {
  if (!dir) return {};
  const out: Record<string, unknown> = {};
  const cpus = cpuList(read(dir, 'cpuset.cpus.effective') ?? read(dir, 'cpuset.cpus'));
  const mems = cpuList(read(dir, 'cpuset.mems.effective') ?? read(dir, 'cpuset.mems'));
  if (cpus.length) out.cpus = cpus;
  if (mems.length) out.mems = mems;
  if (prefix) {
    for (const k of [
      'cpu_exclusive',
      'mem_hardwall',
      'mem_exclusive',
      'memory_migrate',
      'memory_spread_page',
      'memory_spread_slab',
      'memory_pressure',
      'sched_load_balance',
    ])
      out[k] = u64(dir, `cpuset.${k}`);
  }
  return out;
}

export function statsV1(p: CgroupPaths): Stats {
  const cpuacct = v1Dir(p, 'cpuacct');
  const cpu = v1Dir(p, 'cpu');
  const mem = v1Dir(p, 'memory');
  const pids = v1Dir(p, 'pids');
  const ticks = keyValues(read(cpuacct, 'cpuacct.stat'));
  const throttle = keyValues(read(cpu, 'cpu.stat'));
  const raw = keyValues(read(mem, 'memory.stat'));
  const percpuKernel = list(read(cpuacct, 'cpuacct.usage_percpu_sys'));
  const percpuUser = list(read(cpuacct, 'cpuacct.usage_percpu_user'));
  const hugetlbDir = v1Dir(p, 'hugetlb');
  const hugetlb: Stats['hugetlb'] = {};
  if (hugetlbDir)
    for (const size of hugetlbSizes())
      hugetlb[size] = {
        usage: u64(hugetlbDir, `hugetlb.${size}.usage_in_bytes`),
        max: u64(hugetlbDir, `hugetlb.${size}.max_usage_in_bytes`),
        failcnt: u64(hugetlbDir, `hugetlb.${size}.failcnt`),
      };
  return {
    cpu: {
      usage: {
        total: u64(cpuacct, 'cpuacct.usage'),
        percpu: list(read(cpuacct, 'cpuacct.usage_percpu')),
        ...(percpuKernel.length ? { percpu_kernel: percpuKernel } : {}),
        ...(percpuUser.length ? { percpu_user: percpuUser } : {}),
        kernel: ((ticks['system'] ?? 0n) * 1_000_000_000n) / CLOCK_TICKS,
        user: ((ticks['user'] ?? 0n) * 1_000_000_000n) / CLOCK_TICKS,
      },
      throttling: {
        periods: throttle['nr_periods'] ?? 0n,
        throttledPeriods: throttle['nr_throttled'] ?? 0n,
        throttledTime: throttle['throttled_time'] ?? 0n,
      },
    },
    cpuset: cpusetStats(v1Dir(p, 'cpuset'), 'v1'),
    memory: {
      cache: raw['cache'] ?? 0n,
      usage: memEntryV1(mem, 'memory'),
      swap: memEntryV1(mem, 'memory.memsw'),
      kernel: memEntryV1(mem, 'memory.kmem'),
      kernelTCP: memEntryV1(mem, 'memory.kmem.tcp'),
      raw,
    },
    pids: { current: u64(pids, 'pids.current'), limit: pidsLimit(pids) },
    blkio: blkioV1(v1Dir(p, 'blkio')),
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** runc reports an unlimited pids.max as 0. */
function pidsLimit(dir: string | undefined): N {
  const t = read(dir, 'pids.max')?.trim();
  return t && /^\d+$/.test(t) ? BigInt(t) : 0n;
}

export function statsV2(dir: string): Stats {
  const cpu = keyValues(read(dir, 'cpu.stat'));
  const raw = keyValues(read(dir, 'memory.stat'));
  const events = keyValues(read(dir, 'memory.events'));
  const usage: MemoryEntry = {
    limit: u64(dir, 'memory.max'),
    usage: u64(dir, 'memory.current'),
    max: u64(dir, 'memory.peak'),
    failcnt: events['max'] ?? 0n,
  };
  // v1 compatibility, as runc: swap is memory + swap.
  const swapOnly = {
    usage: u64(dir, 'memory.swap.current'),
    limit: read(dir, 'memory.swap.max') === undefined ? 0n : u64(dir, 'memory.swap.max'),
  };
  const swap: MemoryEntry = {
    usage: swapOnly.usage + usage.usage,
    limit: swapOnly.limit === MAX_U64 ? MAX_U64 : swapOnly.limit + usage.limit > MAX_U64 ? MAX_U64 : swapOnly.limit + usage.limit,
    max: 0n,
    failcnt: 0n,
  };
  const ioBytes: BlkioEntry[] = [];
  const ioServiced: BlkioEntry[] = [];
  for (const line of (read(dir, 'io.stat') ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const [major, minor] = [BigInt(m[1]!), BigInt(m[2]!)];
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      if (!v || !/^\d+$/.test(v)) continue;
      const value = BigInt(v);
      if (k === 'rbytes') ioBytes.push({ major, minor, op: 'Read', value });
      else if (k === 'wbytes') ioBytes.push({ major, minor, op: 'Write', value });
      else if (k === 'rios') ioServiced.push({ major, minor, op: 'Read', value });
      else if (k === 'wios') ioServiced.push({ major, minor, op: 'Write', value });
    }
  }
  const hugetlb: Stats['hugetlb'] = {};
  for (const size of hugetlbSizes()) {
    if (read(dir, `hugetlb.${size}.current`) === undefined) continue;
    hugetlb[size] = {
      usage: u64(dir, `hugetlb.${size}.current`),
      max: 0n,
      failcnt: keyValues(read(dir, `hugetlb.${size}.events`))['max'] ?? 0n,
    };
  }
  return {
    cpu: {
      usage: {
        total: (cpu['usage_usec'] ?? 0n) * 1000n,
        kernel: (cpu['system_usec'] ?? 0n) * 1000n,
        user: (cpu['user_usec'] ?? 0n) * 1000n,
      },
      throttling: {
        periods: cpu['nr_periods'] ?? 0n,
        throttledPeriods: cpu['nr_throttled'] ?? 0n,
        throttledTime: (cpu['throttled_usec'] ?? 0n) * 1000n,
      },
    },
    cpuset: cpusetStats(dir, ''),
    memory: {
      cache: raw['file'] ?? 0n,
      usage,
      swap,
      kernel: { limit: 0n, usage: 0n, max: 0n, failcnt: 0n },
      kernelTCP: { limit: 0n, usage: 0n, max: 0n, failcnt: 0n },
      raw,
    },
    pids: { current: u64(dir, 'pids.current'), limit: pidsLimit(dir) },
    blkio: {
      ...(ioBytes.length ? { ioServiceBytesRecursive: ioBytes } : {}),
      ...(ioServiced.length ? { ioServicedRecursive: ioServiced } : {}),
    },
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** OOM kills so far, v1: memory.oom_control's oom_kill (kernel ≥ 4.13). */
export function oomKillsV1(memoryDir: string | undefined): N {
  return keyValues(read(memoryDir, 'memory.oom_control'))['oom_kill'] ?? 0n;
}

/** OOM kills so far, v2: memory.events' oom_kill. */
export function oomKillsV2(dir: string): N {
  return keyValues(read(dir, 'memory.events'))['oom_kill'] ?? 0n;
}
