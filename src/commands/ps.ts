import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import { cgroupDriver } from '../cgroups/driver';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';

/**
 * runc ps: the container's processes. json: a JSON array of host pids (what go-runc's shim parses);
 * table: the host's `ps` output (default `ps -ef`) filtered to those pids, header first.
 */
export function ps(g: Globals, id: string, psArgs: string[], opts: { format?: string }): void {
  const format = opts.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new SkiffError(`invalid --format "${format}": use table or json`);
  const s = g.store().read(id);
  const pids = cgroupDriver(s.cgroup, s)
    .pids()
    .sort((a, b) => a - b);
  if (format === 'json') {
    fs.writeSync(1, JSON.stringify(pids) + '\n');
    return;
  }
  const args = psArgs.length ? psArgs : ['-ef'];
  const r = spawnSync('ps', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new SkiffError(`ps ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new SkiffError(`ps ${args.join(' ')}: exit status ${r.status ?? r.signal}: ${(r.stdout + r.stderr).trim()}`);
  const lines = r.stdout.split('\n');
  const pidIndex = lines[0]!.trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new SkiffError("couldn't find PID field in ps output");
  const wanted = new Set(pids);
  let out = lines[0] + '\n';
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const p = Number(line.trim().split(/\s+/)[pidIndex]);
    if (!Number.isInteger(p)) throw new SkiffError(`unable to parse pid in ps output: ${JSON.stringify(line)}`);
    if (wanted.has(p)) out += line + '\n';
  }
  fs.writeSync(1, out);
}
