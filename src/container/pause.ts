// pause and resume (runc's): the container's freezer, through its cgroup driver.
import { cgroupDriver } from '../cgroups/driver';
import { SkiffError } from '../errors';
import type { Store } from '../state/store';
import { currentStatus } from './lifecycle';

/** Freezes every process of a running (or created) container. */
export function pauseContainer(store: Store, id: string): void {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status === 'paused') throw new SkiffError(`cannot pause container "${id}": it is already paused`);
  if (status !== 'running' && status !== 'created')
    throw new SkiffError(`cannot pause container "${id}": container not running (it is ${status})`);
  const cg = cgroupDriver(s.cgroup, s);
  cg.freeze();
  // The init may have exited between the status check and the freeze (runc checks the same).
  if (cg.pids().length === 0) throw new SkiffError(`cannot pause container "${id}": container process already exited`);
  if (!cg.isFrozen()) throw new SkiffError(`cannot pause container "${id}": the freezer did not report it frozen`);
}

export function resumeContainer(store: Store, id: string): void {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status !== 'paused') throw new SkiffError(`cannot resume container "${id}": container not paused (it is ${status})`);
  cgroupDriver(s.cgroup, s).thaw();
}
