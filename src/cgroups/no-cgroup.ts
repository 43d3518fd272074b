// A rootless container without a cgroup (runc's rootless mode where nothing is delegated): the
// container's processes are found through its pid namespace instead, and everything that needs a
// cgroup (limits, pause, stats) is a clear error rather than silently nothing.
import * as fs from 'node:fs';

import { SkiffError } from '../errors';
import type { Resources } from '../spec/types';
import type { CgroupPaths } from './manager';

/**
 * linux.resources that need a cgroup. Device rules do not: a user namespace can make no device
 * node, and the container has only the devices bound into it.
 */
export function limitsAsked(r: Resources | undefined): string[] {
  if (!r) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(r)) {
    if (key === 'devices' || value === undefined || value === null) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => v === undefined || v === null)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out.push(key);
  }
  return out;
}

/** What create says of limits a rootless container without a cgroup cannot have (check says it too). */
export function limitsWithoutCgroup(asked: string[], reason: string): string {
  return `${asked.join(', ')}: limits need a cgroup, and this rootless container has none (${reason}); remove them, or run where a cgroup is delegated to you`;
}

export function noCgroupError(paths: CgroupPaths, what: string): SkiffError {
  return new SkiffError(`${what}: the container has no cgroup (${paths.none ?? 'rootless'})`);
}

function nsOf(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function ppidOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The container's processes without a cgroup: every process in the init's pid namespace (one of
 * its own), else the init and its descendants. Only the caller's own processes can be read.
 */
export function processesOf(init: number, privatePidns: boolean): number[] {
  if (init <= 0) return [];
  const all = fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
  if (privatePidns) {
    const ns = nsOf(init);
    if (ns === undefined) return [];
    return all.filter((pid) => nsOf(pid) === ns);
  }
  const children = new Map<number, number[]>();
  for (const pid of all) {
    const pp = ppidOf(pid);
    if (pp !== undefined) children.set(pp, [...(children.get(pp) ?? []), pid]);
  }
  if (!fs.existsSync(`/proc/${init}`)) return [];
  const out: number[] = [];
  const todo = [init];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}
