import { execInContainer, type ExecOptions } from '../container/exec';
import type { Globals } from '../globals';

export async function exec(g: Globals, opts: ExecOptions): Promise<number> {
  return execInContainer(g.store(), opts);
}
