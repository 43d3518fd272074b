import * as fs from 'node:fs';

import { oomKillCount } from '../cgroups/stats';
import { scopeResult } from '../cgroups/systemd-scope';
import { currentStatus } from '../container/lifecycle';
import type { Globals } from '../globals';
import type { Status } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { ociState } from '../state/status';

/**
 * Did the kernel OOM-kill a process of the container? The memory cgroup counts it until delete;
 * a systemd scope is gone once its processes are, but systemd keeps its result ("oom-kill").
 */
function oomKilled(s: ContainerState, status: Status): boolean {
  try {
    if (oomKillCount(s.cgroup) > 0n) return true;
  } catch {
    // no memory controller, or the cgroup is gone
  }
  return status === 'stopped' && !!s.cgroup.systemd && scopeResult(s.cgroup) === 'oom-kill';
}

export function state(g: Globals, id: string): void {
  const store = g.store();
  const s = store.read(id);
  const status = currentStatus(store, s);
  // Beyond runc's fields, only when it happened: "oomKilled": true.
  const doc = { ...ociState(s, status), ...(oomKilled(s, status) ? { oomKilled: true } : {}) };
  fs.writeSync(1, JSON.stringify(doc, null, 2) + '\n');
}
