// What checkpoint and restore share: runc's CRIU flags, the checks before CRIU runs, the image
// and work directories, the plan's view of the container's mounts, and the container's cgroups
// as CRIU sees them.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { v1Dir } from '../cgroups/apply';
import type { CgroupPaths } from '../cgroups/manager';
import { SkiffError, fsErrorText } from '../errors';
import type { CreatePlan } from '../linux/launch-plan';
import { buildPlan } from '../linux/plan';
import { euid, inUserNamespace } from '../rootless';
import type { Spec } from '../spec/types';
import { CRIU_REQ, type CgMode, type CgroupRoot, type CriuFeatures, type CriuOpts } from './rpc';
import { criuVersion, findCriu, swrk } from './swrk';

/** Flags checkpoint and restore both take (runc's names). */
export interface CriuFlags {
  imagePath?: string;
  workPath?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  manageCgroupsMode?: CgMode;
  /** CLONE_NEW* mask (--empty-ns). */
  emptyNs?: number;
  autoDedup?: boolean;
  lazyPages?: boolean;
  /** --criu. */
  criu?: string;
}

/** CRIU, found and asked its version: a missing or broken CRIU fails here, in one line. */
export async function startCriu(what: 'checkpoint' | 'restore', explicit?: string): Promise<{ criu: string; version: string }> {
  // CRIU needs all of root's capabilities in the initial user namespace (ptrace of every task,
  // the mount namespace's root, the cgroups).
  if (euid() !== 0 || inUserNamespace())
    throw new SkiffError(`${what} needs root in the host's user namespace: CRIU cannot ${what} a container otherwise`);
  const criu = findCriu(explicit);
  return { criu, version: await criuVersion(criu) };
}

/** A directory of the images (made for a checkpoint), opened for CRIU: it reaches it as /proc/<skiff>/fd/N. */
function openImageDir(dir: string, flag: string, make: boolean): number {
  try {
    if (make) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new SkiffError(`${flag} ${dir}: ${fsErrorText(err)}`);
  }
}

/**
 * --image-path and --work-path opened for CRIU (the images made for a checkpoint, the work
 * directory always); the fds go into `fds` for the caller to close, the log file's path is returned.
 */
export function openCriuDirs(
  f: CriuFlags,
  imageDir: string,
  makeImages: boolean,
  logName: string,
  fds: number[],
): { imagesDirFd: number; workDirFd?: number; logFile: string } {
  const imagesDirFd = openImageDir(imageDir, '--image-path', makeImages);
  fds.push(imagesDirFd);
  let workDirFd: number | undefined;
  if (f.workPath) {
    workDirFd = openImageDir(path.resolve(f.workPath), '--work-path', true);
    fds.push(workDirFd);
  }
  return { imagesDirFd, workDirFd, logFile: path.join(f.workPath ? path.resolve(f.workPath) : imageDir, logName) };
}

/** The options every request carries, from the flags. */
export function commonOpts(f: CriuFlags, imagesDirFd: number, workDirFd: number | undefined, logFile: string, spec: Spec): CriuOpts {
  // runc's rule: the annotation org.criu.config names a CRIU configuration file ("" for none);
  // without it, /etc/criu/runc.conf (CRIU skips a file that does not exist).
  const conf = spec.annotations?.['org.criu.config'];
  return {
    imagesDirFd,
    workDirFd,
    logLevel: 4,
    logFile,
    manageCgroups: true,
    notifyScripts: true,
    orphanPtsMaster: true,
    shellJob: f.shellJob,
    tcpEstablished: f.tcpEstablished,
    extUnixSk: f.extUnixSk,
    fileLocks: f.fileLocks,
    emptyNs: f.emptyNs,
    autoDedup: f.autoDedup,
    lazyPages: f.lazyPages,
    manageCgroupsMode: f.manageCgroupsMode,
    configFile: conf === undefined ? '/etc/criu/runc.conf' : conf || undefined,
  };
}

/** The mounts and devices create gave the container, as its plan has them (criu/options.ts reads them). */
export function mountPlan(spec: Spec, bundle: string, rootfs: string, cgroup: CgroupPaths): CreatePlan {
  return buildPlan({
    spec,
    bundle,
    rootfs,
    cgroup,
    noPivot: false,
    fds: { fifo: -1, console: -1, preserve: 0 },
    inUserns: inUserNamespace(),
  }).init;
}

/** The directory CRIU freezes the container through (v1 freezer, or the cgroup2 directory). */
export function freezerOf(p: CgroupPaths): string | undefined {
  if (p.none !== undefined) return undefined;
  if (p.mode === 'unified') return p.unified;
  return v1Dir(p, 'freezer');
}

/**
 * cgroup roots for a restore: where CRIU (moved into the container's cgroups) sits, per
 * controller; the restored tasks land at the same place relative to them as at dump.
 */
export function cgroupRoots(procSelfCgroup: string): CgroupRoot[] {
  const out: CgroupRoot[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, , ctrls, p] = m;
    if (!ctrls)
      out.push({ path: p! }); // cgroup2: the root for every controller not named
    else for (const c of ctrls.split(',')) out.push({ ctrl: c, path: p! });
  }
  return out;
}

/** A feature CRIU must have for this request (pre-dump's memory tracking, lazy pages). */
export async function requireFeature(criu: string, version: string, feature: keyof CriuFeatures, flag: string): Promise<void> {
  const r = await swrk(criu, { type: CRIU_REQ.featureCheck, features: { [feature]: true } }, { stdio: 'quiet' });
  if (!r.success || !r.features?.[feature])
    throw new SkiffError(
      `${flag}: CRIU ${version} cannot do it on this host (${feature === 'memTrack' ? 'memory change tracking' : 'lazy pages: userfaultfd'} is not available)`,
    );
}
