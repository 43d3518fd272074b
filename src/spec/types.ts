// Typed view of config.json (runtime-spec v1.3.0, Linux). The JSON Schemas in schemas/ are the
// authority: a document reaches these types only after it passed validation, so the types may be
// narrower than "any JSON" without runtime checks.

export interface Spec {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Root {
  path: string;
  readonly?: boolean;
}

export interface Mount {
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  selinuxLabel?: string;
  oomScoreAdj?: number;
  ioPriority?: { class: string; priority?: number };
  scheduler?: Record<string, unknown>;
  execCPUAffinity?: { initial?: string; final?: string };
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface Namespace {
  type: NamespaceType;
  path?: string;
}

export interface Device {
  type: string;
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceCgroupRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface Resources {
  devices?: DeviceCgroupRule[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    kernel?: number;
    kernelTCP?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
    useHierarchy?: boolean;
    checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    burst?: number;
    period?: number;
    realtimeRuntime?: number;
    realtimePeriod?: number;
    cpus?: string;
    mems?: string;
    idle?: number;
  };
  pids?: { limit: number };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: Record<string, unknown>;
  rdma?: Record<string, unknown>;
  unified?: Record<string, string>;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: Record<string, unknown>;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: string; flags?: string[] };
  intelRdt?: Record<string, unknown>;
  memoryPolicy?: Record<string, unknown>;
  netDevices?: Record<string, unknown>;
}

/** The state of a container as runtime.md defines it (what `skiff state` prints). */
export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
