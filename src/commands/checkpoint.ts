import { checkpointContainer } from '../container/checkpoint';
import { parseCgMode, parseEmptyNs } from '../criu/options';
import type { Globals } from '../globals';

export interface CheckpointFlags {
  imagePath?: string;
  workPath?: string;
  parentPath?: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  preDump?: boolean;
  manageCgroupsMode?: string;
  emptyNs: string[];
  autoDedup?: boolean;
  lazyPages?: boolean;
  pageServer?: string;
  statusFd?: number;
}

export async function checkpoint(g: Globals, id: string, f: CheckpointFlags): Promise<void> {
  await checkpointContainer(g.store(), id, {
    ...f,
    manageCgroupsMode: parseCgMode(f.manageCgroupsMode),
    emptyNs: f.emptyNs.length ? parseEmptyNs(f.emptyNs) : undefined,
    criu: g.criu,
  });
}
