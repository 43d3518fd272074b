// check's trial create: create's own steps, for real, in throwaway namespaces, so `check` answers
// with the code `create` runs (path resolution with openat2 inside the root, the mounts, devices
// and cwd, the user switch, the lookup of process.args[0]) instead of a model of it.
//
// What keeps it free of side effects: every namespace but a joined user namespace is new (a
// joined one is joined, so ids mean what they will mean); the init covers the rootfs with an
// overlay whose upper layer is a tmpfs of its own mount namespace (addon/init/trial.cc); bind
// mounts are made read-only, so nothing is created in a host directory; no cgroup, no hooks, no
// sysctls, no network devices, no seccomp filter loaded, no console. The init reports and exits.
import { resolveCgroupPaths } from '../cgroups/manager';
import { SkiffError } from '../errors';
import { MS } from '../linux/mount-options';
import { runtimeBoundingSet } from '../linux/own-capabilities';
import { serializePlan } from '../linux/launch-plan';
import { CLONE } from '../linux/namespaces';
import { buildPlan, type LaunchPlan } from '../linux/plan';
import { native } from '../native';
import { initPath } from '../paths';
import { checkUnprivileged, inUserNamespace } from '../rootless';
import type { Spec } from '../spec/types';
import { launchInit } from './launch';
import { checkNamespacePaths, mountSourceFds, openMountSources } from './mount-sources';

/** One path as the trial's process saw it (after pivot_root, as the container's user). */
export interface TrialPath {
  path: string;
  /** 0: executable; else why not (EACCES also for a directory). */
  errno: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** realpath inside the container. */
  real?: string;
  /** readlink, when it is a symlink. */
  link?: string;
}

export interface TrialReport {
  exec: {
    name: string;
    /** The PATH searched; "" when args[0] has a slash. */
    searchPath: string;
    /** The executable found, or the candidate that failed (path "" when none exists). */
    found: TrialPath;
    /** The first candidate that is a symlink leading nowhere. */
    dangling?: TrialPath;
  };
  cwd: string;
  cwdCreated: boolean;
  /** The process's uid in its user namespace. */
  uid: number;
  startContainer: TrialPath[];
}

export type TrialOutcome =
  { kind: 'report'; report: TrialReport } | { kind: 'failed'; step: string; errno: number; message: string; readonlyBinds: string[] };

/**
 * The spec the trial builds: the same container, in namespaces of its own. Pure; the plan built
 * from it is then marked as a trial (trialPlan).
 */
export function trialSpec(spec: Spec): Spec {
  const copy = structuredClone(spec);
  const linux = (copy.linux ??= {});
  const namespaces = (linux.namespaces ?? []).map((ns) => (ns.type === 'user' ? ns : { type: ns.type }));
  if (!namespaces.some((ns) => ns.type === 'mount')) namespaces.push({ type: 'mount' });
  linux.namespaces = namespaces;
  delete linux.sysctl;
  delete linux.netDevices;
  delete linux.cgroupsPath;
  // startContainer hooks stay: the trial checks that their paths resolve in the container.
  if (copy.hooks) copy.hooks = copy.hooks.startContainer ? { startContainer: copy.hooks.startContainer } : {};
  if (copy.process) copy.process.terminal = false;
  return copy;
}

/** Marks a plan built from trialSpec as a trial; returns the destinations of the binds made read-only. */
export function trialPlan(plan: LaunchPlan): string[] {
  const init = plan.init;
  init.trial = true;
  init.hooksSync = false;
  init.keyring = null;
  // The container's own cgroup directories do not exist for a trial.
  init.mounts = init.mounts.filter((m) => !(m.cgroup && m.bind));
  const readonly: string[] = [];
  for (const m of init.mounts) {
    if (!m.bind || m.flags & MS.RDONLY) continue;
    m.flags |= MS.RDONLY;
    readonly.push(m.destination);
  }
  return readonly;
}

/** Runs the trial; throws a SkiffError only when it cannot be started at all. */
export function trialCreate(spec: Spec, bundle: string, rootfs: string): TrialOutcome {
  checkUnprivileged(spec);
  const tspec = trialSpec(spec);
  checkNamespacePaths(tspec);
  const plan = buildPlan({
    spec: tspec,
    bundle,
    rootfs,
    cgroup: resolveCgroupPaths(undefined, 'skiff-check'),
    noPivot: false,
    fds: { fifo: -1, console: -1, preserve: 0 },
    runtimeBounding: runtimeBoundingSet(),
    runtimeEnv: [],
    inUserns: inUserNamespace(),
  });
  const readonlyBinds = trialPlan(plan);
  const n = native();
  const fds = openMountSources(plan, tspec);
  try {
    const init = launchInit(
      {
        initPath: initPath(),
        cloneFlags: plan.namespaces.cloneFlags,
        pidnsPath: plan.namespaces.pidnsPath,
        uidMap: plan.uidMap,
        gidMap: plan.gidMap,
        cgroupProcs: [],
        keepFds: mountSourceFds(plan),
      },
      serializePlan(plan.init),
      (plan.namespaces.cloneFlags & CLONE.NEWUSER) !== 0 && !!plan.uidMap,
    );
    if (init.trial === undefined) {
      // A trial init never gets to "ready": it reports first. Reaching it means the plan was not one.
      n.abandonInit(init.sync, init.pid);
      throw new SkiffError('trial create: the init did not run as a trial');
    }
    n.closeFd(init.sync);
    return { kind: 'report', report: JSON.parse(init.trial) as TrialReport };
  } catch (err) {
    const e = SkiffError.from(err);
    if (e.step === undefined) throw e;
    return { kind: 'failed', step: e.step, errno: e.errno ?? 0, message: e.message, readonlyBinds };
  } finally {
    for (const fd of fds) n.closeFd(fd);
  }
}
