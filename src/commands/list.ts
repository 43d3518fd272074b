import * as fs from 'node:fs';

import { currentStatus } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { ociState } from '../state/status';

export function list(g: Globals, opts: { format?: string; quiet?: boolean }): void {
  const format = opts.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new SkiffError(`invalid --format "${format}": use table or json`);
  const store = g.store();
  const rows = [];
  for (const id of store.ids()) {
    try {
      const s = store.read(id);
      rows.push(ociState(s, currentStatus(store, s)));
    } catch {
      // a container being created or deleted right now
    }
  }
  let out: string;
  if (opts.quiet) out = rows.map((r) => r.id + '\n').join('');
  else if (format === 'json') out = JSON.stringify(rows) + '\n';
  else {
    const table = [
      ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, String(r.created), String(r.owner)]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    out = table
      .map(
        (row) =>
          row
            .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3)))
            .join('')
            .trimEnd() + '\n',
      )
      .join('');
  }
  fs.writeSync(1, out);
}
