// What create opens on the host before the init runs, for create and check's trial alike: the
// namespace files it joins (checked to be namespace files first) and the bind sources it clones.
import * as fs from 'node:fs';

import { errnoWords } from '../errno';
import { SkiffError } from '../errors';
import { MS } from '../linux/mount-options';
import type { LaunchPlan } from '../linux/plan';
import { native } from '../native';
import { euid } from '../rootless';
import type { Spec } from '../spec/types';

/**
 * A namespace path must be a namespace file (nsfs): skiff and skiff-init open these paths as root,
 * and a FIFO would hang them, a device node could act on being opened (a watchdog).
 */
export function checkNamespacePaths(spec: Spec): void {
  let nsfs: number | undefined;
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    if (!ns.path) return;
    const where = `config.json: /linux/namespaces/${i}/path: ${ns.type} namespace ${ns.path}`;
    nsfs ??= fs.statSync('/proc/self/ns/user').dev;
    let dev: number;
    try {
      dev = fs.statSync(ns.path).dev;
    } catch (err) {
      throw new SkiffError(`${where}: ${errnoWords((err as NodeJS.ErrnoException).code ?? 'EIO')}`);
    }
    if (dev !== nsfs) throw new SkiffError(`${where}: not a namespace file (expected /proc/<pid>/ns/... or a bind mount of one)`);
  });
}

/**
 * Bind sources skiff opens itself (open_tree) for the init to attach: every one with a user
 * namespace, new or joined (runc's way: its mapped root may not reach a source under a 0700
 * directory), and
 * every idmapped one (only host root can idmap a mount), idmapped here with the mount's own
 * mapping or the container's user namespace's. Returns the fds, for the caller to close.
 */
export function openMountSources(plan: LaunchPlan, spec: Spec): number[] {
  const n = native();
  const fds: number[] = [];
  const userns = new Map<string, number>();
  const usernsFor = (uidMap: string, gidMap: string): number => {
    const key = `${uidMap}|${gidMap}`;
    let fd = userns.get(key);
    if (fd === undefined) userns.set(key, (fd = n.makeUserns(uidMap, gidMap)));
    return fd;
  };
  const joined = spec.linux?.namespaces?.find((ns) => ns.type === 'user' && ns.path)?.path;
  try {
    for (const m of plan.init.mounts) {
      if (!m.bind || !m.source || m.cgroup) continue;
      const recursive = (m.flags & MS.REC) !== 0;
      if (m.idmap) {
        if (euid() !== 0)
          throw new SkiffError(
            `config.json: /mounts/${m.idmap.configIndex}: idmapped mounts need root (only host root can idmap a mount); not available rootless`,
          );
        let fd: number;
        if (m.idmap.uidMap && m.idmap.gidMap) fd = usernsFor(m.idmap.uidMap, m.idmap.gidMap);
        else if (plan.uidMap && plan.gidMap) fd = usernsFor(plan.uidMap, plan.gidMap);
        else if (joined) {
          fd = fs.openSync(joined, 'r');
          fds.push(fd);
        } else
          throw new SkiffError(
            `config.json: /mounts/${m.idmap.configIndex}: an idmapped mount needs uidMappings and gidMappings, or a user namespace with mappings`,
          );
        m.sourceFd = n.openTree(m.source, recursive, fd, m.idmap.recursive);
        fds.push(m.sourceFd);
      } else if ((plan.namespaces.newUser || joined) && euid() === 0) {
        // Unprivileged (rootless), open_tree would need a capability skiff has not: the init binds
        // the source itself, with no more access than the user who ran skiff.
        m.sourceFd = n.openTree(m.source, recursive);
        fds.push(m.sourceFd);
      }
    }
  } catch (err) {
    for (const fd of fds) n.closeFd(fd);
    throw err;
  } finally {
    for (const fd of userns.values()) n.closeFd(fd);
  }
  return fds;
}

/** The sources openMountSources opened, which the init must inherit to attach them. */
export function mountSourceFds(plan: LaunchPlan): number[] {
  return plan.init.mounts.flatMap((m) => (m.sourceFd === undefined ? [] : [m.sourceFd]));
}
