import { createContainer, type CreateOptions } from '../container/create';
import type { Globals } from '../globals';

export function create(g: Globals, opts: CreateOptions): void {
  createContainer(g.store(), { ...opts, systemdCgroup: g.systemdCgroup, rootless: g.rootless });
}
