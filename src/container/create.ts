// The create operation (runtime.md "create"), shared by `create` and `run`.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { mountsUnder, readMountInfo, undoHostMounts } from '../linux/host-mounts';
import { cgroupDriver } from '../cgroups/driver';
import { checkExistingCgroups, planCgroupCreation, resolveCgroupPaths, v1ProcsFiles, type CgroupPaths } from '../cgroups/manager';
import { warmCgroupMigration } from '../cgroups/migration-warmup';
import { rootlessCgroupPaths } from '../cgroups/rootless';
import { checkUnprivileged, euid, inUserNamespace } from '../rootless';
import { SYSTEMD_NOT_RUNNING, parseSystemdPath, systemdBooted, systemdCgroupPaths } from '../cgroups/systemd';
import { SkiffError } from '../errors';
import { faultPoint } from '../fault';
import { runtimeBoundingSet } from '../linux/own-capabilities';
import { checkAppArmor, selinuxEnabled } from '../linux/lsm';
import { checkNotify, seccompFdSender } from '../linux/seccomp-agent';
import { serializePlan } from '../linux/launch-plan';
import { buildPlan, unsupportedFields } from '../linux/plan';
import { runHooks } from './hooks';
import { checkNamespacePaths, mountSourceFds, openMountSources } from './mount-sources';
import { launchInit } from './launch';
import { FRAME } from '../linux/frames';
import { CLONE } from '../linux/namespaces';
import { ociState } from '../state/status';
import { log, timing } from '../log';
import { native } from '../native';
import { initPath } from '../paths';
import type { Spec } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { procStat } from '../state/status';
import { Store, checkId, writeFileAtomic, type DirLock } from '../state/store';

export interface CreateOptions {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** runc's --pidfd-socket: a pidfd of the init goes there. */
  pidfdSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  systemdCgroup?: boolean;
  /** --rootless: a cgroup skiff may not make means none (src/cgroups/rootless.ts). */
  rootless?: boolean;
  /** skiff's own end of a console socket pair (the terminal relay of `run -t`). */
  consoleFd?: number;
  /**
   * `run` starts what it creates, so it needs `process`. `create` does not: config.md requires it
   * only when start is called, and `start` refuses a container without one.
   */
  requireProcess?: boolean;
}

/** The caller's user name from /etc/passwd (runc's "owner"), else the numeric uid. */
export function ownerName(): string {
  const uid = process.getuid?.() ?? 0;
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {
    // no readable passwd file
  }
  return String(uid);
}

function loadSpec(bundle: string, systemdCgroup: boolean, requireProcess: boolean): Spec {
  // The validator is only loaded by the commands that read a config.
  const { loadConfig, configWarnings, formatProblems } = require('../spec/validate') as typeof import('../spec/validate');
  const doc = loadConfig(bundle, { requireProcess, systemdCgroup });
  for (const w of formatProblems('config.json', configWarnings(doc))) log('warning', w);
  return doc as Spec;
}

function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0) return 0;
  const pid = process.env.LISTEN_PID;
  return pid === undefined || Number(pid) === process.pid ? n : 0;
}

/**
 * linux.netDevices, right after the clone (before the init runs): each host device into the
 * container's network namespace, its new one or the one it joins. Not moved back on delete
 * (config-linux.md forbids it: the kernel returns physical devices when the namespace goes).
 */
export function moveNetDevices(spec: Spec, pid: number): void {
  const devices = Object.entries((spec.linux?.netDevices ?? {}) as Record<string, { name?: string }>);
  if (!devices.length) return;
  const net = spec.linux?.namespaces?.find((n) => n.type === 'network');
  const nsPath = net?.path ?? `/proc/${pid}/ns/net`;
  for (const [hostName, d] of devices) native().moveNetDevice(hostName, d?.name ?? '', nsPath);
}

/** Rootless --systemd-cgroup: a scope of the user's own systemd instance, below its cgroup. */
function userScopePaths(cgroupsPath: string | undefined, id: string): CgroupPaths {
  const sd = native().systemd;
  sd.setUserManager(true);
  let root: string;
  try {
    root = sd.managerProperty('ControlGroup');
  } catch (err) {
    throw new SkiffError(`--systemd-cgroup as uid ${euid()}: cannot reach the user's systemd instance: ${SkiffError.from(err).message}`);
  }
  return systemdCgroupPaths(parseSystemdPath(cgroupsPath, id, { user: true }), root);
}

