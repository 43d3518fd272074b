import { freeze } from '../cgroups/freezer';
import { cgroupPids, isFrozen } from '../cgroups/manager';
import { currentStatus } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';

/** runc pause: freeze every process of a running container (freezer.state FROZEN / cgroup.freeze 1). */
export function pause(g: Globals, id: string): void {
  const store = g.store();
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status === 'paused') throw new SkiffError(`cannot pause container "${id}": it is already paused`);
  if (status !== 'running' && status !== 'created') throw new SkiffError(`cannot pause container "${id}": container not running (it is ${status})`);
  freeze(s.cgroup);
  // The init may have exited between the status check and the freeze (runc checks the same).
  if (cgroupPids(s.cgroup).length === 0) throw new SkiffError(`cannot pause container "${id}": container process already exited`);
  if (!isFrozen(s.cgroup)) throw new SkiffError(`cannot pause container "${id}": the freezer did not report it frozen`);
}
