// SCMP_ACT_NOTIFY: the notify fd goes to the seccomp agent at linux.seccomp.listenerPath, with the
// container process state (config-linux.md), one connection per process.
import { SkiffError, messageOf } from '../errors';
import { native } from '../native';
import type { OciState } from '../spec/types';
import { SPEC_VERSION } from '../version';

export function seccompFdSender(
  seccomp: Record<string, any> | undefined,
  state: (pid: number) => OciState,
): ((fd: number, pid: number) => void) | undefined {
  const listener = seccomp?.listenerPath;
  if (typeof listener !== 'string' || listener === '') return undefined;
  return (fd, pid) => {
    const payload = {
      ociVersion: SPEC_VERSION,
      fds: ['seccompFd'],
      pid,
      ...(seccomp?.listenerMetadata ? { metadata: seccomp.listenerMetadata } : {}),
      state: state(pid),
    };
    try {
      native().sendFdTo(listener, JSON.stringify(payload), fd);
    } catch (err) {
      throw new SkiffError(messageOf(err));
    }
  };
}

/** A filter that notifies needs an agent to notify: without listenerPath it is a config error. */
export function checkNotify(seccomp: Record<string, any> | undefined): string | undefined {
  if (!seccomp) return undefined;
  const notifies =
    seccomp.defaultAction === 'SCMP_ACT_NOTIFY' || (seccomp.syscalls ?? []).some((r: any) => r?.action === 'SCMP_ACT_NOTIFY');
  if (notifies && !seccomp.listenerPath) return 'config.json: /linux/seccomp/listenerPath: is required when a rule uses SCMP_ACT_NOTIFY';
  return undefined;
}