export function resolveRootfs(bundle: string, spec: Spec): string {
  const root = path.resolve(bundle, spec.root?.path ?? 'rootfs');
  let real: string;
  try {
    real = fs.realpathSync(root);
  } catch {
    throw new SkiffError(`rootfs (root.path in config.json) ${root}: no such file or directory`);
  }
  if (!fs.statSync(real).isDirectory()) throw new SkiffError(`rootfs (root.path in config.json) ${root}: not a directory`);
  return real;
}

/**
 * config.json loaded, validated and checked against this host: everything create refuses before
 * it claims the id (restore runs the same checks).
 */
export function loadCheckedSpec(bundle: string, systemdCgroup: boolean, requireProcess: boolean): { spec: Spec; rootfs: string } {
  const spec = loadSpec(bundle, systemdCgroup, requireProcess);
  timing('config loaded and validated');
  if (systemdCgroup && !systemdBooted()) throw new SkiffError(SYSTEMD_NOT_RUNNING);
  const lsm = checkAppArmor(spec.process?.apparmorProfile, 'config.json: /process/apparmorProfile');
  if (lsm) throw new SkiffError(lsm);
  const notify = checkNotify(spec.linux?.seccomp);
  if (notify) throw new SkiffError(notify);
  const selinux = selinuxEnabled();
  const unsupported = unsupportedFields(spec, { selinux });
  if (!selinux) {
    if (spec.process?.selinuxLabel) log('warning', 'config.json: /process/selinuxLabel: ignored: SELinux is not enabled on this host');
    if (spec.linux?.mountLabel) log('warning', 'config.json: /linux/mountLabel: ignored: SELinux is not enabled on this host');
  }
  // config-linux.md: "Currently no flag values are supported"; runc warns and goes on, so does skiff.
  const personalityFlags = spec.linux?.personality?.flags ?? [];
  if (personalityFlags.length)
    log(
      'warning',
      `config.json: /linux/personality/flags: ignored (${personalityFlags.join(', ')}): runtime-spec 1.3.0 defines no personality flags`,
    );
  if (unsupported.length) throw new SkiffError(unsupported.map((u) => `config.json: ${u.path}: ${u.message}`).join('\n'));
  checkUnprivileged(spec);
  checkNamespacePaths(spec);
  const rootfs = resolveRootfs(bundle, spec);
  return { spec, rootfs };
}

/** The container's cgroups: a systemd scope (the system's or the user's), or directories; none when rootless cannot make any. */
export function containerCgroups(spec: Spec, id: string, systemd: boolean, rootless: boolean): CgroupPaths {
  let cgroup = systemd
    ? rootless
      ? userScopePaths(spec.linux?.cgroupsPath, id)
      : systemdCgroupPaths(parseSystemdPath(spec.linux?.cgroupsPath, id))
    : resolveCgroupPaths(spec.linux?.cgroupsPath, id);
  if (rootless && !systemd) {
    cgroup = rootlessCgroupPaths(cgroup);
    if (cgroup.none) log('debug', `rootless: no cgroup: ${cgroup.none}`);
  }
  return cgroup;
}

/** The state a create (or restore) records before anything exists: "creating", by this process. */
export function creatingState(spec: Spec, id: string, bundle: string, rootfs: string): ContainerState {
  return {
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    initStartTime: '',
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: ownerName(),
    annotations: spec.annotations,
    cgroup: { mode: 'unified', v1: {} },
    hooks: spec.hooks,
    process: spec.process,
    seccomp: spec.linux?.seccomp,
    privatePidns: !!spec.linux?.namespaces?.some((n) => n.type === 'pid' && !n.path),
    hostMounts: spec.linux?.namespaces?.some((n) => n.type === 'mount')
      ? undefined
      : { before: mountsUnder(readMountInfo(), rootfs).map((m) => m.id) },
    phase: 'creating',
    creatorPid: process.pid,
    creatorStartTime: procStat(process.pid)?.startTime,
  };
}

/**
 * The container's cgroup paths, checked against what is already there and recorded with the state
 * before any directory exists: a create (or restore) killed from here on leaves what delete needs.
 */
