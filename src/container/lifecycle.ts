// start, kill and delete (runtime.md), shared by their commands and by `run`.

import { cgroupDriver, signalAll, thawIfFrozen } from '../cgroups/driver';
import { SkiffError } from '../errors';
import { faultPoint } from '../fault';
import { undoHostMounts } from '../linux/host-mounts';
import { log } from '../log';
import { native } from '../native';
import type { Status } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { initAlive, ociState, statusOf } from '../state/status';
import { runAllHooks, runHooks } from './hooks';
import { checkId, type DirLock, type Store } from '../state/store';

export function currentStatus(store: Store, s: ContainerState): Status {
  return statusOf(s, store.fifo(s.id));
}

export function startContainer(store: Store, id: string): ContainerState {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status !== 'created') {
    if (status === 'stopped') throw new SkiffError(`cannot start a container that has stopped: container not running`);
    throw new SkiffError(`cannot start container "${id}": it is ${status}, not created`);
  }
  // config.md: process is REQUIRED when start is called (runtime.md: start MUST then error).
  if (!s.process) throw new SkiffError(`cannot start container "${id}": config.json has no process to run`);
  faultPoint('start-checked');
  // startFifo removes the fifo as soon as it has opened it (so a killed start reads as running).
  native().startFifo(store.fifo(id), s.pid);
  faultPoint('start-released');
  const failed = runHooks('poststart', s.hooks?.poststart, ociState(s, 'running'));
  if (failed) throw new SkiffError(failed);
  return s;
}

function signalPid(pid: number, sig: number): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export function killContainer(store: Store, id: string, sig: number, all: boolean): void {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status === 'stopped' || status === 'creating') {
    if (!all) throw new SkiffError(`cannot kill container "${id}": container not running`);
  }
  if (all) {
    const any = signalAll(cgroupDriver(s.cgroup, s), sig) > 0;
    if (!any && status === 'stopped') throw new SkiffError(`cannot kill container "${id}": container not running`);
    return;
  }
  if (!initAlive(s) || !signalPid(s.pid, sig)) throw new SkiffError(`cannot kill container "${id}": no such process`);
  if (sig === 9) thawIfFrozen(cgroupDriver(s.cgroup, s));
}

async function waitGone(s: ContainerState, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (initAlive(s)) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The container's lock, waited for: a create in progress holds it until it succeeds or fails.
 * With force, a create that keeps it longer than `patience` has its processes killed (those in
 * the cgroups it made), which ends it.
 */
async function lockForDelete(store: Store, id: string, force: boolean): Promise<DirLock | undefined> {
  const patience = Date.now() + 10_000;
  let killed = false;
  for (;;) {
    if (!store.hasDir(id)) return undefined;
    const lock = store.lock(id, false);
    if (lock) return lock;
    if (!force) {
      const s = store.readForCleanup(id);
      throw new SkiffError(
        `cannot delete container "${id}" that is not stopped: ${s ? currentStatus(store, s) : 'creating'} (use --force)`,
      );
    }
    if (Date.now() > patience) {
      const s = store.readForCleanup(id);
      if (killed || !s) throw new SkiffError(`cannot delete container "${id}": another skiff (pid ${s?.creatorPid ?? '?'}) holds it`);
      for (const pid of createdCgroupPids(s)) signalPid(pid, 9);
      killed = true;
    }
    await sleep(10);
  }
}

/** Pids in the cgroups skiff itself made for the container (or in its systemd scope). */
function createdCgroupPids(s: ContainerState): number[] {
  return s.cgroup.created?.length || s.cgroup.systemd ? cgroupDriver(s.cgroup, s).everyPid() : [];
}

/** Kills what is left (force) and removes the cgroups and the state directory. */
export async function deleteContainer(store: Store, id: string, force: boolean): Promise<void> {
  checkId(id);
  const lock = await lockForDelete(store, id, force);
  if (!lock) {
    if (force) return;
    throw new SkiffError(`container "${id}" does not exist`);
  }
  try {
    faultPoint('delete-locked');
    const s = force ? store.readForCleanup(id) : store.read(id);
    if (!s) {
      // Neither state.json nor its backup is readable (damaged from outside, or a create killed
      // right after it claimed the id): nothing tells what else skiff made, so only the directory goes.
      if (store.exists(id)) log('warning', `state of container "${id}" is unreadable: removed its directory only`);
      store.remove(id, lock);
      return;
    }
    const status = currentStatus(store, s);
    if ((status === 'running' || status === 'paused' || status === 'creating') && !force)
      throw new SkiffError(`cannot delete container "${id}" that is not stopped: ${status} (use --force)`);
    // Without a pid namespace of its own the container's other processes outlive the init; and a
    // create that died half-way may have left processes in the cgroups it made. Either way the
    // processes in the cgroups skiff made for the container are the container's. Without a
    // cgroup they are the init's descendants: listed before it dies, when they still are.
    const cg = cgroupDriver(s.cgroup, s);
    const listStrays = () => (!s.privatePidns ? cg.everyPid() : s.phase === 'creating' ? createdCgroupPids(s) : []);
    const early = cg.kind === 'none' ? listStrays() : [];
    if (status !== 'stopped') {
      // A created container is deleted without --force, as runc does: its process never ran.
      if (initAlive(s)) signalPid(s.pid, 9);
    }
    for (const pid of cg.kind === 'none' ? early : listStrays()) signalPid(pid, 9);
    thawIfFrozen(cg); // a paused container: SIGKILL lands once thawed
    if (!(await waitGone(s, 10_000))) throw new SkiffError(`cannot delete container "${id}": its init (pid ${s.pid}) did not die`);
    faultPoint('delete-killed');
    const problems = await cg.remove();
    for (const p of problems) log('warning', p);
    faultPoint('delete-cgroups-removed');
    if (s.hostMounts) for (const p of undoHostMounts(s.rootfs, s.hostMounts.before, native().unmount)) log('warning', p);
    for (const failed of runAllHooks('poststop', s.hooks?.poststop, ociState(s, 'stopped'))) log('warning', failed);
    store.remove(id, lock);
  } finally {
    lock.release();
  }
}
