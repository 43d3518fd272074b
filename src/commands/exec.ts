import { EXEC_FAILED, execInContainer, type ExecOptions } from '../container/exec';
import { SkiffError, messageOf } from '../errors';
import type { Globals } from '../globals';

/** Every failure of exec itself exits 255, so callers can tell it from the process's own status. */
export async function exec(g: Globals, opts: ExecOptions): Promise<number> {
  try {
    return await execInContainer(g.store(), opts);
  } catch (err) {
    throw new SkiffError(messageOf(err), EXEC_FAILED);
  }
}
