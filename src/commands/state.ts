import * as fs from 'node:fs';

import { currentStatus } from '../container/lifecycle';
import { oomKilled } from '../container/oom';
import type { Globals } from '../globals';
import { ociState } from '../state/status';

export function state(g: Globals, id: string): void {
  const store = g.store();
  const s = store.read(id);
  const status = currentStatus(store, s);
  // Beyond runc's fields, only when it happened: "oomKilled": true.
  const doc = { ...ociState(s, status), ...(oomKilled(s, status) ? { oomKilled: true } : {}) };
  fs.writeSync(1, JSON.stringify(doc, null, 2) + '\n');
}
