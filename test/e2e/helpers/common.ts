// Shared by the end-to-end suites: installing the callers, daemons started by pid and stopped by
// pid, commands under a pty, and the leak checks (processes, mounts, cgroups, state dirs) that
// every suite runs at its end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ROOT, run, type Result, cgroupDirs, pidAlive } from '../../helpers/skiff';

export { cgroupDirs, pidAlive };

export { ROOT, run, type Result };
/** What callers configure: the compiled executable (SKIFF_BIN=bin/skiff for the Node.js entry point). */
export const SKIFF = path.resolve(ROOT, process.env.SKIFF_BIN ?? 'build/skiff');

/** Installs what the suite needs (scripts/e2e/install.sh); returns why it cannot, or undefined. */
export function ensureInstalled(...callers: string[]): string | undefined {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/e2e/install.sh'), ...callers], { encoding: 'utf8', timeout: 900_000 });
  if (r.status === 0) return undefined;
  return `cannot install ${callers.join(', ')}: ${(r.stderr || String(r.error)).trim()}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs a shell command line in a new pty (script(1)), typing `input` after `delayMs`. */
export function inPty(
  command: string,
  input: string,
  dir: string,
  opts: { delayMs?: number; holdMs?: number; timeout?: number; env?: NodeJS.ProcessEnv } = {},
): { code: number; out: string } {
  const inFile = path.join(dir, `typed-${process.hrtime.bigint()}`);
  fs.writeFileSync(inFile, input);
  const logFile = `${inFile}.log`;
  const delay = (opts.delayMs ?? 1500) / 1000;
  const hold = (opts.holdMs ?? 4000) / 1000;
  const quoted = command.replace(/'/g, `'\\''`);
  const r = run('/bin/sh', ['-c', `(sleep ${delay}; cat "${inFile}"; sleep ${hold}) | script -qec '${quoted}' "${logFile}"`], {
    timeout: opts.timeout ?? 60_000,
    env: opts.env,
  });
  const out = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  fs.rmSync(inFile, { force: true });
  fs.rmSync(logFile, { force: true });
  return { code: r.code, out };
}

/** A daemon started by a suite: its output goes to a file; stop() ends it by pid (TERM, then KILL). */
export class Daemon {
  readonly child: ChildProcess;
  readonly log: string;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string },
  ) {
    this.log = opts.log;
    const fd = fs.openSync(opts.log, 'a');
    this.child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
    fs.closeSync(fd);
    this.exit = new Promise((resolve) =>
      this.child.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }
  get running(): boolean {
    return !this.exited;
  }
  tail(n = 30): string {
    try {
      return fs.readFileSync(this.log, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  }

  async stop(ms = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, ms);
    await this.exit;
    clearTimeout(t);
  }
}

/** Pids of processes whose command line contains `marker` (a path only this suite uses). */
export function pidsMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(marker)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** Ends (SIGKILL, by pid) the processes left that name our private paths; returns what it found. */
export async function killLeftovers(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of pidsMentioning(marker)) {
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    found.push(`process ${pid}: ${cmd}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mnt = line.split(' ')[4];
    if (mnt && (mnt === dir || mnt.startsWith(dir + '/'))) out.push(mnt.replace(/\\040/g, ' '));
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir` (what a caller left behind); returns what it unmounted. */
export function umountUnder(dir: string): string[] {
  const found = mountsUnder(dir);
  for (let i = 0; i < 5 && mountsUnder(dir).length; i++) {
    for (const m of mountsUnder(dir)) spawnSync('umount', ['-l', m]);
  }
  return found;
}

/** Leaf cgroups under the prefix that still exist (each one a container's cgroup not removed). */
export function cgroupsLeftUnder(prefix: string): string[] {
  const left: string[] = [];
  const walk = (d: string): void => {
    let subs: string[] = [];
    try {
      subs = fs
        .readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    if (subs.length === 0) left.push(d);
    for (const s of subs) walk(path.join(d, s));
  };
  for (const d of cgroupDirs(prefix))
    if (fs.existsSync(d)) for (const s of fs.readdirSync(d, { withFileTypes: true })) if (s.isDirectory()) walk(path.join(d, s.name));
  return left;
}

/** Removes the cgroup prefix (this suite's own) on every hierarchy, deepest first. */
export function removeCgroupPrefix(prefix: string): string[] {
  const busy: string[] = [];
  const rm = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
    try {
      fs.rmdirSync(d);
    } catch {
      busy.push(d);
    }
  };
  for (const d of cgroupDirs(prefix)) rm(d);
  return busy;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** skiff with an explicit --root (the caller's), e.g. `skiffAt('/run/containerd/runc/ns', ['state', id])`. */
export function skiffAt(root: string | undefined, args: string[]): Result {
  return run(SKIFF, root ? ['--root', root, ...args] : args, { timeout: 30_000 });
}
