// `skiff check [--bundle DIR] [--format text|json]`: says whether a bundle would run, and why not,
// without running it: config.json (schema + MUST rules), the rootfs, process.args[0] and
// process.cwd inside it, and what the host and skiff support (src/spec/host-support.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { hostFindings, type Finding } from '../spec/host-support';
import { readJsonFile, SpecError } from '../spec/json-file';
import { configWarnings, MAX_REPORTED_PROBLEMS, validateConfig } from '../spec/validate';

export type { Finding } from '../spec/host-support';

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
function isStr(x: unknown): x is string {
  return typeof x === 'string';
}
function q(s: string): string {
  return JSON.stringify(s);
}

// ---------------------------------------------------------------------------------------------
// The container's file tree as create would build it: the rootfs, with bind mounts on top.
// Paths are resolved one component at a time, symlinks inside the tree included, so nothing is
// ever looked up outside it: an absolute symlink target starts again from the container's "/",
// and ".." stops at "/" (what skiff-init does with openat2(RESOLVE_IN_ROOT)).

interface MountCover {
  /** Normalised absolute destination in the container. */
  dest: string;
  /** Host directory or file for bind mounts; undefined for other mounts (tmpfs, proc, ...). */
  source?: string;
  type: string;
  index: number;
}

export interface ContainerTree {
  rootfs: string;
  mounts: MountCover[];
}

export type Lookup =
  | { kind: 'found'; path: string; host: string; stat: fs.Stats; hops: string[] }
  | { kind: 'missing'; path: string; hops: string[] }
  | { kind: 'notdir'; path: string; hops: string[] }
  | { kind: 'mount'; path: string; mount: MountCover; hops: string[] }
  | { kind: 'loop'; path: string; hops: string[] }
  | { kind: 'error'; path: string; message: string; hops: string[] };

const MAX_SYMLINKS = 40;

export function containerTree(rootfs: string, bundle: string, mounts: unknown): ContainerTree {
  const out: MountCover[] = [];
  (Array.isArray(mounts) ? mounts : []).forEach((m, index) => {
    if (!isObj(m) || !isStr(m.destination) || m.destination === '') return;
    const dest = path.posix.normalize('/' + m.destination).replace(/\/+$/, '') || '/';
    const options = Array.isArray(m.options) ? m.options : [];
    const bind = m.type === 'bind' || options.includes('bind') || options.includes('rbind');
    const type = isStr(m.type) ? m.type : '';
    out.push({
      dest,
      source: bind && isStr(m.source) && m.source !== '' ? path.resolve(bundle, m.source) : undefined,
      type: bind ? 'bind' : type,
      index,
    });
  });
  return { rootfs, mounts: out };
}

/** The mount that provides container path `p` (the last one wins, like mounting in order), if any. */
function coverOf(tree: ContainerTree, p: string): MountCover | undefined {
  let best: MountCover | undefined;
  for (const m of tree.mounts) {
    if (p === m.dest || m.dest === '/' || p.startsWith(m.dest + '/')) {
      if (!best || m.dest.length >= best.dest.length) best = m;
    }
  }
  return best;
}

function hostPathOf(tree: ContainerTree, p: string): { host?: string; mount?: MountCover } {
  const m = coverOf(tree, p);
  if (!m) return { host: path.join(tree.rootfs, p) };
  if (m.source === undefined) return { mount: m };
  return { host: m.dest === p ? m.source : path.join(m.source, p.slice(m.dest === '/' ? 0 : m.dest.length)) };
}

