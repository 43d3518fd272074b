import { thaw } from '../cgroups/freezer';
import { currentStatus } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';

/** runc resume: thaw a paused container. */
export function resume(g: Globals, id: string): void {
  const store = g.store();
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status !== 'paused') throw new SkiffError(`cannot resume container "${id}": container not paused (it is ${status})`);
  thaw(s.cgroup);
}
