// Capability names as the spec writes them (CAP_*) and their bit numbers (linux/capability.h).
export const CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

const index = new Map(CAPABILITIES.map((name, i) => [name, i]));

export function capabilityBit(name: string): number | undefined {
  return index.get(name);
}

export const CAPABILITY_SETS = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const;
export type CapabilitySet = (typeof CAPABILITY_SETS)[number];

/** A capability left out: a name no kernel capability has, or one this runtime cannot grant. */
export interface CapabilityWarning {
  kind: 'unknown' | 'not-granted';
  message: string;
}

/** Every capability this table knows: what a runtime with all of them may grant. */
export const ALL_CAPABILITIES = (1n << BigInt(CAPABILITIES.length)) - 1n;

/**
 * The five sets as masks, with what cannot be granted left out and a warning for each, as
 * runtime-spec 1.3.0 (config.md, "capabilities") says: a value that cannot be mapped to a kernel
 * capability (an unknown name), or cannot be granted (outside the runtime's own bounding set;
 * ambient without the same capability in inheritable and permitted), MUST be logged as a warning
 * and the runtime SHOULD NOT fail.
 */
export function planCapabilities(
  caps: Partial<Record<CapabilitySet, readonly string[]>> | undefined,
  where: string,
  runtimeBounding: bigint = ALL_CAPABILITIES,
): { masks: Record<CapabilitySet, number>; warnings: CapabilityWarning[] } {
  const warnings: CapabilityWarning[] = [];
  // JSON pointers, as the config's other messages: "/process/capabilities/ambient".
  const at = (set: CapabilitySet) => `/${where.replace(/\./g, '/')}/capabilities/${set}`;
  const masks = {} as Record<CapabilitySet, bigint>;
  for (const set of CAPABILITY_SETS) {
    let mask = 0n;
    for (const name of caps?.[set] ?? []) {
      const bit = index.get(name);
      if (bit === undefined) {
        warnings.push({ kind: 'unknown', message: `${at(set)}: unknown capability "${name}": left out` });
        continue;
      }
      const m = 1n << BigInt(bit);
      if ((runtimeBounding & m) === 0n) {
        warnings.push({ kind: 'not-granted', message: `${at(set)}: ${name} is not in this runtime's bounding set: left out` });
        continue;
      }
      mask |= m;
    }
    masks[set] = mask;
  }
  // The kernel raises an ambient capability only where it is both permitted and inheritable.
  const allowed = masks.permitted & masks.inheritable;
  for (const name of caps?.ambient ?? []) {
    const bit = index.get(name);
    if (bit === undefined || (runtimeBounding & (1n << BigInt(bit))) === 0n) continue;
    if ((allowed & (1n << BigInt(bit))) === 0n)
      warnings.push({ kind: 'not-granted', message: `${at('ambient')}: ${name} is not in both inheritable and permitted: left out` });
  }
  masks.ambient &= allowed;
  const out = {} as Record<CapabilitySet, number>;
  for (const set of CAPABILITY_SETS) out[set] = Number(masks[set]);
  return { masks: out, warnings };
}