/** Resolves container path `p` (relative paths from `cwd`) inside the tree. Never throws. */
export function lookup(tree: ContainerTree, p: string, cwd = '/'): Lookup {
  const hops: string[] = [];
  let done: string[] = [];
  let todo = (p.startsWith('/') ? p : `${cwd}/${p}`).split('/');
  let symlinks = 0;
  const current = (extra?: string) => '/' + (extra === undefined ? done : [...done, extra]).join('/');
  for (;;) {
    // Skip "." and empty components; ".." never goes above "/".
    while (todo.length && (todo[0] === '' || todo[0] === '.' || todo[0] === '..')) {
      if (todo.shift() === '..') done.pop();
    }
    const cpath = todo.length ? current(todo[0]) : current();
    const where = hostPathOf(tree, cpath);
    if (where.mount) {
      if (todo.length) todo.shift();
      return { kind: 'mount', path: cpath, mount: where.mount, hops };
    }
    const host = where.host!;
    const cover = coverOf(tree, cpath);
    let st: fs.Stats;
    try {
      // A bind mount's source is resolved on the host; everything else inside the container.
      st = cover && cover.dest === cpath ? fs.statSync(host) : fs.lstatSync(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing directories on the way to a mount destination are created by skiff-init.
      if (code === 'ENOENT' && todo.length && tree.mounts.some((m) => m.dest.startsWith(cpath + '/'))) {
        done.push(todo.shift()!);
        continue;
      }
      if (code === 'ENOENT') return { kind: 'missing', path: cpath, hops };
      if (code === 'ENOTDIR') return { kind: 'notdir', path: cpath, hops };
      return { kind: 'error', path: cpath, message: `${code ?? (err as Error).message}`, hops };
    }
    if (!todo.length) return { kind: 'found', path: cpath, host, stat: st, hops };
    if (st.isSymbolicLink()) {
      if (++symlinks > MAX_SYMLINKS) return { kind: 'loop', path: cpath, hops };
      let target: string;
      try {
        target = fs.readlinkSync(host);
      } catch (err) {
        return { kind: 'error', path: cpath, message: (err as NodeJS.ErrnoException).code ?? String(err), hops };
      }
      hops.push(`${cpath} -> ${target}`);
      todo.shift();
      if (target.startsWith('/')) done = [];
      todo = [...target.split('/'), ...todo];
      continue;
    }
    const rest = todo.slice(1).filter((c) => c !== '' && c !== '.');
    if (rest.length && !st.isDirectory()) return { kind: 'notdir', path: cpath, hops };
    done.push(todo.shift()!);
  }
}

// ---------------------------------------------------------------------------------------------
// process.args[0] and process.cwd

interface UserIds {
  uid: number;
  gids: number[];
  uidMap?: { containerID: number; hostID: number; size: number }[];
  gidMap?: { containerID: number; hostID: number; size: number }[];
}

function mapToContainer(id: number, map: UserIds['uidMap']): number {
  if (!map) return id;
  for (const m of map) if (id >= m.hostID && id < m.hostID + m.size) return id - m.hostID + m.containerID;
  return -1; // unmapped: the overflow id, which no process has
}

function userIds(doc: Obj): UserIds {
  const proc = isObj(doc.process) ? doc.process : {};
  const user = isObj(proc.user) ? proc.user : {};
  const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);
  const gids = [
    num(user.gid) ?? 0,
    ...(Array.isArray(user.additionalGids) ? user.additionalGids.filter((g): g is number => typeof g === 'number') : []),
  ];
  const linux = isObj(doc.linux) ? doc.linux : {};
  const userNs = Array.isArray(linux.namespaces) && linux.namespaces.some((n) => isObj(n) && n.type === 'user');
  const maps = (x: unknown) => (userNs && Array.isArray(x) ? (x.filter(isObj) as unknown as UserIds['uidMap']) : undefined);
  return { uid: num(user.uid) ?? 0, gids, uidMap: maps(linux.uidMappings), gidMap: maps(linux.gidMappings) };
}

