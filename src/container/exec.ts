// exec: a new process in a running container. It is born in the container's pid namespace and
// cgroups (the addon joins both around the clone), and skiff-init joins the other namespaces of
// the container's init before setting up the process exactly like the init's own.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { v1ProcsFiles } from '../cgroups/manager';
import { subCgroupPaths } from '../cgroups/sub-cgroup';
import { warmCgroupMigration } from '../cgroups/migration-warmup';
import { SkiffError, messageOf } from '../errors';
import { faultPoint } from '../fault';
import { log } from '../log';
import { CAPABILITY_SETS, capabilityBit, type CapabilityWarning } from '../linux/capabilities';
import { runtimeBoundingSet } from '../linux/own-capabilities';
import { checkAppArmor, selinuxEnabled } from '../linux/lsm';
import { seccompFdSender } from '../linux/seccomp-agent';
import { CLONE, NS_FLAG, NS_PROC_NAME } from '../linux/namespaces';
import { serializePlan } from '../linux/launch-plan';
import { buildExecPlan, planProcess } from '../linux/plan';
import { launchInit } from './launch';
import { native } from '../native';
import { initPath } from '../paths';
import { euid, inUserNamespace } from '../rootless';
import type { NamespaceType, Process } from '../spec/types';
import type { ContainerState } from '../state/container-state';
import { initAlive, ociState } from '../state/status';
import { writeFileAtomic, type Store } from '../state/store';
import { currentStatus } from './lifecycle';
import { TerminalRelay } from './terminal-relay';

export interface ExecOptions {
  id: string;
  args: string[];
  processFile?: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** runc's --pidfd-socket: a pidfd of the process goes there. */
  pidfdSocket?: string;
  tty?: boolean;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  ignorePaused?: boolean;
  /** --cgroup (runc 1.2): existing sub-cgroups of the container's to run the process in. */
  cgroups?: string[];
}

/** runc's exit status for an exec that could not be set up. */
export const EXEC_FAILED = 255;

const fail = (msg: string) => new SkiffError(msg, EXEC_FAILED);

function parseUser(text: string): { uid: number; gid?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) throw fail(`--user "${text}": expected UID[:GID] (numeric)`);
  return { uid: Number(m[1]), gid: m[2] === undefined ? undefined : Number(m[2]) };
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const kv of extra) {
    const key = kv.split('=')[0];
    const i = out.findIndex((e) => e.split('=')[0] === key);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/** The process to run: --process FILE, or config.json's process with the command line's changes. */
export function execProcess(s: ContainerState, o: ExecOptions): Process {
  let proc: Process;
  if (o.processFile) {
    if (o.args.length) throw fail('exec: give either --process or a command, not both');
    const { loadProcess } = require('../spec/validate') as typeof import('../spec/validate');
    try {
      proc = loadProcess(path.resolve(o.processFile)) as Process;
    } catch (err) {
      throw fail(messageOf(err));
    }
  } else {
    if (!o.args.length) throw fail('exec: a command is required (or --process FILE)');
    const t = s.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };
    proc = structuredClone(t) as Process;
    proc.args = o.args;
    proc.terminal = !!o.tty;
    delete proc.consoleSize;
  }
  proc.user ??= { uid: 0, gid: 0 };
  if (o.cwd) proc.cwd = o.cwd;
  if (o.env.length) proc.env = mergeEnv(proc.env ?? [], o.env);
  if (o.user) {
    const u = parseUser(o.user);
    proc.user = { ...proc.user, uid: u.uid, gid: u.gid ?? proc.user.gid };
  }
  if (o.additionalGids.length) {
    proc.user.additionalGids = o.additionalGids.map((g) => {
      if (!/^\d+$/.test(g)) throw fail(`--additional-gids "${g}": expected a numeric gid`);
      return Number(g);
    });
  }
  if (o.caps.length) {
    const c = (proc.capabilities ??= {});
    for (const cap of o.caps) {
      const name = cap.toUpperCase().startsWith('CAP_') ? cap.toUpperCase() : `CAP_${cap.toUpperCase()}`;
      // As for config.json (runtime-spec 1.3.0): a name that maps to no capability is a warning.
      if (capabilityBit(name) === undefined) {
        log('warning', `--cap: unknown capability "${cap}": left out`);
        continue;
      }
      for (const set of CAPABILITY_SETS) {
        const list = (c[set] ??= []);
        if (!list.includes(name)) list.push(name);
      }
    }
  }
  if (o.noNewPrivs) proc.noNewPrivileges = true;
  if (o.tty) proc.terminal = true;
  if (o.apparmor) proc.apparmorProfile = o.apparmor;
  const lsm = checkAppArmor(proc.apparmorProfile, 'exec');
  if (lsm) throw fail(lsm);
  if (o.processLabel || proc.selinuxLabel) {
    if (selinuxEnabled()) throw fail('exec: SELinux labels are not supported by skiff yet');
    log('warning', 'exec: the SELinux label is ignored: SELinux is not enabled on this host');
  }
  return proc;
}

