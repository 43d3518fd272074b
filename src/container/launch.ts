// Starting skiff-init, one step at a time, in a straight line: clone (the addon), the caller's
// confinement of the cloned child (a systemd scope), the plan, then each frame the init sends
// until it is ready. Hooks and the seccomp agent run here, in TypeScript, between frames; nothing
// calls back into JavaScript from C++. Any failure kills and reaps the init.
import { SkiffError } from '../errors';
import { FRAME } from '../linux/frames';
import { log } from '../log';
import { native, type SpawnRequest } from '../native';

export interface LaunchSteps {
  /** Right after the clone, before the init runs anything of its own. */
  cloned?(pid: number): void;
  /** prestart and createRuntime, while the init waits before pivot_root; returns the reply frame. */
  hooks?(pid: number): string;
  /** The seccomp notify fd, for the agent at listenerPath (the fd is closed afterwards). */
  seccompFd?(fd: number, pid: number): void;
}

/** The launched init, ready and waiting to be handed over (commitInit(sync)). */
export interface LaunchedInit {
  pid: number;
  sync: number;
  /** A trial create's report (check): the init has exited. */
  trial?: string;
}

export function launchInit(req: SpawnRequest, plan: string, userns: boolean, steps: LaunchSteps = {}): LaunchedInit {
  const n = native();
  const init = n.spawn(req);
  try {
    steps.cloned?.(init.pid);
    n.sendPlan(init.sync, plan, userns);
    for (;;) {
      const ev = n.nextEvent(init.sync, init.pid);
      switch (ev.type) {
        case FRAME.ready:
          return init;
        case FRAME.trial:
          return { ...init, trial: ev.report };
        case FRAME.warning:
          log('warning', ev.message);
          break;
        case FRAME.pid:
          init.pid = ev.pid;
          break;
        case FRAME.hooks:
          if (!steps.hooks) throw new SkiffError('container init asked for hooks nobody runs');
          n.reply(init.sync, steps.hooks(init.pid));
          break;
        case FRAME.seccompFd:
          try {
            if (!steps.seccompFd) throw new SkiffError('seccomp: a notify fd arrived but no listenerPath is set');
            steps.seccompFd(ev.fd, init.pid);
          } finally {
            n.closeFd(ev.fd);
          }
          break;
        case FRAME.error:
          n.closeFd(init.sync);
          init.sync = -1;
          throw new SkiffError(ev.message, { step: ev.step, errno: ev.errno || undefined });
      }
    }
  } catch (err) {
    if (init.sync >= 0) n.abandonInit(init.sync, init.pid);
    throw err;
  }
}
