// `skiff check [--bundle DIR] [--format text|json]`: says whether a bundle would run, and why not,
// without running it: config.json (schema + MUST rules), what the host and skiff support
// (src/spec/host-support.ts), then a trial create (src/container/trial.ts) for the mounts,
// process.cwd, process.args[0] and startContainer hooks, answered by create's own code.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { resolveCgroupPaths } from '../cgroups/manager';
import { limitsAsked, limitsWithoutCgroup } from '../cgroups/no-cgroup';
import { rootlessCgroupPaths } from '../cgroups/rootless';
import { trialCreate, type TrialOutcome, type TrialPath, type TrialReport } from '../container/trial';
import { errnoName, errnoText } from '../errno';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { hostFindings, type Finding } from '../spec/host-support';
import { readJsonFile, SpecError } from '../spec/json-file';
import type { Resources, Spec } from '../spec/types';
import { configWarnings, MAX_REPORTED_PROBLEMS, validateConfig } from '../spec/validate';

const EROFS = 30;

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
// process.args[0], process.cwd, the mounts and startContainer hooks: a trial create
// (src/container/trial.ts) answers, with the code create runs.

function mode(st: number): string {
  return (st & 0o7777).toString(8).padStart(4, '0');
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** Why the trial's process could not execute `p`. */
function whyNot(p: TrialPath, uid: number): string {
  if (p.mode === undefined) return `${p.path} does not exist in the rootfs${danglingText(p)}`;
  if ((p.mode & S_IFMT) === S_IFDIR) return `${p.path} is a directory`;
  if ((p.mode & S_IFMT) !== S_IFREG) return `${p.path} is not a regular file`;
  if (p.errno === 13) return `${p.path} is not executable by uid ${uid} (mode ${mode(p.mode)})`;
  return `${p.path}: ${errnoText(errnoName(p.errno) ?? `errno ${p.errno}`)}`;
}

/** " (a symlink to /bin/busybox, which does not exist in the rootfs)" for a dangling link. */
function danglingText(p: TrialPath): string {
  if (p.link === undefined) return '';
  const target = path.posix.resolve(path.posix.dirname(p.path.startsWith('/') ? p.path : `/${p.path}`), p.link);
  return `: a symlink to ${p.link}; ${target} does not exist in the rootfs`;
}

function resolvesTo(p: TrialPath): string {
  return p.real !== undefined && p.real !== path.posix.normalize(p.path) ? ` (resolves to ${p.real})` : '';
}

/** Where in config.json a step of the init's belongs. */
const STEP_POINTER: Record<string, string> = {
  exec: '/process/args/0',
  cwd: '/process/cwd',
  mount: '/mounts',
  device: '/linux/devices',
  mask: '/linux/maskedPaths',
  readonly: '/linux/readonlyPaths',
  hostname: '/hostname',
  seccomp: '/linux/seccomp',
  rlimit: '/process/rlimits',
  oom_score_adj: '/process/oomScoreAdj',
  scheduler: '/process/scheduler',
  personality: '/linux/personality',
  user: '/process/user',
  capabilities: '/process/capabilities',
};

function trialReportFindings(r: TrialReport): Finding[] {
  const out: Finding[] = [];
  const x = r.exec;
  const pointer = '/process/args/0';
  const name = q(x.name);
  if (x.found.errno === 0) {
    out.push({
      path: pointer,
      verdict: 'ok',
      message: `${name} ${x.searchPath === '' ? 'is' : 'found at'} ${x.found.path}${resolvesTo(x.found)}, an executable file`,
    });
  } else if (x.found.path !== '' && x.found.mode !== undefined) {
    out.push({ path: pointer, verdict: 'error', message: `${name}: ${whyNot(x.found, r.uid)}` });
  } else {
    const dangling = x.dangling ? `; ${x.dangling.path}${danglingText(x.dangling)}` : '';
    const where = x.searchPath === '' ? `: ${whyNot(x.found, r.uid)}` : ` (PATH=${x.searchPath})${dangling}`;
    out.push({ path: pointer, verdict: 'error', message: `${name} not found in the rootfs${where}` });
  }
  out.push(
    r.cwdCreated
      ? { path: '/process/cwd', verdict: 'warning', message: `${r.cwd} does not exist in the rootfs: it will be created` }
      : { path: '/process/cwd', verdict: 'ok', message: `${r.cwd} is a directory` },
  );
  r.startContainer.forEach((h, i) => {
    if (h.errno === 0) return;
    out.push({
      path: `/hooks/startContainer/${i}/path`,
      verdict: 'error',
      message: `${q(h.path)} (resolved in the container): ${whyNot(h, r.uid)}: the startContainer hook would fail, and with it start`,
    });
  });
  return out;
}

function trialFindings(doc: Spec, bundle: string, rootfs: string): Finding[] {
  let outcome: TrialOutcome;
  try {
    outcome = trialCreate(doc, bundle, rootfs);
  } catch (err) {
    return [{ path: '', verdict: 'error', message: `create would fail: ${SkiffError.from(err).message}` }];
  }
  if (outcome.kind === 'report') return trialReportFindings(outcome.report);
  const f = outcome;
  if (f.step === 'trial')
    return [{ path: '/root/path', verdict: 'warning', message: `not checked further: the trial create could not start: ${f.message}` }];
  // The init's message names the path it could not make: the bind it is under is the one.
  const binds = f.readonlyBinds.filter((d) => f.message.includes(d + '/'));
  if (f.errno === EROFS && binds.length)
    return [
      {
        path: STEP_POINTER[f.step] ?? '',
        verdict: 'warning',
        message: `not checked further: ${f.message}: create would make this inside a bind mount's host directory (${binds.join(', ')}), which check does not write to`,
      },
    ];
  return [{ path: STEP_POINTER[f.step] ?? '', verdict: 'error', message: `create would fail: ${f.message}` }];
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

/** root.path and the bind sources, then the trial create (only for a bundle with no error so far). */
export function bundleFindings(doc: unknown, bundle: string, trial: boolean): Finding[] {
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
  out.push(...bindSourceFindings(doc, bundle));
  if (trial && !out.some((f) => f.verdict === 'error')) out.push(...trialFindings(doc as unknown as Spec, bundle, rootfs));
  return out;
}

// ---------------------------------------------------------------------------------------------
// the command

export interface CheckReport {
  bundle: string;
  ok: boolean;
  findings: Finding[];
}

/** Rootless without a cgroup skiff may make: the limits create would refuse (the same words). */
function rootlessFindings(doc: Spec, opts: { systemdCgroup?: boolean; rootless?: boolean }): Finding[] {
  if (!opts.rootless || opts.systemdCgroup || !isObj(doc) || !isObj(doc.linux)) return [];
  const asked = limitsAsked(doc.linux.resources as Resources | undefined);
  const cgroupsPath = typeof doc.linux.cgroupsPath === 'string' ? doc.linux.cgroupsPath : undefined;
  if (!asked.length) return [];
  let paths;
  try {
    paths = rootlessCgroupPaths(resolveCgroupPaths(cgroupsPath, 'skiff-check'));
  } catch {
    return []; // the cgroupsPath itself is reported elsewhere
  }
  if (paths.none === undefined) return [];
  return [{ path: '/linux/resources', verdict: 'error', message: limitsWithoutCgroup(asked, paths.none) }];
}

/** Is `p` the pointer `prefix` or below it? */
function under(p: string, prefix: string): boolean {
  return prefix === '' || p === prefix || p.startsWith(prefix + '/');
}

export function checkBundle(bundleDir: string, opts: { systemdCgroup?: boolean; rootless?: boolean } = {}): CheckReport {
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
  const host = [...hostFindings(doc, opts), ...rootlessFindings(doc as Spec, opts)];
  // The trial create needs a config create would take: valid, and nothing the host refuses (but
  // hooks, which the trial does not run).
  const trial = problems.length === 0 && !host.some((f) => f.verdict === 'error' && !under(f.path, '/hooks'));
  for (const f of [...bundleFindings(doc, bundle, trial), ...host]) {
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
export function check(g: Globals, opts: { bundle?: string; format?: string; checkpoint?: boolean }): number {
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new SkiffError(`invalid --format "${format}": use text or json`);
  const r = checkBundle(opts.bundle ?? '.', { systemdCgroup: g.systemdCgroup, rootless: g.rootless });
  // Whether this container could be checkpointed here: CRIU's own word (it takes a moment).
  if (opts.checkpoint) r.findings.push((require('../criu/probe') as typeof import('../criu/probe')).criuFinding(g.criu));
  fs.writeSync(1, format === 'json' ? JSON.stringify(r, null, 2) + '\n' : formatText(r));
  return r.ok ? 0 : 1;
}
