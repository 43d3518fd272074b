import { deleteContainer } from '../container/lifecycle';
import type { Globals } from '../globals';

export async function del(g: Globals, id: string, opts: { force?: boolean }): Promise<void> {
  await deleteContainer(g.store(), id, !!opts.force);
}
