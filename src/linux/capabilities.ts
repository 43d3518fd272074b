// Capability names as the spec writes them (CAP_*) and their bit numbers (linux/capability.h).
export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

const index = new Map(CAPABILITIES.map((name, i) => [name, i]));

export function capabilityBit(name: string): number | undefined {
  return index.get(name);
}

/**
 * A set of names as a bit mask. Unknown names are an error: the spec says a runtime MUST fail on
 * a capability it does not know (runc and crun only warn).
 */
export function capabilityMask(names: readonly string[] | undefined, where: string): number {
  let mask = 0n;
  for (const name of names ?? []) {
    const bit = index.get(name);
    if (bit === undefined) throw new Error(`${where}: unknown capability "${name}"`);
    mask |= 1n << BigInt(bit);
  }
  return Number(mask);
}