export function recordCgroups(store: Store, state: ContainerState, spec: Spec, systemd: boolean, rootless: boolean): CgroupPaths {
  const cgroup = containerCgroups(spec, state.id, systemd, rootless);
  state.cgroup = cgroup;
  const existing = checkExistingCgroups(cgroup);
  if (existing.error) throw new SkiffError(existing.error);
  for (const w of existing.warnings) log('warning', w);
  planCgroupCreation(cgroup);
  store.write(state);
  return cgroup;
}

/** The container's init is there: its pid and start time recorded, the state "created" (status says running once there is no fifo). */
export function recordInit(store: Store, state: ContainerState, pid: number): void {
  state.pid = pid;
  state.initStartTime = procStat(pid)?.startTime ?? '';
  state.phase = 'created';
  delete state.creatorPid;
  delete state.creatorStartTime;
  store.write(state);
}

/**
 * Undoes a create or restore that failed: the init killed, the cgroups removed (only a scope this
 * call started: a name in use is another container's), the mounts it left in skiff's namespace
 * unmounted, the state removed. `cgroupTasks`: kill every task in the cgroups first (CRIU may
 * leave restored ones there). The first cgroup removal is synchronous; retries (tasks still
 * exiting) finish before skiff exits.
 */
export function undoCreate(
  store: Store,
  state: ContainerState,
  lock: DirLock,
  o: { cgroup?: CgroupPaths; scopeStarted: boolean; cgroupTasks: boolean },
): void {
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  if (state.pid > 0) kill(state.pid);
  if (o.cgroup) {
    const cg = cgroupDriver(o.cgroup);
    if (o.cgroupTasks && cg.kind !== 'none') cg.everyPid().forEach(kill);
    void cg.remove({ scope: o.scopeStarted }).then((problems) => problems.forEach((p) => log('warning', p)));
  }
  if (state.hostMounts) for (const p of undoHostMounts(state.rootfs, state.hostMounts.before, native().unmount)) log('warning', p);
  store.remove(state.id, lock);
}

