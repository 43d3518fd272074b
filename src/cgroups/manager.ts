// Where a container's cgroups live, and their life: create, place (by the addon at clone time),
// list processes, freeze, remove. The resource files are written by resources.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from '../errors';
import { hierarchy, ownCgroups } from './hierarchy';

export interface CgroupPaths {
  mode: 'unified' | 'hybrid' | 'legacy';
  /** cgroup2 directory (the whole tree on unified hosts, …/unified on hybrid ones). */
  unified?: string;
  /** v1 directories keyed by controller list ("memory", "cpu,cpuacct", "name=systemd"). */
  v1: Record<string, string>;
  /** The directories skiff made: only these (and what was created inside them) are removed. */
  created?: string[];
  /**
   * The missing parents mkdir made on the way (a relative cgroupsPath "a/b/c"), deepest first:
   * removed after the container's own when empty — another container may have its cgroup there.
   */
  createdParents?: string[];
  /** The systemd driver: the scope unit and the directories systemd makes and removes for it. */
  systemd?: { unit: string; slice: string; managed: string[]; user?: boolean };
  /** Rootless without a cgroup it may make: why (no directories then; the "none" driver). */
  none?: string;
  /** Rootless in a cgroup delegated to the user: no device rules (src/cgroups/apply.ts). */
  rootless?: boolean;
}

function within(mountpoint: string, mountRoot: string, cgroup: string): string {
  // A namespaced mount shows the hierarchy from mountRoot down; strip it from absolute paths.
  let rel = cgroup;
  if (mountRoot !== '/' && (rel === mountRoot || rel.startsWith(mountRoot + '/'))) rel = rel.slice(mountRoot.length);
  const full = path.join(mountpoint, rel).replace(/\/+$/, '');
  // The container's cgroup is killed, frozen and removed with it: never a hierarchy's root.
  if (!full.startsWith(mountpoint + '/'))
    throw new SkiffError(`linux.cgroupsPath "${cgroup}" resolves to ${full}, which is not a cgroup of its own`);
  return full;
}

/**
 * Resolves linux.cgroupsPath like runc's cgroupfs driver: absolute paths from the hierarchy's root,
 * relative ones (and the default, the container id) below skiff's own cgroup.
 */
export function resolveCgroupPaths(cgroupsPath: string | undefined, id: string): CgroupPaths {
  const h = hierarchy();
  const given = cgroupsPath && cgroupsPath.length > 0 ? cgroupsPath : id;
  // Cleaned as if absolute, like runc's CleanPath: ".." can never climb above the starting point
  // (a relative path stays below skiff's own cgroup).
  const wanted = path.isAbsolute(given) ? path.posix.normalize(given) : path.posix.join('/', given).slice(1);
  if (wanted === '') throw new SkiffError(`linux.cgroupsPath "${given}" names no cgroup of its own`);
  const own = path.isAbsolute(wanted) ? undefined : ownCgroups();
  // Relative paths: below skiff's own cgroup on v1 (runc's fs driver); on cgroup2 below its
  // parent (runc's fs2 driver), since skiff's own cgroup holds processes and so can have no
  // controllers enabled for children.
  const under = (key: string): string => {
    if (!own) return path.normalize(wanted);
    const mine = own.get(key) ?? '/';
    return path.join(key === '' ? path.dirname(mine) : mine, wanted);
  };
  const out: CgroupPaths = { mode: h.mode, v1: {} };
  if (h.unified) out.unified = within(h.unified.mountpoint, h.unified.root, under(''));
  for (const v of h.v1) {
    const key = v.controllers.join(',');
    out.v1[key] = within(v.mountpoint, v.root, under(key));
  }
  return out;
}

export function allDirs(p: CgroupPaths): string[] {
  return [...(p.unified ? [p.unified] : []), ...Object.values(p.v1)];
}

/**
 * Records in `created` the directories that do not exist yet, the ones createCgroups will make:
 * the state is written with them before any exists, so a create killed half-way leaves delete
 * the list of what to remove.
 */
export function planCgroupCreation(p: CgroupPaths): void {
  p.created = ownDirs(p).filter((dir) => !fs.existsSync(dir));
  const parents = new Set<string>();
  for (const dir of p.created) {
    for (let d = path.dirname(dir); d !== path.dirname(d) && !fs.existsSync(d); d = path.dirname(d)) parents.add(d);
  }
  p.createdParents = [...parents].sort((a, b) => b.length - a.length);
}

