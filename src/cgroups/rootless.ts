// Which cgroups a rootless container gets: the ones resolved for it when the caller may make them
// all (cgroup2 delegated to the user, as systemd does for a user's session), else none.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { euid, inUserNamespace } from '../rootless';
import { allDirs, type CgroupPaths } from './manager';

function writableAncestor(dir: string): { dir: string; ok: boolean } {
  let d = dir;
  while (!fs.existsSync(d) && d !== path.dirname(d)) d = path.dirname(d);
  try {
    fs.accessSync(d, fs.constants.W_OK);
    return { dir: d, ok: true };
  } catch {
    return { dir: d, ok: false };
  }
}

/** `p` if every directory of it can be made (or exists and can be joined); else no cgroup, and why. */
export function rootlessCgroupPaths(p: CgroupPaths): CgroupPaths {
  for (const dir of allDirs(p)) {
    const target = fs.existsSync(dir) ? path.join(dir, 'cgroup.procs') : undefined;
    if (target) {
      try {
        fs.accessSync(target, fs.constants.W_OK);
        continue;
      } catch {
        return { mode: p.mode, v1: {}, none: `${target} is not writable for uid ${euid()}` };
      }
    }
    const a = writableAncestor(dir);
    if (!a.ok) return { mode: p.mode, v1: {}, none: `${dir} cannot be made: ${a.dir} is not writable for uid ${euid()}` };
  }
  // Device rules are skipped only where they cannot be loaded (an unprivileged caller, root of a
  // user namespace); host root with --rootless true keeps them.
  return unprivileged() ? { ...p, rootless: true } : p;
}

function unprivileged(): boolean {
  return euid() !== 0 || inUserNamespace();
}
