// The runtime-spec's MUST rules (and a few of runc's validator checks) that a JSON Schema cannot
// express: cross-field constraints, absolute paths, duplicates, namespace requirements.
//
// Every function here is defensive: it is handed documents that may not have passed the schema,
// so it checks the shape of everything it reads and never throws on odd input. A problem is only
// reported when the values involved have the right types (type errors are the schema's job).

import { CAPABILITIES, CAPABILITY_SETS } from '../linux/capabilities';
import type { Problem } from './validate';

export interface RuleOptions {
  /** The systemd cgroup driver is in use (--systemd-cgroup): cgroupsPath must be "slice:prefix:name". */
  systemdCgroup?: boolean;
  /** The operation starts the container process (create, run): `process` is required. */
  requireProcess?: boolean;
}

/** Capability names from linux/capability.h, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40). */
export const KNOWN_CAPABILITIES: readonly string[] = CAPABILITIES;

/** Resource names from getrlimit(2). */
export const KNOWN_RLIMITS: readonly string[] = [
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK',
];

const capabilitySet = new Set(KNOWN_CAPABILITIES);
const rlimitSet = new Set(KNOWN_RLIMITS);

/** System V IPC sysctls that live in the IPC namespace (runc's list); fs.mqueue.* too. */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

// ---------------------------------------------------------------------------------------------
// small helpers

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
function isStr(x: unknown): x is string {
  return typeof x === 'string';
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function list(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
/** A non-empty array (Go decodes [] and a missing field alike for most purposes). */
function nonEmpty(x: unknown): boolean {
  return Array.isArray(x) && x.length > 0;
}

/** Escapes one JSON pointer token. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
function at(base: string, ...keys: Array<string | number>): string {
  return base + keys.map((k) => '/' + pointerToken(String(k))).join('');
}
function q(s: string): string {
  return JSON.stringify(s);
}
function isAbs(p: string): boolean {
  return p.startsWith('/');
}

function namespaceTypes(doc: Obj): Map<string, { index: number; path?: string }> {
  const out = new Map<string, { index: number; path?: string }>();
  const linux = isObj(doc.linux) ? doc.linux : undefined;
  list(linux?.namespaces).forEach((ns, index) => {
    if (isObj(ns) && isStr(ns.type) && !out.has(ns.type)) {
      out.set(ns.type, { index, path: isStr(ns.path) && ns.path !== '' ? ns.path : undefined });
    }
  });
  return out;
}

function addNamespaceHint(type: string): string {
  return `add {"type": "${type}"} to /linux/namespaces`;
}

// ---------------------------------------------------------------------------------------------
// process

/**
 * Rules for a process object (config.json's `process`, or a process.json for exec) at JSON pointer
 * `base` ("" for a process document, "/process" inside config.json).
 */
export function checkProcessRules(proc: unknown, base: string): Problem[] {
  const problems: Problem[] = [];
  if (!isObj(proc)) return problems;

  // config.md: cwd ... This value MUST be an absolute path.
  if (isStr(proc.cwd) && !isAbs(proc.cwd)) {
    problems.push({ path: at(base, 'cwd'), message: `must be an absolute path (got ${q(proc.cwd)})` });
  }
  // Unknown capability names are warnings (configWarnings), as runtime-spec 1.3.0 says.
  // config.md: args ... at least one entry is REQUIRED (non-Windows). (An empty array is the schema's job.)
  if (proc.args === undefined) {
    problems.push({ path: at(base, 'args'), message: 'is required on Linux (the program to run and its arguments)' });
  }

  // config.md: rlimits.
  const seen = new Map<string, string>();
  list(proc.rlimits).forEach((rl, i) => {
    if (!isObj(rl)) return;
    const p = at(base, 'rlimits', i);
    if (isStr(rl.type) && /^RLIMIT_[A-Z]+$/.test(rl.type)) {
      // "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface."
      if (!rlimitSet.has(rl.type)) {
        problems.push({ path: `${p}/type`, message: `unknown rlimit ${q(rl.type)} (getrlimit(2) knows ${KNOWN_RLIMITS.join(', ')})` });
      }
      // "If rlimits contains duplicated entries with same type, the runtime MUST generate an error."
      const first = seen.get(rl.type);
      if (first !== undefined) {
        problems.push({ path: `${p}/type`, message: `duplicate rlimit ${q(rl.type)} (already set at ${first})` });
      } else {
        seen.set(rl.type, p);
      }
    }
    // setrlimit(2) fails with EINVAL when soft > hard, so rlim_cur could never match.
    if (isNum(rl.soft) && isNum(rl.hard) && rl.soft > rl.hard) {
      problems.push({ path: `${p}/soft`, message: `must be <= hard (${rl.hard}) (got ${rl.soft})` });
    }
  });

  // runc's scheduler validation (sched_setattr(2) would reject these).
  if (isObj(proc.scheduler) && isStr(proc.scheduler.policy)) {
    const s = proc.scheduler;
    const policy = s.policy as string;
    if ((policy === 'SCHED_OTHER' || policy === 'SCHED_BATCH') && isNum(s.nice) && (s.nice < -20 || s.nice > 19)) {
      problems.push({ path: at(base, 'scheduler', 'nice'), message: `must be between -20 and 19 with policy ${policy} (got ${s.nice})` });
    }
    if (isNum(s.priority) && s.priority !== 0 && policy !== 'SCHED_FIFO' && policy !== 'SCHED_RR') {
      problems.push({
        path: at(base, 'scheduler', 'priority'),
        message: `can only be set with policy SCHED_FIFO or SCHED_RR (policy is ${q(policy)})`,
      });
    }
    for (const k of ['runtime', 'deadline', 'period']) {
      if (isNum(s[k]) && s[k] !== 0 && policy !== 'SCHED_DEADLINE') {
        problems.push({ path: at(base, 'scheduler', k), message: `can only be set with policy SCHED_DEADLINE (policy is ${q(policy)})` });
      }
    }
  }

  // config.md: ioPriority priority "should be an integer ranging from 0 (highest) to 7 (lowest)";
  // ioprio_set(2) rejects anything else (runc checks the same range).
  if (isObj(proc.ioPriority) && isNum(proc.ioPriority.priority)) {
    const p = proc.ioPriority.priority;
    if (p < 0 || p > 7) {
      problems.push({ path: at(base, 'ioPriority', 'priority'), message: `must be between 0 and 7 (got ${p})` });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// config.json

/** All rule problems of a config.json document. Never throws. */
export function checkRules(doc: any, opts: RuleOptions = {}): Problem[] {
  if (!isObj(doc)) return [];
  const problems: Problem[] = [];
  const push = (path: string, message: string) => problems.push({ path, message });
  const ns = namespaceTypes(doc);
  const linux = isObj(doc.linux) ? doc.linux : undefined;

  // config.md: process ... This property is REQUIRED when start is called.
  if (opts.requireProcess && doc.process === undefined) {
    push('/process', 'is required (the container needs a process to start)');
  }
  problems.push(...checkProcessRules(doc.process, '/process'));

  // config.md: hooks path ... This specification extends the IEEE standard in that path MUST be absolute.
  if (isObj(doc.hooks)) {
    const hooks = doc.hooks;
    for (const kind of HOOK_KINDS) {
      list(hooks[kind]).forEach((h, i) => {
        if (isObj(h) && isStr(h.path) && !isAbs(h.path)) {
          push(at('/hooks', kind, i, 'path'), `must be an absolute path (got ${q(h.path)})`);
        }
      });
    }
  }

  // config.md: Annotations ... Keys MUST NOT be an empty string.
  if (isObj(doc.annotations) && Object.prototype.hasOwnProperty.call(doc.annotations, '')) {
    push('/annotations', 'has an empty key ("" is not allowed as an annotation name)');
  }

  // config.md: mounts.
  list(doc.mounts).forEach((m, i) => {
    if (!isObj(m)) return;
    const p = at('/mounts', i);
    const hasUid = m.uidMappings !== undefined;
    const hasGid = m.gidMappings !== undefined;
    // "uidMappings ... If specified, it MUST be specified along with gidMappings." (and vice versa)
    if (hasUid && !hasGid) push(`${p}/gidMappings`, 'is required when uidMappings is set');
    if (hasGid && !hasUid) push(`${p}/uidMappings`, 'is required when gidMappings is set');
    // "idmap ... If there are no uidMappings and gidMappings specified and the container isn't
    // using user namespaces, an error MUST be returned." (same for ridmap)
    const mountOptions = list(m.options);
    for (const o of ['idmap', 'ridmap']) {
      const idx = mountOptions.indexOf(o);
      if (idx >= 0 && !hasUid && !hasGid && !ns.has('user')) {
        push(`${p}/options/${idx}`, `${q(o)} needs uidMappings and gidMappings on the mount, or a user namespace`);
      }
    }
  });

  // runc: a hostname or domainname needs a private UTS namespace.
  if (isStr(doc.hostname) && doc.hostname !== '' && !ns.has('uts')) {
    push('/hostname', `needs a UTS namespace (${addNamespaceHint('uts')})`);
  }
  if (isStr(doc.domainname) && doc.domainname !== '' && !ns.has('uts')) {
    push('/domainname', `needs a UTS namespace (${addNamespaceHint('uts')})`);
  }

  if (linux) checkLinux(linux, ns, opts, push);
  return problems;
}

function checkLinux(
  linux: Obj,
  ns: Map<string, { index: number; path?: string }>,
  opts: RuleOptions,
  push: (path: string, message: string) => void,
): void {
  // config-linux.md: namespaces.
  const firstOfType = new Map<string, number>();
  list(linux.namespaces).forEach((n, i) => {
    if (!isObj(n)) return;
    if (isStr(n.type)) {
      // "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error."
      const first = firstOfType.get(n.type);
      if (first !== undefined) {
        push(at('/linux/namespaces', i, 'type'), `duplicate namespace ${q(n.type)} (already listed at /linux/namespaces/${first})`);
      } else {
        firstOfType.set(n.type, i);
      }
    }
    // "path ... This value MUST be an absolute path in the runtime mount namespace."
    if (isStr(n.path) && n.path !== '' && !isAbs(n.path)) {
      push(at('/linux/namespaces', i, 'path'), `must be an absolute path (got ${q(n.path)})`);
    }
  });

  // runc: user namespace mappings only make sense with a user namespace, and a new user namespace
  // needs mappings.
  const hasMappings = nonEmpty(linux.uidMappings) || nonEmpty(linux.gidMappings);
  const userNs = ns.get('user');
  if (!userNs) {
    for (const k of ['uidMappings', 'gidMappings']) {
      if (nonEmpty(linux[k])) push(`/linux/${k}`, `needs a user namespace (${addNamespaceHint('user')})`);
    }
  } else if (userNs.path === undefined && !hasMappings) {
    push(`/linux/namespaces/${userNs.index}`, 'a new user namespace needs /linux/uidMappings and /linux/gidMappings');
  }

  // Time namespace offsets (time_namespaces(7)).
  if (isObj(linux.timeOffsets)) {
    const offsets = linux.timeOffsets;
    const timeNs = ns.get('time');
    if (Object.keys(offsets).length > 0) {
      if (!timeNs) {
        push('/linux/timeOffsets', `needs a time namespace (${addNamespaceHint('time')})`);
      } else if (timeNs.path !== undefined) {
        push(
          '/linux/timeOffsets',
          `cannot be applied when joining an existing time namespace (/linux/namespaces/${timeNs.index}/path is set)`,
        );
      }
    }
    for (const clock of Object.keys(offsets)) {
      if (clock !== 'monotonic' && clock !== 'boottime') {
        push(at('/linux/timeOffsets', clock), 'unknown clock (the kernel only offsets "monotonic" and "boottime")');
      }
    }
  }

  // runc's sysctl validation: a sysctl may only be set if it is namespaced and the container has
  // its own namespace of that kind, otherwise it would change the host.
  if (isObj(linux.sysctl)) {
    for (const key of Object.keys(linux.sysctl)) {
      const name = sysctlDotted(key);
      const p = at('/linux/sysctl', key);
      if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
        if (!ns.has('ipc')) push(p, `needs an IPC namespace (${addNamespaceHint('ipc')})`);
      } else if (name.startsWith('net.')) {
        if (!ns.has('network')) push(p, `needs a network namespace (${addNamespaceHint('network')})`);
      } else if (name === 'kernel.hostname' || name === 'kernel.domainname') {
        if (!ns.has('uts')) push(p, `needs a UTS namespace (${addNamespaceHint('uts')})`);
        else if (name === 'kernel.hostname') push(p, 'conflicts with the hostname field: set /hostname instead');
      } else {
        push(p, 'is not namespaced: setting it would change the host (only net.*, IPC and UTS sysctls are allowed)');
      }
    }
  }

  // cgroupsPath: "Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate
  // an error if this is the case." skiff follows runc's rules for the two cgroup drivers.
  if (isStr(linux.cgroupsPath) && linux.cgroupsPath !== '') {
    const cp = linux.cgroupsPath;
    const parts = cp.split(':');
    if (opts.systemdCgroup) {
      if (parts.length !== 3) {
        push('/linux/cgroupsPath', `must be "slice:prefix:name" with the systemd cgroup driver (got ${q(cp)})`);
      } else {
        const [slice, , name] = parts;
        if (slice !== '' && (!slice.endsWith('.slice') || slice.includes('/'))) {
          push('/linux/cgroupsPath', `slice ${q(slice)} must end in ".slice" and contain no "/" (got ${q(cp)})`);
        }
        if (name === '') push('/linux/cgroupsPath', `the name part of "slice:prefix:name" must not be empty (got ${q(cp)})`);
      }
    } else if (parts.length === 3 && !cp.includes('/')) {
      push(
        '/linux/cgroupsPath',
        `looks like a systemd "slice:prefix:name" path, but the systemd cgroup driver is not in use (got ${q(cp)}; use --systemd-cgroup)`,
      );
    }
  }

  // config-linux.md: maskedPaths / readonlyPaths "The values MUST be absolute paths in the container namespace."
  for (const k of ['maskedPaths', 'readonlyPaths']) {
    list(linux[k]).forEach((v, i) => {
      if (isStr(v) && !isAbs(v)) push(at('/linux', k, i), `must be an absolute path (got ${q(v)})`);
    });
    // runc: "unable to restrict sys entries without a private MNT namespace".
    if (nonEmpty(linux[k]) && !ns.has('mount')) push(`/linux/${k}`, `needs a mount namespace (${addNamespaceHint('mount')})`);
  }

  // runc: invalid intelRdt.ClosID ("." or ".." or containing "/"); "/" alone is the default CLOS (config-linux.md).
  if (isObj(linux.intelRdt) && isStr(linux.intelRdt.closID)) {
    const id = linux.intelRdt.closID;
    if (id !== '/' && (id === '.' || id === '..' || id.includes('/'))) {
      push('/linux/intelRdt/closID', `must be a directory name in the resctrl filesystem, or "/" for the default CLOS (got ${q(id)})`);
    }
  }

  // config-linux.md: devices "path (string, REQUIRED) - full path to device inside container."
  list(linux.devices).forEach((d, i) => {
    if (isObj(d) && isStr(d.path) && !isAbs(d.path)) {
      push(at('/linux/devices', i, 'path'), `must be an absolute path (got ${q(d.path)})`);
    }
  });

  // config-linux.md: netDevices are moved into the container's network namespace.
  if (isObj(linux.netDevices)) {
    const devs = linux.netDevices;
    if (Object.keys(devs).length > 0 && !ns.has('network')) {
      push('/linux/netDevices', `needs a network namespace (${addNamespaceHint('network')})`);
    }
    for (const [key, v] of Object.entries(devs)) {
      if (!validIfName(key)) push(at('/linux/netDevices', key), `${q(key)} is not a valid network interface name`);
      if (isObj(v) && isStr(v.name) && v.name !== '' && !validIfName(v.name)) {
        push(at('/linux/netDevices', key, 'name'), `${q(v.name)} is not a valid network interface name`);
      }
    }
  }

  if (isObj(linux.resources)) checkResources(linux.resources, push);
  if (isObj(linux.seccomp)) checkSeccomp(linux.seccomp, push);
}

/**
 * sysctl(8) also accepts "/" as the separator: "net/ipv4/conf/eno2.100.rp_filter" is
 * "net.ipv4.conf.eno2/100.rp_filter". Converts to the dotted form (as runc does).
 */
function sysctlDotted(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** dev_valid_name() in the kernel: 1..15 bytes, not "." or "..", no "/", ":" or whitespace. */
function validIfName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) < 16 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

function checkResources(r: Obj, push: (path: string, message: string) => void): void {
  // config-linux.md: cpu.burst "If specified, this value MUST be no larger than any positive quota".
  if (isObj(r.cpu)) {
    const { quota, burst } = r.cpu;
    if (isNum(quota) && quota > 0 && isNum(burst) && burst > quota) {
      push('/linux/resources/cpu/burst', `must be <= quota (${quota}) (got ${burst})`);
    }
  }
  // config-linux.md: swappiness "The values are from 0 to 100." (runc rejects others).
  if (isObj(r.memory) && isNum(r.memory.swappiness) && r.memory.swappiness > 100) {
    push('/linux/resources/memory/swappiness', `must be between 0 and 100 (got ${r.memory.swappiness})`);
  }
  // config-linux.md: unified "Each key in the map refers to a file in the cgroup unified hierarchy."
  if (isObj(r.unified)) {
    for (const key of Object.keys(r.unified)) {
      if (!/^[^./\\][^/\\]*\.[^/\\]+$/.test(key)) {
        push(at('/linux/resources/unified', key), `must be a cgroup file name like "memory.max" (got ${q(key)})`);
      }
    }
  }
}

function checkSeccomp(s: Obj, push: (path: string, message: string) => void): void {
  const errnoActions = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
  // config-linux.md: defaultErrnoRet / errnoRet "When the action doesn't support an errno, the
  // runtime MUST print and error and fail."
  if (s.defaultErrnoRet !== undefined && isStr(s.defaultAction) && !errnoActions.has(s.defaultAction)) {
    push(
      '/linux/seccomp/defaultErrnoRet',
      `can only be set when defaultAction is SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is ${q(s.defaultAction)})`,
    );
  }
  // runc: "SCMP_ACT_NOTIFY cannot be used as default action".
  if (s.defaultAction === 'SCMP_ACT_NOTIFY') {
    push(
      '/linux/seccomp/defaultAction',
      'cannot be SCMP_ACT_NOTIFY (every syscall, including those of the runtime, would wait for the agent)',
    );
  }
  // config-linux.md: listenerMetadata "This field MUST NOT be set if listenerPath is not set."
  if (isStr(s.listenerMetadata) && s.listenerMetadata !== '' && !(isStr(s.listenerPath) && s.listenerPath !== '')) {
    push('/linux/seccomp/listenerMetadata', 'must not be set without listenerPath');
  }
  list(s.syscalls).forEach((sc, i) => {
    if (isObj(sc) && sc.errnoRet !== undefined && isStr(sc.action) && !errnoActions.has(sc.action)) {
      push(
        at('/linux/seccomp/syscalls', i, 'errnoRet'),
        `can only be set when action is SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${q(sc.action)})`,
      );
    }
  });
}

/**
 * Advisory findings for config.json: things the spec says to log as warnings (unknown
 * capabilities) or calls deprecated (relative mount destinations). Never throws.
 */
export function configWarnings(doc: any): Problem[] {
  if (!isObj(doc)) return [];
  const warnings: Problem[] = [];
  // config.md: destination "Linux: This value SHOULD be an absolute path. For compatibility with old
  // tools and configurations, it MAY be a relative path, in which case it MUST be interpreted as
  // relative to "/". Relative paths are deprecated."
  // config.md (1.3.0), capabilities: a value that cannot be mapped to a kernel capability MUST be
  // logged as a warning, and the runtime SHOULD NOT fail; create leaves it out.
  if (isObj(doc.process) && isObj(doc.process.capabilities)) {
    const caps = doc.process.capabilities;
    for (const set of CAPABILITY_SETS) {
      list(caps[set]).forEach((c, i) => {
        if (isStr(c) && !capabilitySet.has(c))
          warnings.push({ path: at('/process/capabilities', set, i), message: `unknown capability ${q(c)}: left out` });
      });
    }
  }
  list(doc.mounts).forEach((m, i) => {
    if (isObj(m) && isStr(m.destination) && !isAbs(m.destination)) {
      warnings.push({
        path: at('/mounts', i, 'destination'),
        message: `relative mount destinations are deprecated (${q(m.destination)} is taken as ${q('/' + m.destination)})`,
      });
    }
  });
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// features.json

/** -1, 0 or 1 by SemVer 2.0.0 precedence; null if either is not a SemVer version. */
export function compareSemver(a: string, b: string): number | null {
  const re = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
  const ma = re.exec(a);
  const mb = re.exec(b);
  if (!ma || !mb) return null;
  for (let i = 1; i <= 3; i++) {
    const x = BigInt(ma[i]);
    const y = BigInt(mb[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const ia = pa.split('.');
  const ib = pb.split('.');
  for (let i = 0; i < Math.min(ia.length, ib.length); i++) {
    const x = ia[i];
    const y = ib[i];
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return ia.length === ib.length ? 0 : ia.length < ib.length ? -1 : 1;
}

/** Rules of the features structure. Never throws. */
export function checkFeaturesRules(doc: any): Problem[] {
  if (!isObj(doc)) return [];
  const problems: Problem[] = [];
  // features.md: ociVersionMax "The value MUST NOT be less than the value of the ociVersionMin property."
  if (isStr(doc.ociVersionMin) && isStr(doc.ociVersionMax)) {
    const c = compareSemver(doc.ociVersionMax, doc.ociVersionMin);
    if (c !== null && c < 0) {
      problems.push({
        path: '/ociVersionMax',
        message: `must not be less than ociVersionMin (${q(doc.ociVersionMin)}) (got ${q(doc.ociVersionMax)})`,
      });
    }
  }
  return problems;
}