/** Creates the directories; v1 cpuset cgroups need cpus and mems before they accept a task. */
export function createCgroups(p: CgroupPaths): void {
  if (!p.created) planCgroupCreation(p);
  for (const [key, dir] of Object.entries(p.v1)) {
    if (!ownDirs(p).includes(dir)) continue;
    mkdirs(dir);
    if (key.split(',').includes('cpuset')) inheritCpuset(dir);
  }
  if (p.unified && ownDirs(p).includes(p.unified)) mkdirs(p.unified);
}

/** The directories skiff itself makes and joins (with systemd, those systemd leaves alone). */
function ownDirs(p: CgroupPaths): string[] {
  const bySystemd = new Set(p.systemd?.managed ?? []);
  return allDirs(p).filter((d) => !bySystemd.has(d));
}

function mkdirs(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
}

function inheritCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const chain: string[] = [];
    let d = dir;
    while (readTrim(path.join(d, file)) === '') {
      chain.push(d);
      d = path.dirname(d);
    }
    const value = readTrim(path.join(d, file));
    for (const c of chain.reverse()) fs.writeFileSync(path.join(c, file), value ?? '');
  }
}

function readTrim(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * cgroup.procs of every v1 hierarchy: the addon writes the init's pid there before it runs. At
 * create, systemd itself moves the init into the hierarchies it manages (`bySkiffOnly`).
 */
export function v1ProcsFiles(p: CgroupPaths, bySkiffOnly = false): string[] {
  const bySystemd = new Set(bySkiffOnly ? (p.systemd?.managed ?? []) : []);
  return Object.values(p.v1)
    .filter((d) => !bySystemd.has(d))
    .map((d) => path.join(d, 'cgroup.procs'));
}

/**
 * Pids in any of the container's cgroups, in every hierarchy: a create killed while it was adding
 * the init to the v1 hierarchies one by one leaves it in only some of them.
 */
export function everyCgroupPid(p: CgroupPaths): number[] {
  const pids = new Set<number>();
  for (const dir of allDirs(p)) collectPids(dir, pids);
  return [...pids];
}

/** The pids in dir and every cgroup below it. */
export function collectPids(dir: string, out: Set<number>): void {
  let entries: fs.Dirent[];
  try {
    for (const l of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.add(Number(l));
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) collectPids(path.join(dir, e.name), out);
}

/** Removes the container's cgroups, children first, retrying while exiting tasks still hold them. */
export async function removeCgroups(p: CgroupPaths): Promise<string[]> {
  const problems: string[] = [];
  // Tasks of a killed container take a moment to leave; a cgroup still held after that is held
  // by processes that are not the container's (a cgroup shared by several): leave it, say so.
  const deadline = Date.now() + 2000;
  // A cgroup that existed before the container (a pod's, the caller's) is not skiff's to remove.
  for (const dir of p.created ?? []) {
    for (;;) {
      try {
        removeTree(dir);
        break;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') break;
        if (e.code === 'EBUSY' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        problems.push(`remove cgroup ${dir}: ${e.code ?? e.message}`);
        break;
      }
    }
  }
  for (const dir of p.createdParents ?? []) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // not empty (another container's cgroup is below it), or gone: not this container's to remove
    }
  }
  return problems;
}

function removeTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) removeTree(path.join(dir, e.name));
  fs.rmdirSync(dir);
}

/**
 * A cgroup the container would join that exists already: frozen, the init would hang in it (runc
 * refuses it at once); holding processes, it is shared with something else (runc warns).
 */
export function checkExistingCgroups(p: CgroupPaths): { error?: string; warnings: string[] } {
  // Both freezers count, the v1 one and cgroup2's (which a hybrid host has too).
  const fz = p.v1['freezer'];
  const frozen =
    p.unified && readTrim(path.join(p.unified, 'cgroup.freeze')) === '1'
      ? p.unified
      : fz && readTrim(path.join(fz, 'freezer.state')) === 'FROZEN'
        ? fz
        : undefined;
  if (frozen) return { error: `the container's cgroup ${frozen} is frozen: thaw it or choose another linux.cgroupsPath`, warnings: [] };
  const warnings: string[] = [];
  for (const dir of allDirs(p)) {
    const procs = readTrim(path.join(dir, 'cgroup.procs'));
    if (procs)
      warnings.push(
        `the container's cgroup ${dir} already holds processes (${procs.split('\n').length}): they share its limits, and delete --force of a container without its own pid namespace kills them`,
      );
  }
  return { warnings };
}
