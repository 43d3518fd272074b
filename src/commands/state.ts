import * as fs from 'node:fs';

import { currentStatus } from '../container/lifecycle';
import type { Globals } from '../globals';
import { ociState } from '../state/status';

export function state(g: Globals, id: string): void {
  const store = g.store();
  const s = store.read(id);
  fs.writeSync(1, JSON.stringify(ociState(s, currentStatus(store, s)), null, 2) + '\n');
}
