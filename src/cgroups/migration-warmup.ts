// Joining a cgroup v1 hierarchy (a write to cgroup.procs) takes the kernel's global
// cgroup_threadgroup_rwsem for writing, and the first writer after a quiet spell waits a whole RCU
// grace period for it: 17–22 ms on this kind of machine, the largest single cost of `create` and
// `exec` on a v1 or hybrid host. Writers that follow within a grace period pass at once. So
// `create` and `exec` start, on a thread of the addon, a write of skiff's own pid into the cgroup
// it is already in (a migration to where it is: nothing moves) before they validate and plan, and
// the init's joins after the clone find the lock warm.
import * as path from 'node:path';

import { native } from '../native';
import { hierarchy, ownCgroups } from './hierarchy';

export function warmCgroupMigration(): void {
  const h = hierarchy();
  const first = h.v1[0];
  if (!first) return;
  const own = ownCgroups().get(first.controllers.join(','));
  if (own === undefined) return;
  let rel = own;
  if (first.root !== '/' && (rel === first.root || rel.startsWith(first.root + '/'))) rel = rel.slice(first.root.length);
  native().warmCgroupMigration(path.join(first.mountpoint, rel, 'cgroup.procs'));
}
