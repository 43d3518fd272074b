// restore: a container made anew (id, state, cgroups and limits, as create makes them) whose
// processes CRIU brings back from a checkpoint's images instead of skiff-init starting one. The
// restored init is a child of this process (rst_sibling), running, with no exec fifo: `start`
// has nothing to do for it. A failed restore leaves nothing behind, as a failed create.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { cgroupDriver } from '../cgroups/driver';
import { allDirs, type CgroupPaths } from '../cgroups/manager';
import { inheritStdio, restoreExtMounts, restoreNamespaces, externalMounts } from '../criu/options';
import { CRIU_REQ, type CriuOpts } from '../criu/rpc';
import { cgroupRoots, commonOpts, openCriuDirs, mountPlan, requireFeature, startCriu, type CriuFlags } from '../criu/request';
import { criuFailure, swrk } from '../criu/swrk';
import { SkiffError, fsErrorText, messageOf } from '../errors';
import { log, timing } from '../log';
import { native } from '../native';
import type { Spec } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { ociState } from '../state/status';
import { checkId, writeFileAtomic, type Store } from '../state/store';
import { DESCRIPTORS } from './checkpoint';
import { creatingState, loadCheckedSpec, recordCgroups, recordInit, undoCreate } from './create';
import { runHooks } from './hooks';

export interface RestoreOptions extends CriuFlags {
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  systemdCgroup?: boolean;
  rootless?: boolean;
}

/** Mount points create would have made: CRIU attaches the mounts where the images say, into the rootfs as it is. */
function makeMountpoints(rootfs: string, plan: ReturnType<typeof mountPlan>): void {
  // What is inside a tmpfs comes back with the tmpfs's contents (runc's rule).
  const tmpfs = plan.mounts.filter((m) => m.type === 'tmpfs').map((m) => m.destination);
  const inTmpfs = (d: string) => tmpfs.some((t) => d.startsWith(t === '/' ? '/' : `${t}/`));
  for (const m of plan.mounts) {
    if (m.type === 'remount' || m.cgroup || inTmpfs(m.destination) || m.destination === '/') continue;
    let isFile = false;
    if (m.bind) {
      try {
        isFile = !fs.statSync(m.source).isDirectory();
      } catch {
        throw new SkiffError(`config.json: mount ${m.destination}: source ${m.source}: no such file or directory`);
      }
    }
    native().makeMountpoint(rootfs, m.destination, isFile);
  }
}

/** The restored init's hooks that cannot run: their moment (create of a new process, start) never comes. */
function warnUnrunHooks(spec: Spec): void {
  for (const kind of ['createContainer', 'startContainer', 'poststart'] as const)
    if (spec.hooks?.[kind]?.length) log('warning', `config.json: /hooks/${kind}: not run by restore: the process is restored, not started`);
}

/** Moves CRIU into the container's cgroups: the restored tasks start below it. */
function enterCgroups(paths: CgroupPaths, pid: number): void {
  if (paths.none !== undefined) return;
  for (const dir of allDirs(paths)) {
    const procs = path.join(dir, 'cgroup.procs');
    try {
      fs.writeFileSync(procs, String(pid));
    } catch (err) {
      throw new SkiffError(`restore: move CRIU into ${procs}: ${fsErrorText(err)}`, { step: 'cgroup' });
    }
  }
}

