import type { CgroupPaths } from '../cgroups/manager';
import type { Hooks, Process } from '../spec/types';

/** What skiff keeps in <root>/<id>/state.json. The OCI state (what `state` prints) is derived. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  /** 0 while creating. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat at create time: tells a live init from a reused pid. */
  initStartTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  cgroup: CgroupPaths;
  hooks?: Hooks;
  /** config.json's process: the template for `exec` without --process. */
  process?: Process;
  /** linux.seccomp, applied to exec'd processes as to the init. */
  seccomp?: Record<string, unknown>;
  /** With its own pid namespace, killing the init kills every process of the container. */
  privatePidns: boolean;
  /**
   * No mount namespace of its own: its mounts are in skiff's namespace, under the rootfs. The ids
   * of the mounts there before the create began; delete unmounts every other one (linux/host-mounts.ts).
   */
  hostMounts?: { before: number[] };
  /** "creating" until the init reported ready. */
  phase: 'creating' | 'created';
  /** The `skiff create` process while creating: if it died, the create failed half-way. */
  creatorPid?: number;
  /** Its start time: a reused pid is not the creator. */
  creatorStartTime?: string;
}
