import * as fs from 'node:fs';

import { cgroupDriver } from '../cgroups/driver';
import { stringifyExact as toJson } from '../spec/exact-integers';
import { scopeResult } from '../cgroups/systemd-scope';
import { currentStatus } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { log } from '../log';
import { initAlive } from '../state/status';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("5s", "1m30s", "250ms"), in milliseconds. */
export function parseDuration(v: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  if (v === '0') return 0;
  let ms = 0;
  let i = 0;
  const sign = v.startsWith('-') ? -1 : 1;
  if (v[0] === '-' || v[0] === '+') i = 1;
  if (i >= v.length) throw new SkiffError(`invalid duration "${v}"`);
  while (i < v.length) {
    re.lastIndex = i;
    const m = re.exec(v);
    if (!m) throw new SkiffError(`invalid duration "${v}" (use a number with a unit: 500ms, 5s, 1m)`);
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    i = re.lastIndex;
  }
  return sign * ms;
}

function emit(line: string): void {
  fs.writeSync(1, line + '\n');
}

/**
 * runc events: with --stats, one stats event and exit; otherwise a stats event every interval and
 * an oom event whenever the memory cgroup records an OOM kill, until the container stops (exit 0)
 * or skiff gets SIGINT/SIGTERM.
 */
export async function events(g: Globals, id: string, opts: { stats?: boolean; interval?: string }): Promise<void> {
  const interval = parseDuration(opts.interval ?? '5s');
  if (!(interval > 0)) throw new SkiffError('duration interval must be greater than 0');
  const store = g.store();
  const s = store.read(id);
  if (currentStatus(store, s) === 'stopped') throw new SkiffError(`container with id ${id} is not running`);
  const cg = cgroupDriver(s.cgroup, s);
  const stats = (): string => toJson({ type: 'stats', id, data: cg.stats() });
  if (opts.stats) {
    emit(stats());
    return;
  }
  let ooms = cg.oomKills();
  await new Promise<void>((resolve) => {
    const poll = Math.min(interval, 100);
    let nextStats = Date.now() + interval;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      watcher?.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // cgroup v2 notifies memory.events changes (inotify): an OOM kill is read at once, before the
    // victim's exit can empty a systemd scope (which systemd then removes, counter and all).
    const watched = cg.oomEventsFile();
    let watcher: fs.FSWatcher | undefined;
    const checkOom = (): void => {
      const now = cg.oomKills();
      for (; ooms < now; ooms++) emit(toJson({ type: 'oom', id }));
    };
    if (watched) {
      try {
        watcher = fs.watch(watched, { persistent: false }, () => {
          try {
            checkOom();
          } catch {
            // the poll below reports it
          }
        });
        watcher.on('error', () => watcher?.close());
      } catch {
        // no inotify here: polling alone
      }
    }
    const tick = (): void => {
      try {
        // OOM first: the kill that just stopped the container must still be reported.
        checkOom();
        if (!initAlive(s)) {
          // systemd removes a stopped scope's cgroup, counter and all, but may keep its result.
          if (ooms === 0n && s.cgroup.systemd && scopeResult(s.cgroup) === 'oom-kill') emit(toJson({ type: 'oom', id }));
          return stop();
        }
        if (Date.now() >= nextStats) {
          nextStats += interval;
          if (nextStats < Date.now()) nextStats = Date.now() + interval;
          emit(stats());
        }
      } catch (err) {
        // stdout closed (EPIPE): nobody listens any more.
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') return stop();
        log('warning', `events: ${(err as Error).message}`);
      }
      timer = setTimeout(tick, poll);
    };
    timer = setTimeout(tick, poll);
  });
}