export function createContainer(store: Store, opts: CreateOptions): ContainerState {
  const id = checkId(opts.id);
  // First: it overlaps a kernel wait of ~20 ms with the validation and the plan below.
  if (!opts.systemdCgroup && !opts.rootless) warmCgroupMigration();
  timing('addon loaded, cgroup warm-up started');
  const bundle = path.resolve(opts.bundle ?? '.');
  if (!fs.existsSync(bundle)) throw new SkiffError(`bundle ${bundle}: no such file or directory`);
  const { spec, rootfs } = loadCheckedSpec(bundle, !!opts.systemdCgroup, !!opts.requireProcess);
  const systemd = !!opts.systemdCgroup;
  const proc = spec.process;
  if (proc?.terminal && !opts.consoleSocket && opts.consoleFd === undefined)
    throw new SkiffError('process.terminal is true: a console socket is required (--console-socket)');
  // Socket activation, as runc: fds systemd passed to skiff (LISTEN_FDS, for this pid) come
  // first, then --preserve-fds; the process sees LISTEN_FDS and LISTEN_PID=1.
  const listen = listenFds();
  if (listen > 0 && proc)
    proc.env = [...(proc.env ?? []).filter((e) => !/^LISTEN_(FDS|PID)=/.test(e)), `LISTEN_FDS=${listen}`, 'LISTEN_PID=1'];
  const preserve = listen + (opts.preserveFds ?? 0);
  for (let fd = 3; fd < 3 + preserve; fd++) {
    try {
      fs.fstatSync(fd);
    } catch {
      throw new SkiffError(`--preserve-fds=${opts.preserveFds ?? 0}${listen ? ` (after LISTEN_FDS=${listen})` : ''}: fd ${fd} is not open`);
    }
  }

  const { dir, lock } = store.claim(id);
  timing('id claimed');
  faultPoint('claimed');
  const state = creatingState(spec, id, bundle, rootfs);
  const fds: number[] = [];
  let cgroup: CgroupPaths | undefined;
  let scopeStarted = false;
  let sync = -1;
  try {
    cgroup = recordCgroups(store, state, spec, systemd, !!opts.rootless);
    timing('state recorded');
    faultPoint('state-recorded');
    // The fifo, the console and the plan come before the cgroup directories: a mkdir waits for
    // the cgroup migration warm-up (cgroups/migration-warmup.ts), so do what does not need them first.
    const n = native();
    const fifo = path.join(dir, 'exec.fifo');
    n.mkfifo(fifo, 0o622);
    const fifoFd = n.openPath(fifo);
    fds.push(fifoFd);
    let consoleFd = -1;
    if (opts.consoleSocket && proc?.terminal) {
      consoleFd = n.connectUnix(path.resolve(opts.consoleSocket));
      fds.push(consoleFd);
    } else if (opts.consoleFd !== undefined && proc?.terminal) {
      consoleFd = opts.consoleFd;
    }
    const plan = buildPlan({
      spec,
      bundle,
      rootfs,
      cgroup,
      noPivot: !!opts.noPivot,
      keyring: opts.noNewKeyring ? undefined : id,
      fds: { fifo: fifoFd, console: consoleFd, preserve },
      runtimeBounding: runtimeBoundingSet(),
      runtimeEnv: Object.entries(process.env).map(([k, v]) => `${k}=${v}`),
      inUserns: inUserNamespace(),
    });
    fds.push(...openMountSources(plan, spec));
    // Unknown names were reported with the config's warnings already.
    for (const w of plan.warnings) if (w.kind !== 'unknown') log('warning', `config.json: ${w.message}`);
    timing('launch plan built');
    // With systemd, only the v1 hierarchies systemd leaves alone (cpuset, freezer, …): its own
    // come with the scope, which needs the init's pid.
    const cg = cgroupDriver(cgroup);
    cg.create();
    timing('cgroups created');
    faultPoint('cgroups-created');
    const resources = spec.linux?.resources;
    if (!systemd) cg.apply(resources);
    timing('resources applied');
    faultPoint('resources-applied');
    let cgroupFd: number | undefined;
    if (cgroup.unified && !systemd) {
      cgroupFd = n.openDir(cgroup.unified);
      fds.push(cgroupFd);
    }
    const keepFds = [fifoFd, ...(consoleFd >= 0 ? [consoleFd] : []), ...mountSourceFds(plan)];
    for (let fd = 3; fd < 3 + preserve; fd++) keepFds.push(fd);
    const spawned = launchInit(
      {
        initPath: initPath(),
        cloneFlags: plan.namespaces.cloneFlags,
        cgroupFd,
        pidnsPath: plan.namespaces.pidnsPath,
        uidMap: plan.uidMap,
        gidMap: plan.gidMap,
        cgroupProcs: v1ProcsFiles(cgroup, true),
        keepFds,
      },
      serializePlan(plan.init),
      (plan.namespaces.cloneFlags & CLONE.NEWUSER) !== 0 && !!plan.uidMap,
      {
        cloned: (pid) => {
          moveNetDevices(spec, pid);
          if (systemd) {
            cg.attach(id, pid, resources);
            scopeStarted = true;
            timing('systemd scope started');
            cg.apply(resources);
          }
          faultPoint('cloned');
        },
        seccompFd: seccompFdSender(spec.linux?.seccomp, (pid) => ociState({ ...state, pid }, 'creating')),
        hooks: (pid) => {
          const creating = ociState({ ...state, pid }, 'creating');
          faultPoint('hooks');
          for (const kind of ['prestart', 'createRuntime'] as const) {
            const failed = runHooks(kind, spec.hooks?.[kind], creating);
            if (failed) throw new SkiffError(failed, { step: 'hooks' });
          }
          return JSON.stringify({
            type: FRAME.continue,
            state: JSON.stringify(creating),
            startState: JSON.stringify(ociState({ ...state, pid }, 'running')),
          });
        },
      },
    );
    sync = spawned.sync;
    const pid = spawned.pid;
    timing('container init ready');
    faultPoint('ready');
    recordInit(store, state, pid);
    faultPoint('state-written');
    if (opts.pidFile) writeFileAtomic(path.resolve(opts.pidFile), String(pid));
    if (opts.pidfdSocket) n.sendPidfd(path.resolve(opts.pidfdSocket), pid, 'standard');
    faultPoint('pid-file-written');
    // Only now, with everything recorded, does the init stop dying with this process.
    const s = sync;
    sync = -1;
    n.commitInit(s);
    timing('state written');
    faultPoint('committed');
    return state;
  } catch (err) {
    // A failed create leaves nothing behind: no process (the addon reaped it), no cgroup, no state.
    undoCreate(store, state, lock, { cgroup, scopeStarted, cgroupTasks: false });
    throw SkiffError.from(err, `create ${id}`);
  } finally {
    if (sync >= 0) native().closeFd(sync);
    for (const fd of fds) native().closeFd(fd);
    lock.release();
  }
}
