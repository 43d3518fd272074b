import * as fs from 'node:fs';

import { unescapeMountField } from '../linux/host-mounts';

/** unified: cgroup2 at /sys/fs/cgroup; hybrid: v1 controllers plus cgroup2 at …/unified; legacy: v1 only. */
export type CgroupMode = 'unified' | 'hybrid' | 'legacy';

export interface V1Hierarchy {
  mountpoint: string;
  /** Mount root inside the hierarchy (not "/" when /sys/fs/cgroup comes from a cgroup namespace). */
  root: string;
  /** Controllers (and name=… for named hierarchies) as listed in /proc/self/cgroup. */
  controllers: string[];
}

export interface Hierarchy {
  mode: CgroupMode;
  unified?: { mountpoint: string; root: string };
  v1: V1Hierarchy[];
}

let cached: Hierarchy | undefined;

/** Reads the host's cgroup layout from /proc/self/mountinfo, once per process. */
export function hierarchy(): Hierarchy {
  if (cached) return cached;
  const v1: V1Hierarchy[] = [];
  let unified: Hierarchy['unified'];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    const root = unescapeMountField(pre[3]!);
    const mountpoint = unescapeMountField(pre[4]!);
    if (fstype === 'cgroup2') {
      if (!unified || mountpoint === '/sys/fs/cgroup' || (unified.root !== '/' && root === '/')) unified = { mountpoint, root };
    } else if (fstype === 'cgroup') {
      const controllers = (superOpts ?? '')
        .split(',')
        .filter(
          (o) =>
            !['rw', 'ro', 'relatime', 'noexec', 'nosuid', 'nodev', 'xattr', 'clone_children', 'cpuset_v2_mode'].includes(o) &&
            !o.startsWith('release_agent='),
        );
      // One entry per hierarchy: a hierarchy mounted again elsewhere (a container's /sys/fs/cgroup
      // when it shares this mount namespace) is the same hierarchy; the host's mount comes first.
      const same = v1.findIndex((h) => h.controllers.join(',') === controllers.join(','));
      if (!controllers.length) continue;
      if (same < 0) v1.push({ mountpoint, root, controllers });
      else if (v1[same]!.root !== '/' && root === '/') v1[same] = { mountpoint, root, controllers };
    }
  }
  const mode: CgroupMode = v1.length === 0 ? 'unified' : unified ? 'hybrid' : 'legacy';
  cached = { mode, unified, v1 };
  return cached;
}

/** This process's own cgroup per hierarchy, keyed by the controller list ("" for cgroup2). */
export function ownCgroups(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