function nsInode(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** The container's namespaces that differ from skiff's own (joining one's own user ns is EINVAL). */
function namespacesToJoin(pid: number): { join: { type: NamespaceType; flag: number; path: string }[]; pidns?: string; root?: string } {
  const order: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount'];
  const join = [];
  for (const type of order) {
    const p = `/proc/${pid}/ns/${NS_PROC_NAME[type]}`;
    const theirs = nsInode(p);
    if (theirs !== undefined && theirs !== nsInode(`/proc/self/ns/${NS_PROC_NAME[type]}`))
      join.push({ type, flag: NS_FLAG[type], path: p });
  }
  const pidns = `/proc/${pid}/ns/pid`;
  const differs = nsInode(pidns) !== nsInode('/proc/self/ns/pid');
  // A container in skiff's own mount namespace is chrooted: the exec'd process follows it there.
  const root = join.some((j) => j.type === 'mount') ? undefined : `/proc/${pid}/root`;
  return { join, pidns: differs ? pidns : undefined, root };
}

export async function execInContainer(store: Store, o: ExecOptions): Promise<number> {
  const s = store.read(o.id);
  // Before anything else: it overlaps a kernel wait of ~20 ms with the work below.
  if (s.cgroup.mode !== 'unified' && s.cgroup.none === undefined) warmCgroupMigration();
  const status = currentStatus(store, s);
  if (status === 'stopped' || status === 'creating')
    throw fail(`cannot exec in container "${o.id}": container not running (it is ${status})`);
  if (status === 'paused' && !o.ignorePaused) throw fail(`cannot exec in a paused container (use --ignore-paused)`);
  const proc = execProcess(s, o);
  if (proc.terminal && !o.consoleSocket && o.detach) throw fail('exec: a detached process with a terminal needs --console-socket');
  // In the foreground without a console socket, skiff relays the terminal itself.
  const relay = proc.terminal && !o.consoleSocket ? new TerminalRelay() : undefined;
  for (let fd = 3; fd < 3 + o.preserveFds; fd++) {
    try {
      fs.fstatSync(fd);
    } catch {
      throw fail(`--preserve-fds=${o.preserveFds}: fd ${fd} is not open`);
    }
  }

  const n = native();
  const fds: number[] = [];
  try {
    let consoleFd = -1;
    if (proc.terminal && o.consoleSocket) {
      consoleFd = n.connectUnix(path.resolve(o.consoleSocket));
      fds.push(consoleFd);
    } else if (relay) {
      consoleFd = relay.childEnd;
    }
    let cg = s.cgroup;
    if (o.cgroups?.length && s.cgroup.none !== undefined) throw fail(`exec --cgroup: the container has no cgroup (${s.cgroup.none})`);
    if (o.cgroups?.length) {
      try {
        cg = subCgroupPaths(s.cgroup, o.cgroups);
      } catch (err) {
        throw fail(messageOf(err));
      }
      const own = new Set([s.cgroup.unified, ...Object.values(s.cgroup.v1)]);
      for (const dir of [cg.unified, ...Object.values(cg.v1)]) {
        if (dir && !own.has(dir) && !fs.existsSync(dir))
          throw fail(`exec --cgroup: ${dir} does not exist (the sub-cgroup must be made first)`);
      }
    }
    let cgroupFd: number | undefined;
    if (cg.unified && fs.existsSync(cg.unified)) {
      cgroupFd = n.openDir(cg.unified);
      fds.push(cgroupFd);
    }
    let planned;
    try {
      const warnings: CapabilityWarning[] = [];
      planned = planProcess(proc, 'process', runtimeBoundingSet(), warnings);
      for (const w of warnings) log('warning', `exec: ${w.message}`);
    } catch (err) {
      throw fail(messageOf(err));
    }
    // The init's pid must still be the container's when its namespaces are opened.
    if (!initAlive(s)) throw fail(`cannot exec in container "${o.id}": container not running`);
    const ns = namespacesToJoin(s.pid);
    // Unprivileged, or root of a user namespace (a rootless podman's), skiff cannot join the pid
    // namespace and come back (that needs CAP_SYS_ADMIN over the host's): the init joins it, from
    // inside the container's user namespace if it has one, and forks into it.
    if (ns.pidns && (euid() !== 0 || inUserNamespace())) {
      ns.join.push({ type: 'pid', flag: CLONE.NEWPID, path: ns.pidns });
      ns.pidns = undefined;
      // The process is then the init's child, and comes to skiff to be waited for as an orphan.
      if (!o.detach) n.setChildSubreaper();
    }
    const keepFds = consoleFd >= 0 ? [consoleFd] : [];
    for (let fd = 3; fd < 3 + o.preserveFds; fd++) keepFds.push(fd);
    const spawned = launchInit(
      {
        initPath: initPath(),
        cloneFlags: 0,
        cgroupFd,
        pidnsPath: ns.pidns,
        cgroupProcs: v1ProcsFiles(cg).filter((f) => fs.existsSync(f)),
        keepFds,
      },
      serializePlan(
        buildExecPlan({
          join: ns.join,
          root: ns.root ?? null,
          process: planned,
          seccomp: s.seccomp,
          fds: { fifo: -1, console: consoleFd, preserve: o.preserveFds },
        }),
      ),
      false,
      { seccompFd: seccompFdSender(s.seccomp, () => ociState(s, 'running')) },
    );
    const pid = spawned.pid;
    faultPoint('exec-ready');
    // Handed over only once it is recorded: an exec killed (or failing) before this takes the
    // process along (closing sync without the word ends it).
    try {
      if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid));
      if (o.pidfdSocket) n.sendPidfd(path.resolve(o.pidfdSocket), pid, 'setns');
    } catch (err) {
      n.closeFd(spawned.sync);
      throw err;
    }
    n.commitInit(spawned.sync);
    faultPoint('exec-committed');
    for (const fd of fds.splice(0)) n.closeFd(fd);
    relay?.attach();
    if (o.detach) return 0;
    const forward = (sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
    for (const sig of signals) if (!(relay && sig === 'SIGWINCH')) process.on(sig, forward);
    const st = await n.waitPid(pid);
    for (const sig of signals) process.off(sig, forward);
    await relay?.finish();
    return st.code ?? 128 + (st.signal ?? 0);
  } catch (err) {
    relay?.abandon();
    if (err instanceof SkiffError) throw err;
    const e = SkiffError.from(err);
    throw new SkiffError(e.step ? `exec failed: ${e.message}` : e.message, { step: e.step, errno: e.errno, exitCode: EXEC_FAILED });
  } finally {
    for (const fd of fds) n.closeFd(fd);
  }
}
