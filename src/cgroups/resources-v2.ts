// linux.resources → cgroup v2 file writes, with runc's conversions of the v1-shaped values
// (cpu.shares → cpu.weight, blkio weight → io.weight, memory.swap as swap − limit). Pure.
// Devices are not here: on cgroup v2 they need an eBPF program (see apply.ts).
import type { Resources } from '../spec/types';
import { ResourceError, THROTTLES, rdmaLines, type BlockIO, type CgroupWrite } from './resources-v1';

/** runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] → [1, 10000]; 0 stays unset. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  // (runc computes in uint64; below the kernel's minimum of 2 that would wrap: clamp instead.)
  return 1 + Math.floor((Math.max(shares - 2, 0) * 9999) / 262142);
}

/** runc's ConvertBlkIOToIOWeightValue: [10, 1000] → [1, 10000]; 0 stays unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor((Math.max(weight - 10, 0) * 9999) / 990);
}

/** runc's ConvertMemorySwapToCgroupV2Value: v1's memory+swap total → v2's swap alone. */
export function swapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1)
    throw new ResourceError('linux.resources.memory.swap: unable to set a swap limit without a memory limit');
  if (memory < 0) throw new ResourceError(`linux.resources.memory.limit: invalid value ${memory}`);
  if (swap < memory) throw new ResourceError(`linux.resources.memory: swap (memory+swap, ${swap}) must be >= limit (${memory})`);
  return swap - memory;
}

/** v2's files for limits: -1 is "max", 0 is "not set". */
function numToStr(v: number): string {
  return v === 0 ? '' : v === -1 ? 'max' : String(v);
}

/** A `unified` key must name a file in the container's own cgroup directory. */
export function checkUnifiedKey(key: string): void {
  if (key === '' || key.includes('/') || key === '.' || key === '..' || key.includes('\0'))
    throw new ResourceError(`linux.resources.unified: key "${key}" must be a file name (no "/", not "." or "..")`);
  if (!/^[^.]+\..+$/.test(key)) throw new ResourceError(`linux.resources.unified: key "${key}" must be in the form CONTROLLER.PARAMETER`);
}

/** linux.resources.unified → writes into the cgroup2 directory, line by line like runc's WriteFileByLine. */
export function unifiedWrites(unified: Record<string, string> | undefined): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const key of Object.keys(unified ?? {})) {
    checkUnifiedKey(key);
    const value = unified![key]!;
    const controller = key.slice(0, key.indexOf('.'));
    const lines = value.includes('\n') ? value.split('\n').filter((l) => l !== '') : [value];
    for (const line of lines) out.push({ controller, file: key, value: line });
  }
  return out;
}

function memoryWrites(r: Resources): CgroupWrite[] {
  const m = r.memory;
  if (!m) return [];
  const limit = m.limit ?? 0;
  const swapIn = m.swap ?? 0;
  const reservation = m.reservation ?? 0;
  if (limit === 0 && swapIn === 0 && reservation === 0) return [];
  const out: CgroupWrite[] = [];
  const swap = swapToV2(swapIn, limit);
  let swapStr = numToStr(swap);
  if (swapStr === '' && swap === 0 && swapIn > 0) swapStr = '0'; // limit == swap: no swap at all
  // Without swap accounting, "max" and "0" are what the kernel does anyway.
  if (swapStr !== '')
    out.push({
      controller: 'memory',
      file: 'memory.swap.max',
      value: swapStr,
      ...(swapStr === 'max' || swapStr === '0' ? { optional: true } : {}),
    });
  const max = numToStr(limit);
  if (max) out.push({ controller: 'memory', file: 'memory.max', value: max });
  const low = numToStr(reservation);
  if (low) out.push({ controller: 'memory', file: 'memory.low', value: low });
  return out;
}

function ioWrites(r: Resources): CgroupWrite[] {
  const b = r.blockIO as BlockIO | undefined;
  if (!b) return [];
  const out: CgroupWrite[] = [];
  // BFQ takes the v1 weight as it is; io.weight needs runc's conversion.
  if (b.weight)
    out.push({
      controller: 'io',
      file: 'io.bfq.weight',
      value: String(b.weight),
      fallback: { file: 'io.weight', value: String(blkioWeightToIoWeight(b.weight)) },
    });
  for (const d of b.weightDevice ?? []) {
    if (!d.weight) continue;
    const dev = `${d.major}:${d.minor}`;
    out.push({
      controller: 'io',
      file: 'io.bfq.weight',
      value: `${dev} ${d.weight}`,
      fallback: { file: 'io.weight', value: `${dev} ${blkioWeightToIoWeight(d.weight)}` },
    });
  }
  for (const [key, , name] of THROTTLES)
    for (const t of (b[key] as { major: number; minor: number; rate: number }[] | undefined) ?? [])
      out.push({ controller: 'io', file: 'io.max', value: `${t.major}:${t.minor} ${name}=${t.rate}` });
  return out;
}

function cpuWrites(r: Resources): CgroupWrite[] {
  const c = r.cpu;
  if (!c) return [];
  if (c.realtimePeriod || c.realtimeRuntime)
    throw new ResourceError(
      'linux.resources.cpu: realtimePeriod and realtimeRuntime are not supported on cgroup v2 (the cpu controller has no realtime group scheduling there)',
    );
  const out: CgroupWrite[] = [];
  if (c.idle !== undefined) out.push({ controller: 'cpu', file: 'cpu.idle', value: String(c.idle) });
  const weight = sharesToWeight(c.shares ?? 0);
  if (weight) out.push({ controller: 'cpu', file: 'cpu.weight', value: String(weight) });
  const quota = c.quota ?? 0;
  const period = c.period ?? 0;
  if (c.burst !== undefined) out.push({ controller: 'cpu', file: 'cpu.max.burst', value: String(c.burst), retryOnEinval: quota !== 0 });
  if (quota !== 0 || period !== 0)
    out.push({ controller: 'cpu', file: 'cpu.max', value: `${quota > 0 ? quota : 'max'} ${period || 100000}` });
  return out;
}

/** linux.resources → v2 writes in runc's order: pids, memory, io, cpu, cpuset, hugetlb, rdma, unified. */
export function v2Writes(r: Resources): CgroupWrite[] {
  if (r.network && ((r.network as { classID?: number }).classID || ((r.network as { priorities?: unknown[] }).priorities ?? []).length))
    throw new ResourceError(
      'linux.resources.network (classID, priorities) needs the cgroup v1 net_cls/net_prio controllers: cgroup v2 has no equivalent',
    );
  const out: CgroupWrite[] = [];
  if (r.pids) out.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit < 0 ? 'max' : String(r.pids.limit) });
  out.push(...memoryWrites(r));
  out.push(...ioWrites(r));
  out.push(...cpuWrites(r));
  if (r.cpu?.cpus) out.push({ controller: 'cpuset', file: 'cpuset.cpus', value: r.cpu.cpus });
  if (r.cpu?.mems) out.push({ controller: 'cpuset', file: 'cpuset.mems', value: r.cpu.mems });
  for (const h of r.hugepageLimits ?? []) {
    out.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.max`, value: String(h.limit) });
    out.push({ controller: 'hugetlb', file: `hugetlb.${h.pageSize}.rsvd.max`, value: String(h.limit), optional: true });
  }
  for (const line of rdmaLines(r.rdma)) out.push({ controller: 'rdma', file: 'rdma.max', value: line });
  out.push(...unifiedWrites(r.unified));
  return out;
}
