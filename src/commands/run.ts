import { createContainer, type CreateOptions } from '../container/create';
import { deleteContainer, startContainer } from '../container/lifecycle';
import type { Globals } from '../globals';
import { native } from '../native';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGTSTP'];

/** create + start; in the foreground, wait and exit with the container's status (128+n for a signal). */
export async function run(g: Globals, opts: CreateOptions & { detach?: boolean }): Promise<number> {
  const store = g.store();
  const s = createContainer(store, { ...opts, systemdCgroup: g.systemdCgroup });
  try {
    startContainer(store, s.id);
  } catch (err) {
    await deleteContainer(store, s.id, true);
    throw err;
  }
  if (opts.detach) return 0;
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(s.pid, sig);
    } catch {
      // the container already exited
    }
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  const st = await native().waitPid(s.pid);
  for (const sig of FORWARDED) process.off(sig, forward);
  await deleteContainer(store, s.id, true);
  return st.code ?? 128 + (st.signal ?? 0);
}
