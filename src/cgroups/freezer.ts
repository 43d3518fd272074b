// Freezing a cgroup, like runc: cgroup.freeze + cgroup.events on cgroup2, freezer.state in the v1
// freezer hierarchy. The drivers (driver.ts) pick one.
import * as path from 'node:path';

import { SkiffError } from '../errors';
import { log } from '../log';
import { readCgroupFile, writeCgroupFile } from './apply';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function v1State(dir: string): string {
  return (readCgroupFile(path.join(dir, 'freezer.state')) ?? '').trim();
}

/** cgroup2: freezes the cgroup and returns once cgroup.events says it is frozen. */
export function freezeV2(dir: string): void {
  writeCgroupFile(path.join(dir, 'cgroup.freeze'), '1');
  const until = Date.now() + 10_000;
  while (!eventsFrozen(dir)) {
    if (Date.now() > until) {
      writeCgroupFile(path.join(dir, 'cgroup.freeze'), '0');
      throw new SkiffError(`cannot freeze ${dir}: cgroup.events did not report "frozen 1" within 10 s`);
    }
    sleepSync(1);
  }
}

function eventsFrozen(dir: string): boolean {
  return /^frozen 1$/m.test(readCgroupFile(path.join(dir, 'cgroup.events')) ?? '');
}

/** v1 freezer: freezes the cgroup and returns once freezer.state says FROZEN. */
export function freezeV1(dir: string): void {
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

export function thawV2(dir: string): void {
  writeCgroupFile(path.join(dir, 'cgroup.freeze'), '0');
  const until = Date.now() + 10_000;
  while (eventsFrozen(dir) && Date.now() < until) sleepSync(1);
}

export function thawV1(dir: string): void {
  writeCgroupFile(path.join(dir, 'freezer.state'), 'THAWED');
  const until = Date.now() + 10_000;
  while (v1State(dir) !== 'THAWED' && Date.now() < until) sleepSync(1);
}

/** Asked to be frozen (pause): cgroup.freeze is 1. */
export function frozenV2(dir: string): boolean {
  return (readCgroupFile(path.join(dir, 'cgroup.freeze')) ?? '').trim() === '1';
}

export function frozenV1(dir: string): boolean {
  return v1State(dir) === 'FROZEN';
}
