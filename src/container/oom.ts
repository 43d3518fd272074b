import { cgroupDriver } from '../cgroups/driver';
import { scopeResult } from '../cgroups/systemd-scope';
import type { Status } from '../spec/types';
import type { ContainerState } from '../state/container-state';

/**
 * Did the kernel OOM-kill a process of the container? The memory cgroup counts it until delete;
 * a systemd scope is gone once its processes are, but systemd keeps its result ("oom-kill").
 */
export function oomKilled(s: ContainerState, status: Status): boolean {
  try {
    if (cgroupDriver(s.cgroup, s).oomKills() > 0n) return true;
  } catch {
    // no memory controller, or the cgroup is gone
  }
  return status === 'stopped' && !!s.cgroup.systemd && scopeResult(s.cgroup) === 'oom-kill';
}
