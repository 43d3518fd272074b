// `run` and `restore` in the foreground: wait for the container's init, passing on the signals a
// caller sends to skiff (the init is pid 1 of its namespace: only what it handles reaches it).
import { native, type WaitStatus } from '../native';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGTSTP'];

/** Waits for pid (a child, or an orphan of this subreaper), forwarding signals but `keep` (the terminal relay's SIGWINCH). */
export async function waitForwarding(pid: number, keep: readonly NodeJS.Signals[] = []): Promise<WaitStatus> {
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // the container already exited
    }
  };
  const signals = FORWARDED.filter((s) => !keep.includes(s));
  for (const sig of signals) process.on(sig, forward);
  try {
    return await native().waitPid(pid);
  } finally {
    for (const sig of signals) process.off(sig, forward);
  }
}

/** A wait status as the exit code of skiff: the process's own, or 128+n for a signal. */
export function exitCodeOf(st: WaitStatus): number {
  return st.code ?? 128 + (st.signal ?? 0);
}
