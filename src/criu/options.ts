// What CRIU must be told about a container, from its config and the launch plan create built:
// which mounts come from outside the container (CRIU cannot dump a host directory, so a bind is
// named at dump and bound again from its source at restore), which namespaces it joined rather
// than made, and which of its stdio fds were pipes the caller holds. Pure translation.
import * as path from 'node:path';

import { CLONE } from '../linux/namespaces';
import type { CreatePlan } from '../linux/launch-plan';
import type { Spec } from '../spec/types';
import { SkiffError } from '../errors';
import { CG_MODE, type CgMode, type ExtMount, type InheritFd, type JoinNamespace } from './rpc';

/** A mount of the container whose source is outside it: CRIU's "external mount". */
export interface ExternalMount {
  destination: string;
  source: string;
}

/** The plan's bind mounts (config.json's, the v1 cgroup directories) and bound device nodes. */
export function externalMounts(init: Pick<CreatePlan, 'mounts' | 'devices' | 'bindDevices'>): ExternalMount[] {
  const out: ExternalMount[] = [];
  for (const m of init.mounts)
    if (m.bind && m.type !== 'remount') out.push({ destination: path.posix.resolve('/', m.destination), source: m.source });
  // Device nodes are bound from the host's /dev where none can be made; a made node is no mount,
  // and CRIU ignores a name that matches none (as runc relies on).
  for (const d of init.devices) out.push({ destination: d.path, source: d.path });
  return out;
}

/**
 * Dump: every external mount by its own path (the key a restore maps back), and each masked path
 * that is a file (masked with a bind of /dev/null). `isDir` says what a masked path is in the
 * container (undefined: not there).
 */
export function dumpExtMounts(
  mounts: ExternalMount[],
  maskedPaths: readonly string[],
  isDir: (p: string) => boolean | undefined,
): ExtMount[] {
  const out: ExtMount[] = mounts.map((m) => ({ key: m.destination, val: m.destination }));
  for (const p of maskedPaths) if (isDir(p) === false) out.push({ key: p, val: '/dev/null' });
  return dedupe(out);
}

/** Restore: each key of the dump, bound from its source on this host. */
export function restoreExtMounts(mounts: ExternalMount[], maskedPaths: readonly string[]): ExtMount[] {
  const out: ExtMount[] = mounts.map((m) => ({ key: m.destination, val: m.source }));
  if (maskedPaths.length) out.push({ key: '/dev/null', val: '/dev/null' });
  return dedupe(out);
}

function dedupe(list: ExtMount[]): ExtMount[] {
  const seen = new Map<string, ExtMount>();
  for (const m of list) seen.set(m.key, m); // the last mount at a path is the one the container sees
  return [...seen.values()];
}

/** The key CRIU files a joined namespace under: the same at dump and restore (runc's names). */
export function externalNsKey(type: 'network' | 'pid'): string {
  return type === 'network' ? 'extRootNetNS' : 'extRootPidNS';
}

/**
 * Dump: the network and pid namespaces the container joined (by path) are external: CRIU leaves
 * them out and a restore gets them back from the same path. `inode` stats the namespace file.
 */
export function dumpExternalNamespaces(spec: Spec, inode: (p: string) => number): string[] {
  const out: string[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path || (ns.type !== 'network' && ns.type !== 'pid')) continue;
    out.push(`${ns.type === 'network' ? 'net' : 'pid'}[${inode(ns.path)}]:${externalNsKey(ns.type)}`);
  }
  return out;
}

const CRIU_NS_NAME: Record<string, string> = { uts: 'uts', ipc: 'ipc', mount: 'mnt', user: 'user', time: 'time' };

/**
 * Restore: joined network and pid namespaces come back as inherited fds (opened by the caller,
 * from fd `firstFd` on); the other joined ones are joined by CRIU itself. A joined cgroup
 * namespace CRIU cannot restore into: refused.
 */
export function restoreNamespaces(spec: Spec, firstFd: number): { open: string[]; inherit: InheritFd[]; join: JoinNamespace[] } {
  const open: string[] = [];
  const inherit: InheritFd[] = [];
  const join: JoinNamespace[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path) continue;
    if (ns.type === 'network' || ns.type === 'pid') {
      inherit.push({ key: externalNsKey(ns.type), fd: firstFd + open.length });
      open.push(ns.path);
    } else if (ns.type === 'cgroup') {
      throw new SkiffError(`config.json: /linux/namespaces: restore cannot join the cgroup namespace ${ns.path}: CRIU has no way to`);
    } else if (CRIU_NS_NAME[ns.type]) {
      join.push({ ns: CRIU_NS_NAME[ns.type]!, nsFile: ns.path });
    }
  }
  return { open, inherit, join };
}

/**
 * The container init's stdio at dump ("pipe:[1234]", "file[18:5]" for a file from outside the
 * container, a path otherwise), kept as descriptors.json beside the images. At restore each pipe
 * and outside file is handed to CRIU as the fd of the same number: the restored process writes
 * into the stdio of whoever restores it.
 */
export function inheritStdio(descriptors: unknown): InheritFd[] {
  if (!Array.isArray(descriptors))
    throw new SkiffError('descriptors.json: expected an array of the init\'s stdio (as "checkpoint" writes it)');
  const out: InheritFd[] = [];
  descriptors.forEach((d, fd) => {
    if (fd < 3 && typeof d === 'string' && (d.startsWith('pipe:') || /^file\[[0-9a-f]+:[0-9a-f]+\]$/.test(d))) out.push({ key: d, fd });
  });
  return out;
}

/** --empty-ns: only the network namespace, as runc (its state comes from the network's owner). */
export function parseEmptyNs(names: readonly string[]): number {
  let mask = 0;
  for (const n of names) {
    if (n !== 'network')
      throw new SkiffError(`--empty-ns ${n}: only "network" can be left empty (its setup belongs to whoever owns the network)`);
    mask |= CLONE.NEWNET;
  }
  return mask;
}

/** --manage-cgroups-mode: runc's names (ignore, soft, full, strict). */
export function parseCgMode(v: string | undefined): CgMode | undefined {
  if (v === undefined) return undefined;
  if (v !== 'ignore' && v !== 'soft' && v !== 'full' && v !== 'strict')
    throw new SkiffError(`invalid --manage-cgroups-mode "${v}": expected ignore, soft, full or strict`);
  return v satisfies CgMode & keyof typeof CG_MODE;
}

/** --page-server ADDRESS:PORT (or :PORT). */
export function parsePageServer(v: string | undefined): { address?: string; port: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(.*):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new SkiffError(`invalid --page-server "${v}": expected ADDRESS:PORT`);
  return { address: m[1] || undefined, port };
}
