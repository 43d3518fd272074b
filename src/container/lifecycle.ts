// start, kill and delete (runtime.md), shared by their commands and by `run`.
import * as fs from 'node:fs';

import { signalAll, thawIfFrozen } from '../cgroups/freezer';
import { cgroupPids, removeCgroups } from '../cgroups/manager';
import { stopScope } from '../cgroups/systemd-scope';
import { SkiffError } from '../errors';
import { log } from '../log';
import { native } from '../native';
import type { Status } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { initAlive, ociState, statusOf } from '../state/status';
import { runHooks } from './hooks';
import type { Store } from '../state/store';

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
  native().startFifo(store.fifo(id), s.pid);
  try {
    fs.unlinkSync(store.fifo(id));
  } catch {
    // a concurrent start removed it
  }
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
    const any = signalAll(s.cgroup, sig) > 0;
    if (!any && status === 'stopped') throw new SkiffError(`cannot kill container "${id}": container not running`);
    return;
  }
  if (!initAlive(s) || !signalPid(s.pid, sig)) throw new SkiffError(`cannot kill container "${id}": no such process`);
  if (sig === 9) thawIfFrozen(s.cgroup);
}

async function waitGone(s: ContainerState, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (initAlive(s)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Kills what is left (force) and removes the cgroups and the state directory. */
export async function deleteContainer(store: Store, id: string, force: boolean): Promise<void> {
  if (!store.exists(id)) {
    if (force) {
      store.remove(id);
      return;
    }
    throw new SkiffError(`container "${id}" does not exist`);
  }
  const s = store.read(id);
  const status = currentStatus(store, s);
  if ((status === 'running' || status === 'paused' || status === 'creating') && !force)
    throw new SkiffError(`cannot delete container "${id}" that is not stopped: ${status} (use --force)`);
  if (status !== 'stopped') {
    // A created container is deleted without --force, as runc does: its process never ran.
    if (initAlive(s)) signalPid(s.pid, 9);
  }
  // Without a pid namespace of its own the container's other processes outlive the init; and a
  // create that died half-way may have left an init whose pid was never recorded. Either way the
  // processes in the cgroup skiff made for the container are the container's.
  if (!s.privatePidns || (s.phase === 'creating' && (s.cgroup.created?.length || s.cgroup.systemd))) for (const pid of cgroupPids(s.cgroup)) signalPid(pid, 9);
  thawIfFrozen(s.cgroup); // a paused container: SIGKILL lands once thawed
  if (!(await waitGone(s, 10_000))) throw new SkiffError(`cannot delete container "${id}": its init (pid ${s.pid}) did not die`);
  // systemd removes the scope's own cgroups when it stops it; skiff removes those it made.
  const problems = [...stopScope(s.cgroup), ...(await removeCgroups(s.cgroup))];
  for (const p of problems) log('warning', p);
  const failed = runHooks('poststop', s.hooks?.poststop, ociState(s, 'stopped'));
  if (failed) log('warning', failed);
  store.remove(id);
}
