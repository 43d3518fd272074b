// The cgroup drivers behind one interface (crun's libcrun_cgroup_manager, youki's CgroupManager):
// fs-v1 (legacy and hybrid hosts: the v1 hierarchies, plus the cgroup2 directory a hybrid host
// has), fs-v2 (unified hosts) and systemd (a transient scope, over either). Everything that differs
// between them is here; what is common (paths, creation, removal, pids) is in manager.ts.
import * as path from 'node:path';

import { SkiffError } from '../errors';
import { log } from '../log';
import type { Resources } from '../spec/types';
import { applyV1, applyV2, readCgroupFile, v1Dir, writeCgroupFile } from './apply';
import { freezeV1, freezeV2, frozenV1, frozenV2, thawV1, thawV2 } from './freezer';
import { collectPids, createCgroups, everyCgroupPid, removeCgroups, type CgroupPaths } from './manager';
import { limitsAsked, limitsWithoutCgroup, noCgroupError, processesOf } from './no-cgroup';
import { effectiveDeviceRules } from './resources-v1';
import { oomKillsV1, oomKillsV2, statsV1, statsV2, type Stats } from './stats';
import { startScope, stopScope, updateScope } from './systemd-scope';

export interface CgroupDriver {
  readonly kind: 'fs-v1' | 'fs-v2' | 'systemd' | 'none';
  readonly paths: CgroupPaths;
  /** Makes the directories skiff makes (with systemd: those in hierarchies systemd leaves alone). */
  create(): void;
  /** Right after the clone, before the init runs: systemd's scope for it. The fs drivers need nothing. */
  attach(id: string, pid: number, resources: Resources | undefined): void;
  /** linux.resources at create. */
  apply(resources: Resources | undefined): void;
  /** `update`: the new resources (device rules left as they are). */
  update(resources: Resources): void;
  freeze(): void;
  thaw(): void;
  /** Paused: the freezer was asked to freeze. */
  isFrozen(): boolean;
  /** The container's processes, from one hierarchy's view. */
  pids(): number[];
  /** In any of its cgroups, every hierarchy (a create killed half-way leaves some out). */
  everyPid(): number[];
  stats(): Stats;
  oomKills(): bigint;
  /** A file whose changes (inotify) announce an OOM kill at once: cgroup2's memory.events. */
  oomEventsFile(): string | undefined;
  /**
   * Stops the scope (systemd; not with `scope: false`, for a create whose scope never started: a
   * unit of that name is another container's) and removes the directories skiff made; returns
   * what it could not.
   */
  remove(opts?: { scope?: boolean }): Promise<string[]>;
}

abstract class FsDriver implements CgroupDriver {
  abstract readonly kind: 'fs-v1' | 'fs-v2';
  constructor(readonly paths: CgroupPaths) {}
  create(): void {
    createCgroups(this.paths);
  }
  attach(): void {}
  abstract apply(resources: Resources | undefined): void;
  abstract update(resources: Resources): void;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  abstract pids(): number[];
  abstract stats(): Stats;
  abstract oomKills(): bigint;
  oomEventsFile(): string | undefined {
    return undefined;
  }
  everyPid(): number[] {
    return everyCgroupPid(this.paths);
  }
  remove(): Promise<string[]> {
    return removeCgroups(this.paths);
  }
}

class FsV1Driver extends FsDriver {
  readonly kind = 'fs-v1';
  private freezerDir(): string {
    const dir = v1Dir(this.paths, 'freezer');
    if (!dir) throw new SkiffError('cannot freeze: the cgroup v1 freezer controller is not mounted on this host');
    return dir;
  }
  apply(resources: Resources | undefined): void {
    applyV1(this.paths, resources, { rootless: this.paths.rootless });
  }
  update(resources: Resources): void {
    applyV1(this.paths, resources, { update: true });
  }
  freeze(): void {
    freezeV1(this.freezerDir());
  }
  thaw(): void {
    thawV1(this.freezerDir());
  }
  isFrozen(): boolean {
    const dir = v1Dir(this.paths, 'freezer');
    return !!dir && frozenV1(dir);
  }
  pids(): number[] {
    const v1 = this.paths.v1;
    const pids = new Set<number>();
    collectPids(v1['pids'] ?? v1['freezer'] ?? v1['memory'] ?? Object.values(v1)[0]!, pids);
    return [...pids];
  }
  stats(): Stats {
    return statsV1(this.paths);
  }
  oomKills(): bigint {
    return oomKillsV1(v1Dir(this.paths, 'memory'));
  }
}

class FsV2Driver extends FsDriver {
  readonly kind = 'fs-v2';
  private get dir(): string {
    return this.paths.unified!;
  }
  apply(resources: Resources | undefined): void {
    applyV2(this.dir, resources, { rootless: this.paths.rootless });
  }
  update(resources: Resources): void {
    // cpu.max holds quota and period together: keep the half that was not given.
    const cpu = resources.cpu;
    if (cpu && !!cpu.quota !== !!cpu.period) {
      const [q, p] = (readCgroupFile(path.join(this.dir, 'cpu.max')) ?? 'max 100000').trim().split(/\s+/);
      if (!cpu.quota) cpu.quota = q === 'max' || !q ? -1 : Number(q);
      if (!cpu.period && p) cpu.period = Number(p);
    }
    applyV2(this.dir, resources, { update: true });
  }
  freeze(): void {
    freezeV2(this.dir);
  }
  thaw(): void {
    thawV2(this.dir);
  }
  isFrozen(): boolean {
    return frozenV2(this.dir);
  }
  pids(): number[] {
    const pids = new Set<number>();
    collectPids(this.dir, pids);
    return [...pids];
  }
  stats(): Stats {
    return statsV2(this.dir);
  }
  oomKills(): bigint {
    return oomKillsV2(this.dir);
  }
  override oomEventsFile(): string {
    return path.join(this.dir, 'memory.events');
  }
}

