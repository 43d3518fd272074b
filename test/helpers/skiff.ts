// Test harness: runs skiff (build/skiff, or SKIFF_BIN) against a private --root, builds bundles on the shared busybox +
// probe rootfs, and cleans up what tests create (containers, cgroups, temp dirs).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { defaultSpec } from '../../src/commands/spec';

export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'binding.gyp'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repo root not found');
    dir = up;
  }
  return dir;
}

export const ROOT = repoRoot();
/**
 * The skiff under test: the compiled executable callers configure (build/skiff), or with
 * SKIFF_BIN=bin/skiff the Node.js entry point (scripts/test.sh runs a set of suites with both).
 */
export const SKIFF = path.resolve(ROOT, process.env.SKIFF_BIN ?? 'build/skiff');
export const ROOTFS = path.join(ROOT, 'build/rootfs');
/** Each test process gets its own state root and cgroup prefix, removed at the end. */
export const RUN_ID = `${process.pid}`;
export const STATE_ROOT = `/run/skiff-test-${RUN_ID}`;
export const CGROUP_PREFIX = `/skiff-test-${RUN_ID}`;

export interface Result {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let outSeq = 0;

/**
 * Runs a command with stdout/stderr going to files, not pipes: a container inherits skiff's stdio
 * (as with runc), so a pipe would stay open, and a reader waiting for EOF would wait as long as
 * the container lives.
 */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Result {
  const base = path.join(os.tmpdir(), `skiff-io-${process.pid}-${++outSeq}`);
  const outFd = fs.openSync(`${base}.out`, 'w+');
  const errFd = fs.openSync(`${base}.err`, 'w+');
  try {
    const stdin = opts.input !== undefined ? 'pipe' : 'ignore';
    const r = spawnSync(cmd, args, { timeout: 60_000, ...opts, stdio: [stdin, outFd, errFd] });
    if (r.error) throw r.error;
    return {
      code: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0),
      signal: r.signal,
      stdout: fs.readFileSync(`${base}.out`, 'utf8'),
      stderr: fs.readFileSync(`${base}.err`, 'utf8'),
    };
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
    fs.rmSync(`${base}.out`, { force: true });
    fs.rmSync(`${base}.err`, { force: true });
  }
}

export function skiff(args: string[], opts: SpawnSyncOptions & { root?: string } = {}): Result {
  return run(SKIFF, ['--root', opts.root ?? STATE_ROOT, ...args], opts);
}

let counter = 0;
export function uniqueId(prefix = 'c'): string {
  return `${prefix}-${RUN_ID}-${++counter}`;
}

const tempDirs: string[] = [];
export function tempDir(prefix = 'skiff-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** runc's default config (skiff spec) made to run the probe non-interactively on the test rootfs. */
export function baseConfig(): any {
  // Every namespace runc makes by default, the cgroup one too (runc's spec has it only on cgroup v2 hosts).
  const c: any = defaultSpec({ cgroupNamespace: true });
  c.process.terminal = false;
  c.process.args = ['/bin/probe', '--out', '/out/probe.json'];
  c.process.env.push('SKIFF_TEST=1');
  c.root = { path: ROOTFS, readonly: true };
  c.hostname = 'skiff-test';
  delete c.linux.resources;
  return c;
}

export interface Bundle {
  id: string;
  dir: string;
  out: string;
  config: any;
  probe(): any;
  write(): void;
}

/** A bundle whose /out is a host directory: the probe writes its report there. */
export function makeBundle(edit?: (c: any, b: { id: string; out: string }) => void, id = uniqueId()): Bundle {
  const dir = tempDir('skiff-bundle-');
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const config = baseConfig();
  config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  config.linux.cgroupsPath = `${CGROUP_PREFIX}/${id}`;
  edit?.(config, { id, out });
  const b: Bundle = {
    id,
    dir,
    out,
    config,
    probe: () => JSON.parse(fs.readFileSync(path.join(out, 'probe.json'), 'utf8')),
    write: () => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(b.config, null, 1)),
  };
  b.write();
  return b;
}

export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function waitProbe(b: Bundle, ms = 10_000): Promise<void> {
  return waitFor(`probe report of ${b.id}`, () => fs.existsSync(path.join(b.out, 'probe.json')), ms);
}

export function stateOf(id: string, root = STATE_ROOT): any {
  const r = skiff(['state', id], { root });
  if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every cgroup directory a container with this cgroupsPath would have, on every hierarchy. */
export function cgroupDirs(cgroupsPath: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(path.join(line.split(' ')[4]!, cgroupsPath));
  }
  return out;
}

export function mountsMentioning(s: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(s));
}

/** Nothing of the container is left: no state dir, no cgroup, no process, no mount. */
export function assertGone(b: Bundle, pid?: number, root = STATE_ROOT): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(root, b.id))) left.push(`state dir ${path.join(root, b.id)}`);
  const cg = b.config.linux?.cgroupsPath;
  // Only cgroups under the test's own prefix are the test's to check (a hostile config may name others).
  if (typeof cg === 'string' && cg.startsWith(CGROUP_PREFIX + '/'))
    for (const d of cgroupDirs(cg)) if (fs.existsSync(d)) left.push(`cgroup ${d}`);
  if (pid && pidAlive(pid)) left.push(`process ${pid}`);
  for (const m of mountsMentioning(b.dir)) left.push(`mount ${m}`);
  return left;
}

/** Removes a cgroup directory and those below it, deepest first; a busy one stays. */
export function rmCgroupTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // busy: reported by the suite's leak check
  }
}

/** Deletes every container under the test root, then the cgroup prefix and temp dirs. */
export function cleanupAll(root = STATE_ROOT): void {
  if (fs.existsSync(root)) {
    for (const id of fs.readdirSync(root)) skiff(['delete', '--force', id], { root });
    fs.rmSync(root, { recursive: true, force: true });
  }
  for (const d of cgroupDirs(CGROUP_PREFIX)) rmCgroupTree(d);
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
