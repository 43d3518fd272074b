// update (runc's): new resources for a running container, through its cgroup driver.
import { cgroupDriver } from '../cgroups/driver';
import { SkiffError } from '../errors';
import type { Resources } from '../spec/types';
import type { Store } from '../state/store';
import { currentStatus } from './lifecycle';

export function updateContainer(store: Store, id: string, r: Resources): void {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status === 'stopped' || status === 'creating')
    throw new SkiffError(`cannot update container "${id}": container not running (it is ${status})`);
  // As runc's update: a pids limit of 0 means "unchanged", devices are left alone.
  if (r.pids && !r.pids.limit) delete r.pids;
  delete r.devices;
  cgroupDriver(s.cgroup, s).update(r);
}