/**
 * systemd: a transient scope holds the init (Delegate=yes, the limits as unit properties, so a
 * daemon-reload keeps them); the files are written as well, by the fs driver underneath, which
 * also does everything systemd has no call for (freezer, stats, pids).
 */
class SystemdDriver implements CgroupDriver {
  readonly kind = 'systemd';
  constructor(
    readonly paths: CgroupPaths,
    private readonly fs: FsDriver,
  ) {}
  create(): void {
    this.fs.create();
  }
  attach(id: string, pid: number, resources: Resources | undefined): void {
    startScope(this.paths, { id, pid, resources, deviceRules: effectiveDeviceRules(resources) });
  }
  apply(resources: Resources | undefined): void {
    this.fs.apply(resources);
  }
  update(resources: Resources): void {
    // systemd first (it rewrites the files it knows), then the files themselves, as runc does.
    updateScope(this.paths, resources);
    this.fs.update(resources);
  }
  freeze(): void {
    this.fs.freeze();
  }
  thaw(): void {
    this.fs.thaw();
  }
  isFrozen(): boolean {
    return this.fs.isFrozen();
  }
  pids(): number[] {
    return this.fs.pids();
  }
  everyPid(): number[] {
    return this.fs.everyPid();
  }
  stats(): Stats {
    return this.fs.stats();
  }
  oomKills(): bigint {
    return this.fs.oomKills();
  }
  oomEventsFile(): string | undefined {
    return this.fs.oomEventsFile();
  }
  async remove(opts: { scope?: boolean } = {}): Promise<string[]> {
    // systemd removes the scope's own cgroups when it stops it; skiff removes those it made.
    return [...(opts.scope === false ? [] : stopScope(this.paths)), ...(await this.fs.remove())];
  }
}

/** A rootless container without a cgroup: its processes come from its pid namespace. */
class NoCgroupDriver implements CgroupDriver {
  readonly kind = 'none';
  constructor(
    readonly paths: CgroupPaths,
    private owner: ContainerProcess,
  ) {}
  create(): void {}
  attach(): void {}
  apply(resources: Resources | undefined): void {
    const asked = limitsAsked(resources);
    if (asked.length) throw new SkiffError(`config.json: /linux/resources: ${limitsWithoutCgroup(asked, this.paths.none ?? 'rootless')}`);
  }
  update(): void {
    throw noCgroupError(this.paths, 'update');
  }
  freeze(): void {
    throw noCgroupError(this.paths, 'pause');
  }
  thaw(): void {
    throw noCgroupError(this.paths, 'resume');
  }
  isFrozen(): boolean {
    return false;
  }
  pids(): number[] {
    return processesOf(this.owner.pid, !!this.owner.privatePidns);
  }
  everyPid(): number[] {
    return this.pids();
  }
  stats(): Stats {
    throw noCgroupError(this.paths, 'stats');
  }
  oomKills(): bigint {
    return 0n;
  }
  oomEventsFile(): string | undefined {
    return undefined;
  }
  remove(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

/** The container's init, for the driver without a cgroup (the others find processes in theirs). */
export interface ContainerProcess {
  pid: number;
  privatePidns?: boolean;
}

export function cgroupDriver(paths: CgroupPaths, owner: ContainerProcess = { pid: 0, privatePidns: false }): CgroupDriver {
  if (paths.none !== undefined) return new NoCgroupDriver(paths, owner);
  const fs = paths.mode === 'unified' && paths.unified ? new FsV2Driver(paths) : new FsV1Driver(paths);
  return paths.systemd ? new SystemdDriver(paths, fs) : fs;
}

/** Thaws a frozen container (SIGKILL does not land in a frozen v1 cgroup until then). */
export function thawIfFrozen(d: CgroupDriver): void {
  try {
    if (d.isFrozen()) d.thaw();
  } catch (err) {
    log('warning', `thaw: ${(err as Error).message}`);
  }
}

/**
 * Sends sig to every process of the container, as runc's signalAllProcesses: SIGKILL through
 * cgroup.kill where the kernel has it (any host with a cgroup2 directory for the container);
 * otherwise freeze, signal each pid, thaw (so nothing forks away in between). A paused container
 * stays paused, except for SIGKILL. Returns how many processes were signalled.
 */
export function signalAll(d: CgroupDriver, sig: number): number {
  const pids = d.pids();
  if (!pids.length) return 0;
  // Signal 0 asks whether any process is there: nothing to freeze for it.
  if (sig === 0)
    return pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }).length;
  if (sig === 9 && d.paths.unified) {
    try {
      writeCgroupFile(path.join(d.paths.unified, 'cgroup.kill'), '1');
      thawIfFrozen(d);
      return pids.length;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') log('warning', `cgroup.kill: ${(err as Error).message}`);
    }
  }
  const wasFrozen = d.isFrozen();
  let frozen = false;
  try {
    // Without a cgroup there is no freezer: each process is signalled as found.
    if (!wasFrozen && d.kind !== 'none') {
      d.freeze();
      frozen = true;
    }
  } catch (err) {
    log('warning', `kill --all: ${(err as Error).message}`);
  }
  let n = 0;
  for (const pid of frozen || wasFrozen ? d.pids() : pids) {
    try {
      process.kill(pid, sig);
      n++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log('warning', `kill ${pid}: ${(err as Error).message}`);
    }
  }
  if (frozen || (wasFrozen && sig === 9)) {
    try {
      d.thaw();
    } catch (err) {
      log('warning', `kill --all: ${(err as Error).message}`);
    }
  }
  return n;
}
