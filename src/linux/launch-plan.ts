// The contract between skiff and skiff-init: what the init reads, key by key. One type for the
// create plan and one for exec; schemas/launch-plan.schema.json says the same for the unit test
// that checks buildPlan's output against it, and the init's reader (addon/common/json.h, `at`)
// fails naming any required key that is missing, so a key misspelt on either side fails a test
// instead of quietly reading as false, 0 or "".
//
// Integers: every field is a JSON integer. seccomp argument values, rlimits and time offsets may
// be bigints (config.json values above 2^53 are kept exact: spec/exact-integers.ts) and are
// written as plain digits by serializePlan; the init parses integers from their text.

import { stringifyExact } from '../spec/exact-integers';

export interface PlanHook {
  path: string;
  args: string[];
  env: string[];
  /** Seconds; null for none. */
  timeout: number | null;
}

export interface PlanUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  umask: number | null;
}

export interface PlanRlimit {
  type: string;
  resource: number;
  /** -1 is RLIM_INFINITY. */
  soft: number | bigint;
  hard: number | bigint;
}

export interface PlanScheduler {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  runtime: number;
  deadline: number;
  period: number;
}

export interface PlanCapabilities {
  bounding: number;
  effective: number;
  inheritable: number;
  permitted: number;
  ambient: number;
}

export interface PlanProcess {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  consoleSize: { height: number; width: number } | null;
  user: PlanUser;
  rlimits: PlanRlimit[];
  oomScoreAdj: number | null;
  noNewPrivileges: boolean;
  apparmorProfile: string | null;
  scheduler: PlanScheduler | null;
  cpuAffinityInitial: number[] | null;
  cpuAffinityFinal: number[] | null;
  ioPriority: { class: number; priority: number } | null;
  caps: PlanCapabilities;
}

export interface PlanSeccompArg {
  index: number;
  value: number | bigint;
  valueTwo: number | bigint;
  op: string;
}

export interface PlanSeccomp {
  defaultAction: string;
  defaultErrnoRet: number | null;
  architectures: string[];
  flags: string[];
  syscalls: { names: string[]; action: string; errnoRet: number | null; args: PlanSeccompArg[] }[];
}

export interface PlanMount {
  destination: string;
  source: string;
  /** "" for a bind; "remount" for a flags-only remount of what is already there. */
  type: string;
  flags: number;
  data: string;
  bind: boolean;
  copyUp: boolean;
  propagation: number[];
  attrSet: number;
  attrClr: number;
  /** With a new user namespace: the source opened by skiff (open_tree), attached by the init. */
  sourceFd?: number;
  /** One of the container's own cgroup directories (made after the plan, and world-readable). */
  cgroup: boolean;
  /**
   * For skiff, not the init: an idmapped bind (config.md idmap, ridmap, uidMappings). skiff makes
   * the idmapped copy (sourceFd); maps null: the container's user namespace's. configIndex: its
   * place in config.json's mounts, for errors.
   */
  idmap: { recursive: boolean; uidMap: string | null; gidMap: string | null; configIndex: number } | null;
}

export interface PlanDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface PlanJoin {
  type: string;
  flag: number;
  path: string;
}

export interface PlanFds {
  /** The exec fifo (O_PATH), -1 for exec. */
  fifo: number;
  /** The console socket, -1 without a terminal. */
  console: number;
  /** How many fds above stdio reach the process. */
  preserve: number;
}

export interface CreatePlan {
  mode: 'create';
  rootfs: string;
  readonlyRoot: boolean;
  /** Flags of a read-only /dev tmpfs, applied after its nodes are made; 0 if it is writable. */
  readonlyDevFlags: number;
  /** false: the container shares skiff's mount namespace (chroot, / left alone). */
  ownMountns: boolean;
  rootPropagation: number;
  rootPropagationAfter: number;
  noPivot: boolean;
  keyring: string | null;
  join: PlanJoin[];
  unshareFlags: number;
  newCgroupns: boolean;
  newTimens: boolean;
  /** A new network namespace: lo is brought up in it (as runc does). */
  loopbackUp: boolean;
  /** Fork into a new pid namespace after joining the user namespace (the init's pid changes). */
  newPidnsInJoinedUserns: boolean;
  timeOffsets: { clock: string; secs: number | bigint; nanosecs: number }[];
  hostname: string | null;
  domainname: string | null;
  mounts: PlanMount[];
  devices: PlanDevice[];
  bindDevices: boolean;
  devSymlinks: boolean;
  devCore: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Record<string, string>;
  seccomp: PlanSeccomp | null;
  personality: number | null;
  memoryPolicy: { mode: number; nodes: number[]; flags: number } | null;
  hooksSync: boolean;
  hooks: { createContainer: PlanHook[]; startContainer: PlanHook[] };
  /** null: config.json has no process (create only; start refuses it). */
  process: PlanProcess | null;
  fds: PlanFds;
  /**
   * `skiff check`'s trial create (src/container/trial.ts): on a throwaway overlay of the rootfs,
   * the init reports what it found instead of waiting for start.
   */
  trial: boolean;
}

export interface ExecPlan {
  mode: 'exec';
  join: PlanJoin[];
  /** The container's root to chroot into when it shares skiff's mount namespace. */
  root: string | null;
  process: PlanProcess;
  seccomp: PlanSeccomp | null;
  fds: PlanFds;
}

export type InitPlan = CreatePlan | ExecPlan;

/** JSON for the init: bigints as plain digits (JSON.stringify refuses them). */
export function serializePlan(plan: InitPlan): string {
  return stringifyExact(plan);
}
