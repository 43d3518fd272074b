// The reliability suite's one leftover check: what a test's containers may have left behind in
// processes, cgroups (every hierarchy), mounts and the --root directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CGROUP_PREFIX, STATE_ROOT, cgroupDirs, mountsMentioning } from './skiff';

interface ProcInfo {
  pid: number;
  state: string;
  cmdline: string;
  cgroups: string[];
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0]!;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    const cgroups = fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':').slice(2).join(':'));
    return { pid, state, cmdline, cgroups };
  } catch {
    return undefined;
  }
}

/**
 * Live processes that belong to the test: in a cgroup under the test's prefix, or a skiff (or a
 * copy of one, as a clone child that never became the init) whose command line names the test's
 * --root. Zombies hold nothing and are reaped by whoever they were reparented to.
 */
export function strayProcesses(root = STATE_ROOT, cgroupsPath = CGROUP_PREFIX, id?: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const p = procInfo(pid);
    if (!p || p.state === 'Z' || p.state === 'X') continue;
    const inCgroup = p.cgroups.some((c) => c === cgroupsPath || c.startsWith(cgroupsPath + '/'));
    const aSkiff = p.cmdline.includes(`--root ${root} `) && (!id || p.cmdline.split(' ').includes(id));
    if (inCgroup || aSkiff)
      out.push(
        `process ${pid} (${p.state}) ${p.cmdline.slice(0, 120)} in ${[...new Set(p.cgroups.filter((c) => c.includes(CGROUP_PREFIX)))].join(',')}`,
      );
  }
  return out;
}

/** Everything left of container `id` (its cgroupsPath given), or of the whole test when no id. */
export function leftovers(opts: { id?: string; cgroupsPath?: string; bundleDir?: string; root?: string } = {}): string[] {
  const root = opts.root ?? STATE_ROOT;
  const cg = opts.cgroupsPath ?? CGROUP_PREFIX;
  const left = strayProcesses(root, cg, opts.id);
  for (const d of cgroupDirs(cg)) {
    if (!fs.existsSync(d)) continue;
    if (opts.cgroupsPath) left.push(`cgroup ${d}`);
    else for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) left.push(`cgroup ${path.join(d, e.name)}`);
  }
  if (opts.bundleDir) for (const m of mountsMentioning(opts.bundleDir)) left.push(`mount ${m}`);
  if (fs.existsSync(root)) {
    for (const e of fs.readdirSync(root)) if (!opts.id || e === opts.id || e.includes(opts.id)) left.push(`state ${path.join(root, e)}`);
  }
  return left;
}