/** Whether the container's user may execute this file (mode bits; root needs any x bit). */
function mayExecute(st: fs.Stats, ids: UserIds): boolean {
  if (ids.uid === 0) return (st.mode & 0o111) !== 0;
  if (mapToContainer(st.uid, ids.uidMap) === ids.uid) return (st.mode & 0o100) !== 0;
  if (ids.gids.includes(mapToContainer(st.gid, ids.gidMap))) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

function mode(st: fs.Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

function via(hops: string[]): string {
  if (hops.length === 0) return '';
  const shown = hops.length > 4 ? [...hops.slice(0, 3), `... ${hops.length - 3} more symlinks`] : hops;
  return ` (via ${shown.join(', ')})`;
}

/** Why a resolved candidate cannot be executed, or undefined when it can. */
function notExecutable(l: Lookup & { kind: 'found' }, ids: UserIds): string | undefined {
  if (l.stat.isDirectory()) return `${l.path} is a directory`;
  if (!l.stat.isFile()) return `${l.path} is not a regular file`;
  if (!mayExecute(l.stat, ids)) return `${l.path} is not executable by uid ${ids.uid} (mode ${mode(l.stat)})`;
  return undefined;
}

function describeMiss(l: Lookup): string {
  switch (l.kind) {
    case 'missing':
      return `${l.path} does not exist in the rootfs${via(l.hops)}`;
    case 'notdir':
      return `${l.path} is not a directory${via(l.hops)}`;
    case 'loop':
      return `too many levels of symbolic links at ${l.path}${via(l.hops)}`;
    case 'error':
      return `${l.path}: ${l.message}${via(l.hops)}`;
    default:
      return l.path;
  }
}

function envValue(env: unknown, key: string): string | undefined {
  if (!Array.isArray(env)) return undefined;
  for (const e of env) if (isStr(e) && e.startsWith(key + '=')) return e.slice(key.length + 1);
  return undefined;
}

/** skiff-init's default when the process has no PATH (src/addon/init/process.cc). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function argsFinding(doc: Obj, tree: ContainerTree, cwd: string): Finding | undefined {
  const proc = isObj(doc.process) ? doc.process : undefined;
  if (!proc || !Array.isArray(proc.args) || !isStr(proc.args[0]) || proc.args[0] === '') return undefined;
  const name = proc.args[0];
  const pointer = '/process/args/0';
  const ids = userIds(doc);
  const found = (l: Lookup & { kind: 'found' }, how: string, candidate: string): Finding => {
    const why = notExecutable(l, ids);
    const shown = path.posix.normalize(candidate.startsWith('/') ? candidate : `${cwd}/${candidate}`);
    const resolved = shown === l.path ? '' : ` (resolves to ${l.path})`;
    return why
      ? { path: pointer, verdict: 'error', message: `${q(name)}: ${why}${via(l.hops)}` }
      : { path: pointer, verdict: 'ok', message: `${q(name)} ${how} ${shown}${resolved}, an executable file` };
  };
  const onMount = (l: Lookup & { kind: 'mount' }): Finding => ({
    path: pointer,
    verdict: 'warning',
    message: `${q(name)} would be on the ${l.mount.type || 'unknown'} mount at ${l.mount.dest} (/mounts/${l.mount.index}): not checked`,
  });

  if (name.includes('/')) {
    const l = lookup(tree, name, cwd);
    if (l.kind === 'found') return found(l, 'is', name);
    if (l.kind === 'mount') return onMount(l);
    return { path: pointer, verdict: 'error', message: `${q(name)} not found in the rootfs: ${describeMiss(l)}` };
  }
  const given = envValue(proc.env, 'PATH');
  const searchPath = given === undefined || given === '' ? DEFAULT_PATH : given;
  let firstDenied: Finding | undefined;
  let firstDangling: string | undefined;
  for (const dir of searchPath.split(':')) {
    const candidate = `${dir === '' ? '.' : dir}/${name}`;
    const l = lookup(tree, candidate, cwd);
    if (l.kind === 'mount') return onMount(l);
    if (l.kind !== 'found') {
      // A candidate that exists as a symlink leading nowhere inside the rootfs is worth naming.
      if (l.hops.some((h) => h.startsWith(path.posix.normalize(`${candidate.startsWith('/') ? '' : cwd + '/'}${candidate}`) + ' -> '))) {
        firstDangling ??= describeMiss(l);
      }
      continue;
    }
    const f = found(l, 'found at', candidate);
    if (f.verdict === 'ok') return f;
    firstDenied ??= f;
  }
  if (firstDenied) return firstDenied;
  const shown = given === undefined || given === '' ? `PATH unset, so ${DEFAULT_PATH}` : `PATH=${searchPath}`;
  const dangling = firstDangling ? `; ${firstDangling}` : '';
  return { path: pointer, verdict: 'error', message: `${q(name)} not found in the rootfs (${shown})${dangling}` };
}

function cwdFinding(doc: Obj, tree: ContainerTree): Finding | undefined {
  const proc = isObj(doc.process) ? doc.process : undefined;
  if (!proc || !isStr(proc.cwd) || !proc.cwd.startsWith('/')) return undefined;
  const cwd = proc.cwd;
  const l = lookup(tree, cwd);
  switch (l.kind) {
    case 'found':
      return l.stat.isDirectory()
        ? { path: '/process/cwd', verdict: 'ok', message: `${cwd} is a directory${via(l.hops)}` }
        : { path: '/process/cwd', verdict: 'error', message: `${cwd} is not a directory${via(l.hops)}` };
    case 'missing':
      return { path: '/process/cwd', verdict: 'warning', message: `${cwd} does not exist in the rootfs: it will be created` };
    case 'mount':
      return {
        path: '/process/cwd',
        verdict: 'ok',
        message: `${cwd} is on the ${l.mount.type || 'unknown'} mount at ${l.mount.dest} (not checked)`,
      };
    default:
      return { path: '/process/cwd', verdict: 'error', message: `${cwd} cannot be used: ${describeMiss(l)}` };
  }
}

/** Bind mount sources are host paths (relative ones from the bundle): a missing one fails create. */
function bindSourceFindings(doc: Obj, bundle: string): Finding[] {
  const out: Finding[] = [];
  (Array.isArray(doc.mounts) ? doc.mounts : []).forEach((m, i) => {
    if (!isObj(m) || !isStr(m.source) || m.source === '') return;
    const options = Array.isArray(m.options) ? m.options : [];
    if (!(m.type === 'bind' || options.includes('bind') || options.includes('rbind'))) return;
    const src = path.resolve(bundle, m.source);
    try {
      fs.statSync(src);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.push({
        path: `/mounts/${i}/source`,
        verdict: 'error',
        message: `${src} ${code === 'ENOENT' ? 'does not exist on the host' : `cannot be used: ${code}`}: the bind mount would fail`,
      });
    }
  });
  return out;
}

/** startContainer hooks: config.md says their path resolves in the container, so look in the tree. */
function startHookFindings(doc: Obj, tree: ContainerTree): Finding[] {
  const out: Finding[] = [];
  const hooks = isObj(doc.hooks) && Array.isArray(doc.hooks.startContainer) ? doc.hooks.startContainer : [];
  hooks.forEach((h, i) => {
    if (!isObj(h) || !isStr(h.path) || !h.path.startsWith('/')) return;
    const pointer = `/hooks/startContainer/${i}/path`;
    const l = lookup(tree, h.path);
    if (l.kind === 'mount') return;
    const why = l.kind === 'found' ? notExecutable(l, { uid: 0, gids: [0] }) : `${describeMiss(l)}`;
    if (why)
      out.push({
        path: pointer,
        verdict: 'error',
        message: `${q(h.path)} (resolved in the container): ${why}: the startContainer hook would fail, and with it start`,
      });
  });
  return out;
}

/** root.path, args[0], cwd and startContainer hooks. */
export function bundleFindings(doc: unknown, bundle: string): Finding[] {
  if (!isObj(doc)) return [];
  const out: Finding[] = [];
  const root = isObj(doc.root) ? doc.root : undefined;
  if (doc.root !== undefined && (!root || (root.path !== undefined && !isStr(root.path)))) return out; // the schema reports it
  const rootPath = root && isStr(root.path) ? root.path : 'rootfs';
  const abs = path.resolve(bundle, rootPath);
  let rootfs: string;
  try {
    rootfs = fs.realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    out.push({ path: '/root/path', verdict: 'error', message: code === 'ENOENT' ? `${abs} does not exist` : `${abs}: ${code}` });
    return out;
  }
  if (!fs.statSync(rootfs).isDirectory()) {
    out.push({ path: '/root/path', verdict: 'error', message: `${abs} is not a directory` });
    return out;
  }
  out.push({ path: '/root/path', verdict: 'ok', message: `${rootfs} is a directory` });
  const tree = containerTree(rootfs, bundle, doc.mounts);
  const proc = isObj(doc.process) ? doc.process : undefined;
  const cwd = proc && isStr(proc.cwd) && proc.cwd.startsWith('/') ? proc.cwd : '/';
  const a = argsFinding(doc, tree, cwd);
  if (a) out.push(a);
  const c = cwdFinding(doc, tree);
  if (c) out.push(c);
  out.push(...bindSourceFindings(doc, bundle));
  out.push(...startHookFindings(doc, tree));
  return out;
}

// ---------------------------------------------------------------------------------------------
// the command

export interface CheckReport {
  bundle: string;
  ok: boolean;
  findings: Finding[];
}

/** Is `p` the pointer `prefix` or below it? */
function under(p: string, prefix: string): boolean {
  return prefix === '' || p === prefix || p.startsWith(prefix + '/');
}

export function checkBundle(bundleDir: string, opts: { systemdCgroup?: boolean } = {}): CheckReport {
  const bundle = path.resolve(bundleDir);
  const findings: Finding[] = [];
  const report = (): CheckReport => ({ bundle, ok: !findings.some((f) => f.verdict === 'error'), findings });
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(bundle);
  } catch {
    st = undefined;
  }
  if (!st || !st.isDirectory()) {
    findings.push({ path: '', verdict: 'error', message: `bundle ${bundle}: ${st ? 'not a directory' : 'no such file or directory'}` });
    return report();
  }
  let doc: unknown;
  try {
    doc = readJsonFile(path.join(bundle, 'config.json'), 'config.json');
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    for (const message of err.problems) findings.push({ path: '', verdict: 'error', message });
    return report();
  }
  const problems = validateConfig(doc, { requireProcess: true, systemdCgroup: opts.systemdCgroup });
  for (const p of problems) findings.push({ path: p.path, verdict: 'error', message: p.message });
  for (const w of configWarnings(doc)) findings.push({ path: w.path, verdict: 'warning', message: w.message });
  if (problems.length === 0) {
    findings.push({ path: '', verdict: 'ok', message: 'config.json: valid (runtime-spec schema and MUST rules)' });
  }
  // What the bundle and host checks find about a part that is already invalid adds nothing.
  const known = problems.map((p) => p.path);
  for (const f of [...bundleFindings(doc, bundle), ...hostFindings(doc, opts)]) {
    if (f.path === 'host' || !known.some((k) => under(f.path, k))) findings.push(f);
  }
  return report();
}

function pad(v: string): string {
  return v.padEnd(8);
}

export function formatText(r: CheckReport): string {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  let shownErrors = 0;
  for (const f of r.findings) {
    if (f.verdict === 'error') errors++;
    if (f.verdict === 'warning') warnings++;
    if (f.verdict === 'error' && ++shownErrors > MAX_REPORTED_PROBLEMS) continue;
    lines.push(`${pad(f.verdict)}${f.path === '' ? '' : `${f.path}: `}${f.message}`);
  }
  if (shownErrors > MAX_REPORTED_PROBLEMS) {
    const more = shownErrors - MAX_REPORTED_PROBLEMS;
    lines.push(`${pad('error')}... and ${more} more error${more === 1 ? '' : 's'} (--format json lists them all)`);
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  lines.push(
    r.ok
      ? `bundle ${r.bundle}: would run${warnings ? ` (${plural(warnings, 'warning')})` : ''}`
      : `bundle ${r.bundle}: would not run (${plural(errors, 'error')})`,
  );
  return lines.join('\n') + '\n';
}

/** Prints the report; returns the exit code (0: would run, 1: would not). */
export function check(g: Globals, opts: { bundle?: string; format?: string }): number {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new SkiffError(`invalid --format "${format}": use text or json`);
  const r = checkBundle(opts.bundle ?? '.', { systemdCgroup: g.systemdCgroup });
  fs.writeSync(1, format === 'json' ? JSON.stringify(r, null, 2) + '\n' : formatText(r));
  return r.ok ? 0 : 1;
}
