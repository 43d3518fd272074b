// Writes linux.resources into a container's cgroups: v1 files into the v1 hierarchies (v1 and
// hybrid hosts), v2 files into the cgroup2 directory (unified hosts; on hybrid ones only the keys of
// `unified`). The translation itself is pure (resources-v1.ts, resources-v2.ts); this file only
// reads what the translation needs from the live cgroup and does the writes, in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { errnoText } from '../errno';
import { SkiffError } from '../errors';
import { log } from '../log';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import { hierarchy } from './hierarchy';
import type { CgroupPaths } from './manager';
import { ResourceError, effectiveDeviceRules, v1Writes, type CgroupWrite } from './resources-v1';
import { unifiedWrites, v2Writes } from './resources-v2';

export interface ApplyOptions {
  /** `update`: leave the device rules alone (runc's SkipDevices) and the controllers as they are. */
  update?: boolean;
  /**
   * A rootless container's delegated cgroup: no device rules (an eBPF program, or devices.allow,
   * needs privileges the user has not; its user namespace can make no device node, and it has
   * only the devices bound into it), as runc's rootless mode.
   */
  rootless?: boolean;
}

export class CgroupWriteError extends SkiffError {
  constructor(
    readonly file: string,
    readonly value: string,
    readonly code: string,
  ) {
    super(`write ${file} (${JSON.stringify(value)}): ${errnoText(code)}`, {
      step: 'cgroup',
      path: file,
      errno: (os.constants.errno as Record<string, number>)[code],
    });
  }
}

/** One write(2) of the whole value, without O_CREAT (a missing file is ENOENT, not a new file). */
export function writeCgroupFile(file: string, value: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
  } catch (err) {
    throw new CgroupWriteError(file, value, (err as NodeJS.ErrnoException).code ?? 'EIO');
  }
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    throw new CgroupWriteError(file, value, (err as NodeJS.ErrnoException).code ?? 'EIO');
  } finally {
    fs.closeSync(fd);
  }
}

export function readCgroupFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The v1 directory of the hierarchy that carries this controller ("cpu" in "cpu,cpuacct"). */
export function v1Dir(paths: CgroupPaths, controller: string): string | undefined {
  for (const [key, dir] of Object.entries(paths.v1)) if (key.split(',').includes(controller)) return dir;
  return undefined;
}

interface Target {
  dir: string;
  where: 'v1' | 'v2';
}

function applyWrites(writes: CgroupWrite[], target: (w: CgroupWrite) => Target): void {
  const retry: [CgroupWrite, Target][] = [];
  const one = (w: CgroupWrite, t: Target, last: boolean): void => {
    const file = path.join(t.dir, w.file);
    try {
      writeCgroupFile(file, w.value);
    } catch (err) {
      const e = err as CgroupWriteError;
      if (e.code === 'ENOENT' && w.fallback) return one({ ...w, ...w.fallback, fallback: undefined }, t, last);
      if (e.code === 'ENOENT' && w.optional) return;
      if (e.code === 'EINVAL' && w.retryOnEinval && !last) {
        retry.push([w, t]);
        return;
      }
      throw explain(e, w, t);
    }
  };
  for (const w of writes) one(w, target(w), false);
  for (const [w, t] of retry) one(w, t, true);
}

