// Freezing a container (pause/resume) and signalling all its processes (kill --all), like runc:
// cgroup.freeze + cgroup.events on unified hosts, the v1 freezer hierarchy on v1 and hybrid ones.
import * as path from 'node:path';

import { SkiffError } from '../errors';
import { log } from '../log';
import { readCgroupFile, v1Dir, writeCgroupFile } from './apply';
import { cgroupPids, isFrozen, type CgroupPaths } from './manager';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function freezerDir(p: CgroupPaths): { dir: string; v2: boolean } {
  if (p.mode === 'unified' && p.unified) return { dir: p.unified, v2: true };
  const dir = v1Dir(p, 'freezer');
  if (!dir) throw new SkiffError('cannot freeze: the cgroup v1 freezer controller is not mounted on this host');
  return { dir, v2: false };
}

function v1State(dir: string): string {
  return (readCgroupFile(path.join(dir, 'freezer.state')) ?? '').trim();
}

/** Freezes every process of the container and returns once the kernel says they are frozen. */
export function freeze(p: CgroupPaths): void {
  const { dir, v2 } = freezerDir(p);
  if (v2) {
    writeCgroupFile(path.join(dir, 'cgroup.freeze'), '1');
    const until = Date.now() + 10_000;
    for (;;) {
      const events = readCgroupFile(path.join(dir, 'cgroup.events')) ?? '';
      if (/^frozen 1$/m.test(events)) return;
      if (Date.now() > until) {
        writeCgroupFile(path.join(dir, 'cgroup.freeze'), '0');
        throw new SkiffError(`cannot freeze ${dir}: cgroup.events did not report "frozen 1" within 10 s`);
      }
      sleepSync(1);
    }
  }
  // runc's loop: a v1 cgroup can stay FREEZING while tasks keep forking; retry, thaw now and then.
  const file = path.join(dir, 'freezer.state');
  let backoff = 1000;
  try {
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        writeCgroupFile(file, 'THAWED');
        sleepSync(10);
      }
      writeCgroupFile(file, 'FROZEN');
      if (i % 25 === 24) sleepSync(1);
      if (i % 200 === 199) {
        sleepSync(backoff);
        backoff *= 2;
      }
      const state = v1State(dir);
      if (state === 'FROZEN') {
        if (i > 1) log('debug', `frozen after ${i} retries`);
        return;
      }
      if (state !== 'FREEZING') throw new SkiffError(`unexpected freezer state ${JSON.stringify(state)} while freezing ${dir}`);
    }
    throw new SkiffError(`unable to freeze ${dir}: it stays FREEZING`);
  } catch (err) {
    try {
      writeCgroupFile(file, 'THAWED');
    } catch {
      // the error above says what went wrong
    }
    throw err;
  }
}

export function thaw(p: CgroupPaths): void {
  const { dir, v2 } = freezerDir(p);
  if (v2) {
    writeCgroupFile(path.join(dir, 'cgroup.freeze'), '0');
    const until = Date.now() + 10_000;
    while (/^frozen 1$/m.test(readCgroupFile(path.join(dir, 'cgroup.events')) ?? '') && Date.now() < until) sleepSync(1);
    return;
  }
  writeCgroupFile(path.join(dir, 'freezer.state'), 'THAWED');
  const until = Date.now() + 10_000;
  while (v1State(dir) !== 'THAWED' && Date.now() < until) sleepSync(1);
}

/** Thaws a frozen container (SIGKILL does not land in a frozen v1 cgroup until then). */
export function thawIfFrozen(p: CgroupPaths): void {
  try {
    if (isFrozen(p)) thaw(p);
  } catch (err) {
    log('warning', `thaw: ${(err as Error).message}`);
  }
}

/**
 * Sends sig to every process of the container, as runc's signalAllProcesses: SIGKILL through
 * cgroup.kill where the kernel has it; otherwise freeze, signal each pid, thaw (so nothing forks
 * away in between). A paused container stays paused, except for SIGKILL. Returns how many
 * processes were signalled.
 */
export function signalAll(p: CgroupPaths, sig: number): number {
  const pids = cgroupPids(p);
  if (!pids.length) return 0;
  // Signal 0 asks whether any process is there: nothing to freeze for it.
  if (sig === 0) return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }).length;
  if (sig === 9 && p.unified) {
    try {
      writeCgroupFile(path.join(p.unified, 'cgroup.kill'), '1');
      thawIfFrozen(p);
      return pids.length;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') log('warning', `cgroup.kill: ${(err as Error).message}`);
    }
  }
  const wasFrozen = isFrozen(p);
  let frozen = false;
  try {
    if (!wasFrozen) {
      freeze(p);
      frozen = true;
    }
  } catch (err) {
    log('warning', `kill --all: ${(err as Error).message}`);
  }
  let n = 0;
  for (const pid of frozen || wasFrozen ? cgroupPids(p) : pids) {
    try {
      process.kill(pid, sig);
      n++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log('warning', `kill ${pid}: ${(err as Error).message}`);
    }
  }
  if (frozen || (wasFrozen && sig === 9)) {
    try {
      thaw(p);
    } catch (err) {
      log('warning', `kill --all: ${(err as Error).message}`);
    }
  }
  return n;
}
