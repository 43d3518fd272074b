import * as fs from 'node:fs';
import * as path from 'node:path';

import { updateContainer } from '../container/update';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import type { Resources } from '../spec/types';

export interface UpdateFlags {
  resources?: string;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  cpuShare?: string;
  cpuShares?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuBurst?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuIdle?: string;
  pidsLimit?: string;
  blkioWeight?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: "64m", "1.5g", "512KiB", "1024" (binary units); "-1" is unlimited. */
export function ramInBytes(flag: string, v: string): number {
  if (v === '-1') return -1;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (!m) throw new SkiffError(`invalid value for --${flag}: invalid size: '${v}'`);
  return Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
}

function uintFlag(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new SkiffError(`invalid value for --${flag}: "${v}" (expected a non-negative integer)`);
  return Number(v);
}

function intFlag(flag: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new SkiffError(`invalid value for --${flag}: "${v}" (expected an integer)`);
  return Number(v);
}

type Kind = 'integer' | 'boolean' | 'string' | 'array' | 'object';
const FIELDS: Record<string, Record<string, Kind>> = {
  memory: {
    limit: 'integer',
    reservation: 'integer',
    swap: 'integer',
    kernel: 'integer',
    kernelTCP: 'integer',
    swappiness: 'integer',
    disableOOMKiller: 'boolean',
    useHierarchy: 'boolean',
    checkBeforeUpdate: 'boolean',
  },
  cpu: {
    shares: 'integer',
    quota: 'integer',
    burst: 'integer',
    period: 'integer',
    realtimeRuntime: 'integer',
    realtimePeriod: 'integer',
    cpus: 'string',
    mems: 'string',
    idle: 'integer',
  },
  pids: { limit: 'integer' },
  blockIO: {
    weight: 'integer',
    leafWeight: 'integer',
    weightDevice: 'array',
    throttleReadBpsDevice: 'array',
    throttleWriteBpsDevice: 'array',
    throttleReadIOPSDevice: 'array',
    throttleWriteIOPSDevice: 'array',
  },
};

function kindOf(v: unknown): Kind | 'null' | 'number' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as Kind;
}

/** The checks runc's JSON decoding makes (types of the known fields), with JSON paths in the errors. */
export function checkResourcesJson(doc: unknown, source: string): Resources {
  if (kindOf(doc) !== 'object') throw new SkiffError(`${source}: the resources must be a JSON object`);
  const d = doc as Record<string, unknown>;
  for (const [section, fields] of Object.entries(FIELDS)) {
    const v = d[section];
    if (v === undefined || v === null) continue;
    if (kindOf(v) !== 'object') throw new SkiffError(`${source}: /${section}: must be object`);
    for (const [k, kind] of Object.entries(fields)) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && x !== null && kindOf(x) !== kind) throw new SkiffError(`${source}: /${section}/${k}: must be ${kind}`);
    }
  }
  if (d.unified !== undefined && d.unified !== null) {
    if (kindOf(d.unified) !== 'object') throw new SkiffError(`${source}: /unified: must be object`);
    for (const [k, x] of Object.entries(d.unified as Record<string, unknown>))
      if (typeof x !== 'string') throw new SkiffError(`${source}: /unified/${k}: must be string`);
  }
  return d as Resources;
}

function readResources(file: string): Resources {
  const source = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    throw new SkiffError(`--resources ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SkiffError(`--resources ${source}: invalid JSON: ${(err as Error).message}`);
  }
  return checkResourcesJson(doc, `--resources ${source}`);
}

/** runc update's individual flags → linux.resources (only what was given). */
export function resourcesFromFlags(f: UpdateFlags): Resources {
  if (f.kernelMemory !== undefined)
    throw new SkiffError('--kernel-memory is not supported: kernel memory limits are deprecated by the kernel and ignored by cgroup v2');
  if (f.kernelMemoryTcp !== undefined)
    throw new SkiffError(
      '--kernel-memory-tcp is not supported: kernel memory limits are deprecated by the kernel and ignored by cgroup v2',
    );
  if (f.l3CacheSchema !== undefined) throw new SkiffError('--l3-cache-schema: Intel RDT is not supported by skiff');
  if (f.memBwSchema !== undefined) throw new SkiffError('--mem-bw-schema: Intel RDT is not supported by skiff');
  const r: Resources = {};
  const memory: NonNullable<Resources['memory']> = {};
  const cpu: NonNullable<Resources['cpu']> = {};
  if (f.memory !== undefined) memory.limit = ramInBytes('memory', f.memory);
  if (f.memorySwap !== undefined) memory.swap = ramInBytes('memory-swap', f.memorySwap);
  if (f.memoryReservation !== undefined) memory.reservation = ramInBytes('memory-reservation', f.memoryReservation);
  const shares = f.cpuShare ?? f.cpuShares;
  if (shares !== undefined) cpu.shares = uintFlag(f.cpuShare !== undefined ? 'cpu-share' : 'cpu-shares', shares);
  if (f.cpuPeriod !== undefined) cpu.period = uintFlag('cpu-period', f.cpuPeriod);
  if (f.cpuQuota !== undefined) cpu.quota = intFlag('cpu-quota', f.cpuQuota);
  if (f.cpuBurst !== undefined) cpu.burst = uintFlag('cpu-burst', f.cpuBurst);
  if (f.cpuRtPeriod !== undefined) cpu.realtimePeriod = uintFlag('cpu-rt-period', f.cpuRtPeriod);
  if (f.cpuRtRuntime !== undefined) cpu.realtimeRuntime = intFlag('cpu-rt-runtime', f.cpuRtRuntime);
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  if (f.cpuIdle !== undefined) cpu.idle = intFlag('cpu-idle', f.cpuIdle);
  if (Object.keys(memory).length) r.memory = memory;
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (f.pidsLimit !== undefined) r.pids = { limit: intFlag('pids-limit', f.pidsLimit) };
  if (f.blkioWeight !== undefined) {
    const w = uintFlag('blkio-weight', f.blkioWeight);
    if (w) r.blockIO = { weight: w };
  }
  return r;
}

/** runc update: new limits for a created, running or paused container. */
export function update(g: Globals, id: string, f: UpdateFlags): void {
  const r = f.resources !== undefined ? readResources(f.resources) : resourcesFromFlags(f);
  updateContainer(g.store(), id, r);
}
