// The typed face of the addon: the only module through which TypeScript reaches the kernel.
import { SkiffError, messageOf } from './errors';
import { addonPath } from './paths';

export interface SpawnRequest {
  initPath: string;
  /** CLONE_NEW* flags for the namespaces made by clone3 itself. */
  cloneFlags: number;
  /** A cgroup2 directory fd: the init is born in it (CLONE_INTO_CGROUP). */
  cgroupFd?: number;
  /** A pid namespace to be born in (joined around the clone). */
  pidnsPath?: string;
  uidMap?: string;
  gidMap?: string;
  /** cgroup.procs files (v1 hierarchies) the init is added to before it runs. */
  cgroupProcs?: string[];
  /** fds that must survive into skiff-init (exec fifo, console socket, preserved fds). */
  keepFds?: number[];
}

/** What skiff-init says next on the sync socket (addon/common/frames.h; src/linux/frames.ts). */
export type InitEvent =
  | { type: 'ready' }
  | { type: 'hooks' }
  | { type: 'warning'; message: string }
  | { type: 'seccomp-fd'; fd: number }
  /** The init forked into a new pid namespace (inside a joined user namespace): this is it now. */
  | { type: 'pid'; pid: number }
  /** check's trial create found this (JSON, addon/init/trial.cc) and exited (reaped). */
  | { type: 'trial'; report: string }
  /** The init is gone (reaped): its error frame, or why it died. */
  | { type: 'error'; step: string; errno: number; message: string };

/** [name, D-Bus signature, value] of a unit property. */
export type SystemdProperty = [string, string, unknown];

/** systemd's D-Bus API (sd-bus through libsystemd, opened on first use). Errors carry the D-Bus error name in `code`. */
export interface SystemdBinding {
  /** StartTransientUnit(unit, "fail", properties) and wait for its job. */
  startTransientUnit(unit: string, properties: SystemdProperty[]): void;
  /** StopUnit(unit, "replace"), wait, ResetFailedUnit; false when systemd had no such unit. */
  stopUnit(unit: string): boolean;
  resetFailedUnit(unit: string): void;
  /** SetUnitProperties(unit, runtime=true, properties). */
  setUnitProperties(unit: string, properties: SystemdProperty[]): void;
  /** A string property of a loaded unit; undefined when there is no such unit. */
  unitProperty(unit: string, iface: string, property: string): string | undefined;
  managerProperty(property: string): string;
  /** Talk to the user's own systemd instance (rootless) rather than the system's, from now on. */
  setUserManager(user: boolean): void;
}

export interface WaitStatus {
  code: number | null;
  signal: number | null;
}

interface Binding {
  /**
   * Clones skiff-init's child into its namespaces and cgroups (maps written); it waits for
   * sendPlan. Until `commitInit(sync)` the init dies with skiff (or when sync is closed): a
   * process nobody recorded never outlives a killed create or exec. src/container/launch.ts
   * drives the rest.
   */
  spawn(req: SpawnRequest): { pid: number; sync: number };
  /** "go" (as root of a new user namespace when `userns`) and the launch plan. */
  sendPlan(sync: number, plan: string, userns: boolean): void;
  /** Blocks for the init's next frame; an "error" event means the init is gone and reaped. */
  nextEvent(sync: number, pid: number): InitEvent;
  /** skiff's answer to a "hooks" event. */
  reply(sync: number, frame: string): void;
  /** Gives up a launch before the handover: kills and reaps the init, closes sync. */
  abandonInit(sync: number, pid: number): void;
  /** Hands a ready init over (after its state and pid file are written); closes sync. */
  commitInit(sync: number): void;
  /** An exclusive flock(2) on an open fd; false when `wait` is false and the lock is held elsewhere. */
  flock(fd: number, wait: boolean): boolean;
  /** Writes skiff's own pid into a cgroup.procs (its own cgroup) on a thread: see cgroups/migration-warmup.ts. */
  warmCgroupMigration(procsFile: string): void;
  startFifo(path: string, pid: number): void;
  waitPid(pid: number): Promise<WaitStatus>;
  openDir(path: string): number;
  mkfifo(path: string, mode: number): void;
  openPath(path: string): number;
  /** The hook runner skiff-init uses too (addon/common/hook-runner.h): "" or the failure. */
  runHook(kind: string, hook: { path: string; args: string[]; env: string[]; timeout: number | null }, state: string): string;
  /**
   * open_tree(OPEN_TREE_CLONE): a detached copy of the mount at path, for the init to attach;
   * idmapped (MOUNT_ATTR_IDMAP, recursively with idmapRecursive) with the user namespace usernsFd.
   */
  openTree(path: string, recursive: boolean, usernsFd?: number, idmapRecursive?: boolean): number;
  /** runc's --pidfd-socket: a pidfd of pid to the unix socket at path (payload: "standard" or "setns"). */
  sendPidfd(path: string, pid: number, kind: 'standard' | 'setns'): void;
  /** linux.netDevices: move a host device into the network namespace at netnsPath, renamed, addresses kept, up. */
  moveNetDevice(hostName: string, newName: string, netnsPath: string): void;
  /** PR_SET_CHILD_SUBREAPER, for `run` (its init may be a grandchild). */
  setChildSubreaper(): void;
  /** A new user namespace with these maps (its fd), for an idmapped mount's mapping. */
  makeUserns(uidMap: string, gidMap: string): number;
  /** Lazily unmounts the mount `mountId` at `path` (no symlink followed); false if it is not there. */
  unmount(path: string, mountId: number): boolean;
  connectUnix(path: string): number;
  closeFd(fd: number): void;
  socketPair(): [number, number];
  recvFd(sock: number): number;
  makeRaw(fd: number): Buffer;
  restoreTermios(fd: number, saved: Buffer): void;
  setWinsize(fd: number, rows: number, cols: number): void;
  /** payload with fd attached, to the unix socket at socketPath: the seccomp agent's (default) or a console socket. */
  sendFdTo(socketPath: string, payload: string, fd: number, purpose?: 'seccomp' | 'console'): void;
  /** A SOCK_SEQPACKET pair for `criu swrk`: [skiff's end, criu's end] (addon/criu.cc). */
  criuSocketPair(): [number, number];
  /** One CRIU request (a serialized criu_req). */
  criuSend(sock: number, message: Buffer): void;
  /** The next CRIU response and the fd attached to it (-1: none); empty data: criu closed its end. */
  criuRecv(sock: number): { data: Buffer; fd: number };
  /** mount --rbind source target; the new mount's id (for unmount). */
  bindMount(source: string, target: string): number;
  /** Makes the missing components of path inside rootfs (the last one a file when isFile), no symlink leading out. */
  makeMountpoint(rootfs: string, path: string, isFile: boolean): void;
  systemd: SystemdBinding;
  attachDeviceFilter(cgroupDir: string, rules: { allow: boolean; type: string; major: number; minor: number; access: string }[]): void;
}

let binding: Binding | undefined;

/** Loaded on first use: commands that need no syscall (state, list, spec) never pay for it. */
export function native(): Binding {
  if (!binding) {
    const mod = { exports: {} as Binding };
    const file = addonPath();
    try {
      process.dlopen(mod, file);
    } catch (err) {
      throw new SkiffError(`cannot load skiff's native addon (${file}): ${messageOf(err)}`);
    }
    binding = mod.exports;
  }
  return binding;
}

/** Native errors carry the failing step and errno beside the message. */
export interface NativeError extends Error {
  step?: string;
  errno?: number;
}
