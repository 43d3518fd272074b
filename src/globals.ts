import * as path from 'node:path';

import type { LogFormat } from './log';
import { checkStateRootOwner, defaultStateRoot, isRootless, type RootlessSetting } from './rootless';
import { Store } from './state/store';

/** runc's global flags, parsed before the command. */
export class Globals {
  private cachedStore?: Store;
  constructor(
    readonly root: string = defaultStateRoot(),
    readonly logFile: string | undefined = undefined,
    readonly logFormat: LogFormat = 'text',
    readonly debug = false,
    readonly systemdCgroup = false,
    readonly rootlessSetting: RootlessSetting = 'auto',
    /** runc's --criu: the CRIU binary for checkpoint and restore (default: found in the system's directories). */
    readonly criu: string | undefined = undefined,
  ) {}

  /** --rootless: cgroups that cannot be made mean no cgroup, not an error. */
  get rootless(): boolean {
    return isRootless(this.rootlessSetting);
  }

  store(): Store {
    if (!this.cachedStore) {
      const root = path.resolve(this.root);
      checkStateRootOwner(root);
      this.cachedStore = new Store(root);
    }
    return this.cachedStore;
  }
}
