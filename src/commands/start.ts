import { startContainer } from '../container/lifecycle';
import type { Globals } from '../globals';

export function start(g: Globals, id: string): void {
  startContainer(g.store(), id);
}