export async function restoreContainer(store: Store, o: RestoreOptions): Promise<ContainerState> {
  const id = checkId(o.id);
  const bundle = path.resolve(o.bundle ?? '.');
  if (!fs.existsSync(bundle)) throw new SkiffError(`bundle ${bundle}: no such file or directory`);
  const systemd = !!o.systemdCgroup;
  const { spec, rootfs } = loadCheckedSpec(bundle, systemd, true);
  const proc = spec.process!;
  if (proc.terminal && !o.consoleSocket && !o.shellJob)
    throw new SkiffError('process.terminal is true: a console socket is required (--console-socket) for the restored terminal');
  if (spec.linux?.seccomp?.listenerPath)
    throw new SkiffError('config.json: /linux/seccomp/listenerPath: a seccomp agent cannot be handed a restored filter');
  const imageDir = path.resolve(o.imagePath ?? 'checkpoint');
  let descriptors: unknown;
  try {
    descriptors = JSON.parse(fs.readFileSync(path.join(imageDir, DESCRIPTORS), 'utf8'));
  } catch (err) {
    throw new SkiffError(`--image-path ${imageDir}: ${DESCRIPTORS}: ${fsErrorText(err)} (not a checkpoint of skiff or runc)`);
  }
  const stdio = inheritStdio(descriptors);
  const { criu, version } = await startCriu('restore', o.criu);
  if (o.lazyPages) await requireFeature(criu, version, 'lazyPages', '--lazy-pages');
  warnUnrunHooks(spec);
  timing('restore checked');

  const { lock } = store.claim(id);
  const state = creatingState(spec, id, bundle, rootfs);

  const fds: number[] = [];
  let cgroup: CgroupPaths | undefined;
  let scopeStarted = false;
  try {
    cgroup = recordCgroups(store, state, spec, systemd, !!o.rootless);
    const cg = cgroupDriver(cgroup);
    cg.create();
    const resources = spec.linux?.resources;
    if (!systemd) cg.apply(resources);
    timing('cgroups created');

    const plan = mountPlan(spec, bundle, rootfs, cgroup);
    makeMountpoints(rootfs, plan);
    // CRIU's root must be a mount point whose parent is not overmounted: the rootfs, bound here.
    const rootDir = store.criuRoot(id);
    fs.mkdirSync(rootDir, { mode: 0o755 });
    native().bindMount(rootfs, rootDir);

    const { imagesDirFd, workDirFd, logFile } = openCriuDirs(o, imageDir, false, 'restore.log', fds);
    // fds 0-2 are skiff's stdio, 3 the RPC socket: the namespaces to inherit follow.
    const ns = restoreNamespaces(spec, 4);
    const nsFds = ns.open.map((p) => {
      const fd = native().openPath(p);
      fds.push(fd);
      return fd;
    });
    const opts: CriuOpts = {
      ...commonOpts(o, imagesDirFd, workDirFd, path.basename(logFile), spec),
      evasiveDevices: true,
      rstSibling: true,
      root: rootDir,
      extMnt: restoreExtMounts(externalMounts(plan), plan.maskedPaths),
      inheritFd: [...stdio, ...ns.inherit],
      joinNs: ns.join,
    };
    let restoredPid = 0;
    const resp = await swrk(
      criu,
      { type: CRIU_REQ.restore, opts },
      {
        stdio: 'inherit',
        extraFds: nsFds,
        started: (criuPid) => {
          if (systemd) {
            cg.attach(id, criuPid, resources);
            scopeStarted = true;
            cg.apply(resources);
          } else enterCgroups(cgroup!, criuPid);
          opts.cgRoot = cgroupRoots(fs.readFileSync(`/proc/${criuPid}/cgroup`, 'utf8'));
        },
        notify: (script, pid, fd) => {
          if (script === 'setup-namespaces') {
            const creating = ociState({ ...state, pid }, 'creating');
            for (const kind of ['prestart', 'createRuntime'] as const) {
              const failed = runHooks(kind, spec.hooks?.[kind], creating);
              if (failed) throw new SkiffError(failed, { step: 'hooks' });
            }
          } else if (script === 'orphan-pts-master') {
            if (!o.consoleSocket) throw new SkiffError('restore: CRIU restored a terminal, but no --console-socket was given');
            native().sendFdTo(path.resolve(o.consoleSocket), '/dev/ptmx', fd, 'console');
          } else if (script === 'post-restore') {
            restoredPid = pid;
            state.pid = pid;
          }
        },
      },
    );
    if (!resp.success) throw criuFailure(`restore ${id}`, version, resp, logFile);
    const pid = restoredPid || resp.restoredPid || 0;
    if (!(pid > 0)) throw new SkiffError(`restore ${id}: CRIU reported success but no restored process`);
    recordInit(store, state, pid);
    if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid));
    timing('restored');
    return state;
  } catch (err) {
    // As a failed create, and the tasks CRIU may have restored into the cgroups before it failed;
    // the rootfs bound for CRIU is unmounted before the state directory goes.
    undoCreate(store, state, lock, { cgroup, scopeStarted, cgroupTasks: true });
    throw SkiffError.from(err, `restore ${id}`);
  } finally {
    for (const fd of fds) native().closeFd(fd);
    try {
      store.releaseCriuRoot(id);
    } catch (err) {
      log('warning', `restore ${id}: ${messageOf(err)}`);
    }
    lock.release();
  }
}
