// checkpoint: the running container's processes written to images by CRIU (runc's checkpoint).
// Without --leave-running CRIU kills them once the images are complete; the container is then
// stopped, and `delete` removes it as any stopped one.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError, fsErrorText } from '../errors';
import { log } from '../log';
import { CRIU_REQ, type CriuOpts } from '../criu/rpc';
import { dumpExtMounts, dumpExternalNamespaces, externalMounts, parsePageServer } from '../criu/options';
import { commonOpts, openCriuDirs, freezerOf, mountPlan, requireFeature, startCriu, type CriuFlags } from '../criu/request';
import { criuFailure, swrk } from '../criu/swrk';
import type { Spec } from '../spec/types';
import { initAlive } from '../state/status';
import type { Store } from '../state/store';
import { currentStatus } from './lifecycle';

export interface CheckpointOptions extends CriuFlags {
  /** --parent-path: the pre-dump these images build on, relative to --image-path. */
  parentPath?: string;
  leaveRunning?: boolean;
  preDump?: boolean;
  /** --page-server ADDRESS:PORT: the pages go to a page server (lazy migration), not the image directory. */
  pageServer?: string;
  /** --status-fd: CRIU writes a byte there when its lazy-pages server is ready. */
  statusFd?: number;
}

/** The image file runc and skiff keep beside CRIU's: what the init's fds 0-2 were. */
export const DESCRIPTORS = 'descriptors.json';

/**
 * The init's fds 0-2 as descriptors.json records them: a pipe by its name ("pipe:[1234]"), as
 * runc does; a file from outside the container (the caller's /dev/null, a fifo, a log file) by
 * CRIU's external key "file[<mnt_id>:<inode>]" (hex), which the dump marks external: a restore
 * hands over the fd of the same number in its place. Anything else by its path.
 */
export function stdioOf(pid: number): { descriptors: string[]; external: string[] } {
  let inside: Set<number> | undefined;
  const external: string[] = [];
  const descriptors = [0, 1, 2].map((fd) => {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
    if (!link.startsWith('/')) return link;
    try {
      const mnt = Number(/^mnt_id:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1]);
      inside ??= new Set(
        fs
          .readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => Number(l.split(' ')[0])),
      );
      if (!Number.isInteger(mnt) || inside.has(mnt)) return link;
      const key = `file[${mnt.toString(16)}:${fs.statSync(`/proc/${pid}/fd/${fd}`).ino.toString(16)}]`;
      external.push(key);
      return key;
    } catch {
      return link;
    }
  });
  return { descriptors, external };
}

/** Whether p is a directory in the container (undefined: not there). */
function isDirIn(pid: number, p: string): boolean | undefined {
  try {
    return fs.statSync(`/proc/${pid}/root${p}`).isDirectory();
  } catch {
    return undefined;
  }
}

export async function checkpointContainer(store: Store, id: string, o: CheckpointOptions): Promise<void> {
  const s = store.read(id);
  const status = currentStatus(store, s);
  if (status !== 'running' && status !== 'paused')
    throw new SkiffError(`cannot checkpoint container "${id}": it is ${status} (only a running or paused container can be)`);
  if (o.preDump && o.leaveRunning === false) throw new SkiffError('--pre-dump always leaves the container running');
  const ps = parsePageServer(o.pageServer);
  // A lazy dump serves the pages itself, on the page server address, until a restore has them all.
  if (o.lazyPages && !ps)
    throw new SkiffError('--lazy-pages needs --page-server ADDRESS:PORT (where the lazy-pages daemon of the restore fetches the pages)');
  if (o.statusFd !== undefined && !o.lazyPages) throw new SkiffError('--status-fd is only for --lazy-pages');
  if (o.statusFd !== undefined) {
    try {
      fs.fstatSync(o.statusFd);
    } catch {
      throw new SkiffError(`--status-fd ${o.statusFd}: not an open fd`);
    }
  }
  const { criu, version } = await startCriu('checkpoint', o.criu);
  if (o.preDump) await requireFeature(criu, version, 'memTrack', '--pre-dump');
  if (o.lazyPages) await requireFeature(criu, version, 'lazyPages', '--lazy-pages');

  const { loadConfig } = require('../spec/validate') as typeof import('../spec/validate');
  const spec = loadConfig(s.bundle, { requireProcess: false, systemdCgroup: !!s.cgroup.systemd }) as Spec;
  const imageDir = path.resolve(o.imagePath ?? 'checkpoint');
  const fds: number[] = [];
  try {
    const { imagesDirFd, workDirFd, logFile } = openCriuDirs(o, imageDir, true, o.preDump ? 'pre-dump.log' : 'dump.log', fds);
    const stdio = stdioOf(s.pid);
    const opts: CriuOpts = {
      ...commonOpts(o, imagesDirFd, workDirFd, path.basename(logFile), spec),
      pid: s.pid,
      root: s.rootfs,
      leaveRunning: o.leaveRunning || o.preDump,
      external: [...dumpExternalNamespaces(spec, (p) => fs.statSync(p).ino), ...stdio.external],
      freezeCgroup: freezerOf(s.cgroup),
      ps,
      // A pre-dump's pages are the parent of the next dump's: both track memory changes.
      ...(o.parentPath || o.preDump ? { trackMem: true } : {}),
      ...(o.parentPath ? { parentImg: o.parentPath } : {}),
    };
    if (!o.preDump) {
      const plan = mountPlan(spec, s.bundle, s.rootfs, s.cgroup);
      opts.extMnt = dumpExtMounts(externalMounts(plan), plan.maskedPaths, (p) => isDirIn(s.pid, p));
      // The init's stdio, for the restore to hand the caller's pipes back in their place.
      try {
        fs.writeFileSync(path.join(imageDir, DESCRIPTORS), JSON.stringify(stdio.descriptors), { mode: 0o600 });
      } catch (err) {
        throw new SkiffError(`--image-path ${imageDir}: ${fsErrorText(err)}`);
      }
    }
    const type = o.preDump ? CRIU_REQ.preDump : CRIU_REQ.dump;
    // CRIU says "status-ready" once its lazy page server listens: skiff writes the byte and closes
    // the fd itself, as runc does (CRIU would reopen the fd by path, which a socket refuses).
    const notify = (script: string) => {
      if (script !== 'status-ready' || o.statusFd === undefined) return;
      fs.writeSync(o.statusFd, Buffer.from([0]));
      fs.closeSync(o.statusFd);
    };
    const resp = await swrk(criu, { type, opts }, { stdio: 'quiet', notify });
    if (!resp.success) throw criuFailure(`checkpoint ${id}`, version, resp, logFile);
    if (!opts.leaveRunning) {
      // CRIU killed the tree once the images were complete; the init's exit reaches its parent.
      const until = Date.now() + 10_000;
      while (initAlive(s) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      if (initAlive(s)) log('warning', `checkpoint ${id}: the container's init (pid ${s.pid}) still runs after CRIU's dump`);
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}
