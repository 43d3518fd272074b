// Reading a test container's cgroups from the host, and running long-lived skiff commands
// (events) in the background.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SKIFF, STATE_ROOT } from './skiff';

export interface CgroupLayout {
  mode: 'unified' | 'hybrid' | 'legacy';
  v1: Map<string, string>;
  unified?: string;
}

/** The host's cgroup mounts: v1 controller (and name=…) → mountpoint, and the cgroup2 mountpoint. */
export function cgroupLayout(): CgroupLayout {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , opts] = line.slice(sep + 3).split(' ');
    const mnt = line.split(' ')[4]!;
    if (fstype === 'cgroup2') unified ??= mnt;
    if (fstype === 'cgroup')
      for (const o of opts!.split(',')) if (!['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec'].includes(o)) v1.set(o, mnt);
  }
  return { mode: v1.size === 0 ? 'unified' : unified ? 'hybrid' : 'legacy', v1, unified };
}

export const LAYOUT = cgroupLayout();

/** Directory of a cgroupsPath in the hierarchy of one v1 controller ("" or "unified": cgroup2). */
export function cgDir(controller: string, cgroupsPath: string): string {
  const mnt = controller === '' || controller === 'unified' ? LAYOUT.unified : LAYOUT.v1.get(controller);
  if (!mnt) throw new Error(`no ${controller || 'cgroup2'} hierarchy on this host`);
  return path.join(mnt, cgroupsPath);
}

export function cgRead(controller: string, cgroupsPath: string, file: string): string {
  return fs.readFileSync(path.join(cgDir(controller, cgroupsPath), file), 'utf8').trim();
}

/** "key value" lines (memory.stat, memory.oom_control, cpu.stat, pids.events) as numbers. */
export function cgKeyValues(controller: string, cgroupsPath: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of cgRead(controller, cgroupsPath, file).split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** /proc/<pid>/cgroup: hierarchy controllers ("" for cgroup2) → path, as the host sees it. */
export function procCgroups(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(l);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** utime+stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

export interface Background {
  pid: number;
  lines: () => string[];
  stderr: () => string;
  exited: Promise<number>;
  kill(sig?: NodeJS.Signals): void;
}

/** skiff in the background (events): stdout collected line by line. Never give it a container's stdio. */
export function skiffBackground(args: string[], root = STATE_ROOT): Background {
  const child = spawn(SKIFF, ['--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve(code ?? 128 + (sig ? 15 : 0))));
  return {
    pid: child.pid!,
    lines: () => out.split('\n').filter(Boolean),
    stderr: () => err,
    exited,
    kill: (sig = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}

/** Resolves with the value, or rejects after ms: a hung background command fails the test instead of hanging it. */
export function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}
