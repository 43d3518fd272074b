// A container's status is computed, never trusted from disk: the init's pid plus its start time
// says whether it still lives; the exec fifo says whether `start` has happened.
import * as fs from 'node:fs';

import { cgroupDriver } from '../cgroups/driver';
import type { OciState, Status } from '../spec/types';
import type { ContainerState } from './container-state';

/** Field 22 (starttime) and field 3 (state) of /proc/<pid>/stat; undefined if gone. */
export function procStat(pid: number): { startTime: string; state: string } | undefined {
  if (!(pid > 0)) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields resume after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, startTime: rest[19]! };
}

/** True while the init is the process skiff started (not a zombie, not a reused pid). */
export function initAlive(s: ContainerState): boolean {
  const st = procStat(s.pid);
  return !!st && st.startTime === s.initStartTime && st.state !== 'Z' && st.state !== 'X';
}

/** True while the `skiff create` that records this container still runs. */
export function creatorAlive(s: ContainerState): boolean {
  if (!s.creatorPid) return false;
  const st = procStat(s.creatorPid);
  return !!st && st.state !== 'Z' && (s.creatorStartTime === undefined || st.startTime === s.creatorStartTime);
}

export function statusOf(s: ContainerState, fifoPath: string): Status {
  // A create that is still running says "creating"; one whose process died half-way (killed by
  // its caller, say) left a container that can only be deleted.
  if (s.phase === 'creating' || !s.pid) return creatorAlive(s) ? 'creating' : 'stopped';
  if (!initAlive(s)) return 'stopped';
  // runc lets a created container be paused too; frozen wins over created.
  if (cgroupDriver(s.cgroup, s).isFrozen()) return 'paused';
  if (fs.existsSync(fifoPath)) return 'created';
  return 'running';
}

/** The state document of runtime.md ("state" operation), plus runc's extra fields. */
export function ociState(s: ContainerState, status: Status): OciState & Record<string, unknown> {
  return {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    ...(s.annotations && Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
  };
}
