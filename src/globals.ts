import * as path from 'node:path';

import type { LogFormat } from './log';
import { DEFAULT_ROOT, Store } from './state/store';

/** runc's global flags, parsed before the command. */
export class Globals {
  private cachedStore?: Store;
  constructor(
    readonly root: string = DEFAULT_ROOT,
    readonly logFile: string | undefined = undefined,
    readonly logFormat: LogFormat = 'text',
    readonly debug = false,
    readonly systemdCgroup = false,
  ) {}

  store(): Store {
    this.cachedStore ??= new Store(path.resolve(this.root));
    return this.cachedStore;
  }
}
