import { exitCodeOf, waitForwarding } from '../container/foreground';
import { deleteContainer } from '../container/lifecycle';
import { restoreContainer } from '../container/restore';
import { parseCgMode, parseEmptyNs } from '../criu/options';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { timing } from '../log';
import { native } from '../native';

export interface RestoreFlags {
  bundle?: string;
  imagePath?: string;
  workPath?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  subreaper?: boolean;
  pivot?: boolean;
  manageCgroupsMode?: string;
  emptyNs: string[];
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  autoDedup?: boolean;
  lazyPages?: boolean;
}

/** restore; in the foreground (no --detach), wait for the restored init as `run` does and delete it after. */
export async function restore(g: Globals, id: string, f: RestoreFlags): Promise<number> {
  // CRIU restores the root with pivot_root of its own: there is no way to ask it for anything else.
  if (f.pivot === false) throw new SkiffError('--no-pivot: not supported by restore (CRIU itself pivots into the rootfs)');
  const store = g.store();
  // The restored init is this process's child (rst_sibling); its own children are reaped here too
  // when they are orphaned, unless --no-subreaper.
  if (!f.detach && f.subreaper !== false) native().setChildSubreaper();
  const s = await restoreContainer(store, {
    id,
    bundle: f.bundle,
    imagePath: f.imagePath,
    workPath: f.workPath,
    pidFile: f.pidFile,
    consoleSocket: f.consoleSocket,
    tcpEstablished: f.tcpEstablished,
    extUnixSk: f.extUnixSk,
    shellJob: f.shellJob,
    fileLocks: f.fileLocks,
    autoDedup: f.autoDedup,
    lazyPages: f.lazyPages,
    manageCgroupsMode: parseCgMode(f.manageCgroupsMode),
    emptyNs: f.emptyNs.length ? parseEmptyNs(f.emptyNs) : undefined,
    systemdCgroup: g.systemdCgroup,
    rootless: g.rootless,
    criu: g.criu,
  });
  if (f.detach) return 0;
  const st = await waitForwarding(s.pid);
  timing('restored process exited');
  await deleteContainer(store, id, true);
  return exitCodeOf(st);
}
