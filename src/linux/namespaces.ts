import type { Namespace, NamespaceType } from '../spec/types';

export const CLONE = {
  NEWTIME: 0x80,
  NEWNS: 0x20000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const NS_FLAG: Record<NamespaceType, number> = {
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  mount: CLONE.NEWNS,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  user: CLONE.NEWUSER,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
};

/** /proc/<pid>/ns/<name> for each type. */
export const NS_PROC_NAME: Record<NamespaceType, string> = {
  pid: 'pid',
  network: 'net',
  mount: 'mnt',
  ipc: 'ipc',
  uts: 'uts',
  user: 'user',
  cgroup: 'cgroup',
  time: 'time',
};

// Joined in this order: the user namespace first (it grants the rights for the rest), the mount
// namespace last (joining it changes how every later path resolves).
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  /** Made by clone3 itself. */
  cloneFlags: number;
  /** Made by skiff-init with unshare() after the joins (so they belong to a joined user namespace). */
  unshareFlags: number;
  newCgroupns: boolean;
  newTimens: boolean;
  /** Joined by skiff-init, in order. */
  join: { type: NamespaceType; flag: number; path: string }[];
  /** Joined by the addon around the clone (a pid namespace only applies to children). */
  pidnsPath?: string;
  has: Set<NamespaceType>;
  newUser: boolean;
  /** A new pid namespace with a joined user namespace: skiff-init forks into it after joining. */
  newPidnsInJoinedUserns: boolean;
}

export function planNamespaces(list: readonly Namespace[] | undefined): NamespacePlan {
  const byType = new Map<NamespaceType, Namespace>();
  for (const ns of list ?? []) byType.set(ns.type, ns);
  const userJoined = !!byType.get('user')?.path;
  const plan: NamespacePlan = {
    cloneFlags: 0,
    unshareFlags: 0,
    newCgroupns: false,
    newTimens: false,
    join: [],
    has: new Set(byType.keys()),
    newUser: byType.has('user') && !userJoined,
    newPidnsInJoinedUserns: userJoined && byType.has('pid') && !byType.get('pid')!.path,
  };
  for (const type of JOIN_ORDER) {
    const ns = byType.get(type);
    if (ns?.path) plan.join.push({ type, flag: NS_FLAG[type], path: ns.path });
  }
  for (const [type, ns] of byType) {
    if (ns.path) {
      if (type === 'pid') plan.pidnsPath = ns.path;
      continue;
    }
    if (type === 'cgroup')
      plan.newCgroupns = true; // rooted at the final cgroup: made by the init
    else if (type === 'time')
      plan.newTimens = true; // offsets are written before it is entered
    else if (userJoined && type === 'pid')
      continue; // made by the init after joining (newPidnsInJoinedUserns)
    else if (userJoined && type !== 'user') plan.unshareFlags |= NS_FLAG[type];
    else plan.cloneFlags |= NS_FLAG[type];
  }
  return plan;
}
