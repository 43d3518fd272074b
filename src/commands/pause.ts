import { pauseContainer } from '../container/pause';
import type { Globals } from '../globals';

/** runc pause: freeze every process of a running container (freezer.state FROZEN / cgroup.freeze 1). */
export function pause(g: Globals, id: string): void {
  pauseContainer(g.store(), id);
}