/** Adds what the errno alone does not say: a limit below usage, a controller not enabled. */
function explain(e: CgroupWriteError, w: CgroupWrite, t: Target): Error {
  if (!(e instanceof CgroupWriteError)) return e;
  if (e.code === 'EBUSY' && w.file === 'memory.limit_in_bytes') {
    const usage = readCgroupFile(path.join(t.dir, 'memory.usage_in_bytes'))?.trim();
    const peak = readCgroupFile(path.join(t.dir, 'memory.max_usage_in_bytes'))?.trim();
    return new SkiffError(`${e.message}: unable to set memory limit to ${w.value} (current usage: ${usage}, peak usage: ${peak})`);
  }
  if (e.code === 'ENOENT' && t.where === 'v2' && w.controller !== 'cgroup') {
    const avail = (readCgroupFile(path.join(t.dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
    if (!avail.includes(w.controller))
      return new SkiffError(
        `${e.message}: the cgroup v2 controller "${w.controller}" is not available in ${t.dir} (cgroup.controllers: "${avail.join(' ')}")`,
      );
  }
  return e;
}

/** runc's CreateCgroupPath: enable every available controller from the mount root down to the parent. */
function enableControllers(dir: string): void {
  const mount = hierarchy().unified?.mountpoint;
  if (!mount || !dir.startsWith(mount + '/')) return;
  const avail = (readCgroupFile(path.join(mount, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
  if (!avail.length) return;
  const all = avail.map((c) => '+' + c).join(' ');
  let cur = mount;
  for (const part of path.relative(mount, path.dirname(dir)).split('/').filter(Boolean).concat([''])) {
    try {
      writeCgroupFile(path.join(cur, 'cgroup.subtree_control'), all);
    } catch {
      // One by one: some controllers may not be delegated here; their own writes report it.
      for (const c of avail) {
        try {
          writeCgroupFile(path.join(cur, 'cgroup.subtree_control'), '+' + c);
        } catch {
          // reported by the write that needs it
        }
      }
    }
    if (part) cur = path.join(cur, part);
    else break;
  }
}

function checkBeforeUpdate(r: Resources, usageFile: string): void {
  const m = r.memory;
  if (!m?.checkBeforeUpdate) return;
  const usage = Number(readCgroupFile(usageFile)?.trim() ?? NaN);
  if (!Number.isFinite(usage)) return;
  if (m.swap && m.swap > 0 && m.swap <= usage) throw new SkiffError(`rejecting memory+swap limit ${m.swap} <= usage ${usage}`);
  if (m.limit && m.limit > 0 && m.limit <= usage) throw new SkiffError(`rejecting memory limit ${m.limit} <= usage ${usage}`);
}

function warnIgnored(r: Resources, version: 'v1' | 'v2', memoryDir: string | undefined): void {
  if (r.memory?.kernel) log('warning', 'linux.resources.memory.kernel is ignored (kernel memory limits are deprecated by the kernel)');
  const tcpFile = memoryDir ? path.join(memoryDir, 'memory.kmem.tcp.limit_in_bytes') : undefined;
  if (r.memory?.kernelTCP && (version === 'v2' || !tcpFile || !fs.existsSync(tcpFile)))
    log('warning', 'linux.resources.memory.kernelTCP is ignored: this kernel has no memory.kmem.tcp.limit_in_bytes');
  if (version === 'v2') {
    if (r.memory?.swappiness !== undefined && r.memory.swappiness !== -1)
      log('warning', 'linux.resources.memory.swappiness is ignored on cgroup v2');
    if (r.memory?.disableOOMKiller) log('warning', 'linux.resources.memory.disableOOMKiller is ignored on cgroup v2');
  }
}

/** cgroup v2: the device rules become an eBPF program attached to the container's cgroup. */
function attachDeviceRules(dir: string, rules: DeviceCgroupRule[]): void {
  const { native } = require('../native') as typeof import('../native');
  native().attachDeviceFilter(
    dir,
    rules.map((d) => ({
      allow: d.allow,
      type: d.type ?? 'a',
      major: d.major ?? -1,
      minor: d.minor ?? -1,
      access: d.access ?? 'rwm',
    })),
  );
}

/**
 * cgroup2 (unified hosts): linux.resources into the container's directory. On create (not
 * `update`) the controllers are enabled and the device rules attached, even without resources.
 */
export function applyV2(dir: string, resources: Resources | undefined, opts: ApplyOptions = {}): void {
  const r = resources ?? {};
  translated(() => {
    warnIgnored(r, 'v2', undefined);
    if (!opts.update) enableControllers(dir);
    if (!opts.update && !opts.rootless) attachDeviceRules(dir, effectiveDeviceRules(resources));
    checkBeforeUpdate(r, path.join(dir, 'memory.current'));
    applyWrites(v2Writes(r), () => ({ dir, where: 'v2' }));
  });
}

/**
 * cgroup v1 (legacy and hybrid hosts): linux.resources into the v1 hierarchies, the keys of
 * `unified` into the cgroup2 directory of a hybrid host. On create (not `update`) the device rules
 * are always written (the config's, then runc's defaults), even without resources.
 */
export function applyV1(paths: CgroupPaths, resources: Resources | undefined, opts: ApplyOptions = {}): void {
  const r = resources ?? {};
  translated(() => {
    const memDir = v1Dir(paths, 'memory');
    warnIgnored(r, 'v1', memDir);
    if (memDir) checkBeforeUpdate(r, path.join(memDir, 'memory.usage_in_bytes'));
    let currentMemoryLimit: bigint | undefined;
    if (opts.update && memDir) {
      const cur = readCgroupFile(path.join(memDir, 'memory.limit_in_bytes'))?.trim();
      if (cur && /^\d+$/.test(cur)) currentMemoryLimit = BigInt(cur);
    }
    const writes = v1Writes(r, { devices: !opts.update && !opts.rootless, currentMemoryLimit });
    const unified = unifiedWrites(r.unified);
    if (unified.length && !paths.unified)
      throw new ResourceError('linux.resources.unified needs cgroup v2, and this host has only cgroup v1 hierarchies');
    applyWrites(writes, (w) => {
      const dir = v1Dir(paths, w.controller);
      if (!dir)
        throw new SkiffError(
          `cannot set ${w.file} (${JSON.stringify(w.value)}): the cgroup v1 controller "${w.controller}" is not mounted on this host`,
        );
      return { dir, where: 'v1' };
    });
    // Hybrid: the keys of `unified` go to the cgroup2 directory, which holds only the controllers v1 left to it.
    applyWrites(unified, () => ({ dir: paths.unified!, where: 'v2' }));
  });
}

function translated(f: () => void): void {
  try {
    f();
  } catch (err) {
    if (err instanceof ResourceError) throw new SkiffError(err.message);
    throw err;
  }
}
