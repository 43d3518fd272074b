import { resumeContainer } from '../container/pause';
import type { Globals } from '../globals';

/** runc resume: thaw a paused container. */
export function resume(g: Globals, id: string): void {
  resumeContainer(g.store(), id);
}
