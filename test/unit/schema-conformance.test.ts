// Conformance of skiff's own schemas + rules (src/spec/validate.ts) with the official OCI
// runtime-spec v1.3.0 JSON Schemas (draft-04), over the official fixtures and over generated
// variants of rich valid documents.
//
// skiff's verdict must equal the official one, except:
//   * STRICTER: skiff rejects what the official schema accepts because the spec text says MUST (or
//     REQUIRED), or because runc rejects it. Each entry quotes its source; spec quotes are checked
//     against the spec text. Every problem skiff reports for such a variant must be explained by
//     an entry, and each entry has an example that skiff must reject while the official schema
//     accepts it.
//   * LENIENT: skiff accepts what the official schema rejects because the spec text says MAY.
//
// The official schemas and fixtures are read from the spec checkout at ../shared/oci-runtime-spec
// (relative to the repo root) or $SKIFF_SPEC_DIR; without it these tests are skipped.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv04 from 'ajv-draft-04';
import { validateConfig, validateFeatures, validateState, Problem } from '../../src/spec/validate';
import { readJsonFile, SpecError } from '../../src/spec/json-file';
import { ROOT } from '../helpers/skiff';

// ---------------------------------------------------------------------------------------------
// locating things

const repoRoot = ROOT;
const specDir = process.env.SKIFF_SPEC_DIR || path.resolve(repoRoot, '../shared/oci-runtime-spec');
const haveSpec = fs.existsSync(path.join(specDir, 'schema', 'config-schema.json'));
const skip = haveSpec ? false : `OCI runtime-spec checkout not found at ${specDir} (set SKIFF_SPEC_DIR); skipping conformance tests`;

// ---------------------------------------------------------------------------------------------
// the official validators

type Verdict = (doc: unknown) => boolean;
interface Official {
  config: Verdict;
  state: Verdict;
  features: Verdict;
}

function loadOfficial(): Official {
  const dir = path.join(specDir, 'schema');
  const ajv = new Ajv04({ allErrors: true, strict: false });
  const base = 'https://opencontainers.org/schema/';
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    // defs.json's unused ArrayOfUint32 refers to "#definitions/uint32" (missing "/"), which ajv
    // refuses to compile; repair that typo only.
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/"#definitions\//g, '"#/definitions/');
    const schema = JSON.parse(text);
    // The official files have no ids; give each its file name under one base so that relative
    // $refs such as "defs.json#/definitions/uint32" resolve.
    delete schema.$schema;
    ajv.addSchema({ ...schema, id: base + f });
  }
  const get = (f: string): Verdict => {
    const v = ajv.getSchema(base + f);
    if (!v) throw new Error(`official schema ${f} did not compile`);
    return (doc) => v(doc) as boolean;
  };
  return { config: get('config-schema.json'), state: get('state-schema.json'), features: get('features-schema.json') };
}

function specText(): string {
  const files = ['config.md', 'config-linux.md', 'runtime.md', 'features.md', 'features-linux.md'];
  return normalize(files.map((f) => fs.readFileSync(path.join(specDir, f), 'utf8')).join('\n'));
}
function normalize(s: string): string {
  return s.replace(/[*`]/g, '').replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// rich valid documents

function richConfig(): any {
  const idmap = () => [{ containerID: 0, hostID: 100000, size: 65536 }];
  const hook = (p: string) => ({ path: p, args: [path.basename(p), '--flag'], env: ['A=1'], timeout: 5 });
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs', readonly: true },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      {
        destination: '/data',
        type: 'none',
        source: '/var/data',
        options: ['rbind', 'rw', 'idmap'],
        uidMappings: idmap(),
        gidMappings: idmap(),
      },
    ],
    process: {
      terminal: true,
      consoleSize: { height: 25, width: 80 },
      user: { uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 6], username: 'app' },
      args: ['/bin/sh', '-c', 'echo hi'],
      commandLine: 'sh -c "echo hi"',
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'TERM=xterm'],
      cwd: '/home/app',
      capabilities: {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_KILL'],
        inheritable: ['CAP_KILL'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      },
      rlimits: [
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ],
      noNewPrivileges: true,
      apparmorProfile: 'skiff-default',
      selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2',
      oomScoreAdj: 100,
      ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
      scheduler: { policy: 'SCHED_FIFO', nice: 0, priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK'] },
      execCPUAffinity: { initial: '7', final: '0-3,7' },
    },
    hostname: 'skiff',
    domainname: 'example.test',
    hooks: {
      prestart: [hook('/usr/bin/fix-mounts')],
      createRuntime: [hook('/usr/bin/setup-network')],
      createContainer: [hook('/usr/bin/mount-hook')],
      startContainer: [hook('/usr/bin/refresh-ldcache')],
      poststart: [hook('/usr/bin/notify-start')],
      poststop: [hook('/usr/sbin/cleanup.sh')],
    },
    annotations: { 'com.example.key': 'value', 'com.example.empty': '' },
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'user' },
        { type: 'cgroup' },
        { type: 'time' },
      ],
      uidMappings: idmap(),
      gidMappings: idmap(),
      timeOffsets: { monotonic: { secs: 172800, nanosecs: 0 }, boottime: { secs: -604800, nanosecs: 500 } },
      devices: [
        { type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
        { type: 'p', path: '/dev/myfifo' },
      ],
      netDevices: { eth1: { name: 'ctr1' } },
      cgroupsPath: '/skiff/ctr1',
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
        ],
        memory: {
          limit: 536870912,
          reservation: 268435456,
          swap: 1073741824,
          kernel: -1,
          kernelTCP: -1,
          swappiness: 60,
          disableOOMKiller: false,
          useHierarchy: true,
          checkBeforeUpdate: true,
        },
        cpu: {
          shares: 1024,
          quota: 100000,
          burst: 50000,
          period: 100000,
          realtimeRuntime: 950000,
          realtimePeriod: 1000000,
          cpus: '0-3',
          mems: '0',
          idle: 0,
        },
        pids: { limit: 1024 },
        blockIO: {
          weight: 500,
          leafWeight: 300,
          weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }],
          throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 104857600 }],
          throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 52428800 }],
          throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 1000 }],
          throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 500 }],
        },
        hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
        network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
        rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
        unified: { 'memory.high': '400M', 'io.weight': 'default 100' },
      },
      rootfsPropagation: 'slave',
      seccomp: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        listenerPath: '/run/seccomp-agent.sock',
        listenerMetadata: 'metadata',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [
          { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
          { names: ['ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 1, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
        ],
      },
      sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '4096', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'example.test' },
      maskedPaths: ['/proc/kcore', '/proc/timer_list'],
      readonlyPaths: ['/proc/sys', '/proc/bus'],
      mountLabel: 'system_u:object_r:container_file_t:s0:c1,c2',
      intelRdt: {
        closID: 'guaranteed',
        schemata: ['L3:0=ff', 'L2:0=f'],
        l3CacheSchema: 'L3:0=ff',
        memBwSchema: 'MB:0=70',
        enableMonitoring: true,
      },
      memoryPolicy: { mode: 'MPOL_BIND', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] },
      personality: { domain: 'LINUX', flags: [] },
    },
  };
}

function richState(): any {
  return {
    ociVersion: '1.3.0',
    id: 'ctr1',
    status: 'running',
    pid: 4422,
    bundle: '/containers/ctr1',
    annotations: { 'com.example.key': 'v' },
  };
}

function richFeatures(): any {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['bind', 'rbind', 'ro', 'rw', 'idmap'],
    potentiallyUnsafeConfigAnnotations: ['com.example.foo.'],
    annotations: { 'org.example.runtime.version': '0.1.0' },
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts', 'time'],
      capabilities: ['CAP_CHOWN', 'CAP_KILL', 'CAP_CHECKPOINT_RESTORE'],
      cgroup: { v1: false, v2: true, systemd: true, systemdUser: true, rdma: true },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'],
        operators: ['SCMP_CMP_EQ'],
        archs: ['SCMP_ARCH_X86_64'],
        knownFlags: ['SECCOMP_FILTER_FLAG_LOG'],
        supportedFlags: ['SECCOMP_FILTER_FLAG_LOG'],
      },
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: true, schemata: true, monitoring: false },
      memoryPolicy: { modes: ['MPOL_BIND'], flags: ['MPOL_F_STATIC_NODES'] },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// variants

interface Variant {
  doc: unknown;
  pointer: string;
  mutation: string;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

function escapeToken(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every node of `doc` with its parent and key. */
function nodes(doc: any): Array<{ pointer: string; keys: Array<string | number> }> {
  const out: Array<{ pointer: string; keys: Array<string | number> }> = [];
  const walk = (v: any, keys: Array<string | number>) => {
    out.push({ pointer: keys.map((k) => '/' + escapeToken(String(k))).join(''), keys });
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...keys, i]));
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], [...keys, k]);
  };
  walk(doc, []);
  return out;
}

const NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 63, 2 ** 64, 2 ** 65, -(2 ** 63), -(2 ** 64), 65536, 256, 1e300];
const STRINGS = ['', 'BOGUS_VALUE', 'relative/path', '/abs/path', 'x\ny'];

function variantsOf(base: any): Variant[] {
  const out: Variant[] = [];
  for (const { pointer, keys } of nodes(base)) {
    if (keys.length === 0) continue;
    const parentKeys = keys.slice(0, -1);
    const last = keys[keys.length - 1];
    const make = (mutation: string, fn: (parent: any, key: string | number) => void) => {
      const doc = clone(base);
      let parent: any = doc;
      for (const k of parentKeys) parent = parent[k];
      fn(parent, last);
      out.push({ doc, pointer, mutation });
    };
    const value = parentKeys.reduce((v: any, k) => v[k], base)[last];
    const set = (label: string, v: unknown) =>
      make(label, (p, k) => {
        p[k] = clone(v);
      });

    // removal
    make(typeof last === 'number' ? 'remove element' : 'remove property', (p, k) => {
      if (Array.isArray(p)) p.splice(k as number, 1);
      else delete p[k];
    });
    // wrong types
    set('set null', null);
    if (typeof value === 'string') {
      set('wrong type number', 42);
      for (const s of STRINGS) if (s !== value) set(`string ${JSON.stringify(s)}`, s);
    } else if (typeof value === 'number') {
      set('wrong type string', String(value));
      for (const n of NUMBERS) if (n !== value) set(`number ${n}`, n);
    } else if (typeof value === 'boolean') {
      set('wrong type string', String(value));
      set('wrong type number', 1);
      set('negated', !value);
    } else if (Array.isArray(value)) {
      set('wrong type object', {});
      if (value.length > 0) {
        set('empty array', []);
        set('duplicate first element', [...value, value[0]]);
      }
      set('append wrong-type element', [...value, 42]);
    } else if (value !== null && typeof value === 'object') {
      set('wrong type array', []);
      set('wrong type string', 'x');
      set('empty object', {});
      set('unknown property', { ...value, skiffUnknownField: 1 });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// where skiff differs from the official schema, and why

interface Divergence {
  id: string;
  /** 'spec': quote is from the spec text (checked); 'runc'/'kernel': quote describes the behaviour followed. */
  source: 'spec' | 'runc' | 'kernel';
  quote: string;
  path: RegExp;
  message: RegExp;
  /** A document the official schema accepts and skiff must reject with a matching problem. */
  example: () => unknown;
  kind?: 'config' | 'state' | 'features';
}

function withConfig(fn: (c: any) => void): () => unknown {
  return () => {
    const c = richConfig();
    fn(c);
    return c;
  };
}
function withFeatures(fn: (f: any) => void): () => unknown {
  return () => {
    const f = richFeatures();
    fn(f);
    return f;
  };
}
function withState(fn: (s: any) => void): () => unknown {
  return () => {
    const s = richState();
    fn(s);
    return s;
  };
}
const nsWithout = (c: any, type: string) => {
  c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== type);
};

const STRICTER: Divergence[] = [
  {
    id: 'ociVersion-semver',
    source: 'spec',
    quote: 'ociVersion (string, REQUIRED) MUST be in [SemVer v2.0.0][semver-v2.0.0] format',
    path: /^\/ociVersion$/,
    message: /SemVer/,
    example: withConfig((c) => {
      c.ociVersion = '1.0';
    }),
  },
  {
    id: 'root-required',
    source: 'spec',
    quote: 'On all other platforms, this field is REQUIRED.',
    path: /^\/root$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.root;
    }),
  },
  {
    id: 'user-uid-gid-required',
    source: 'spec',
    quote: 'uid (int, REQUIRED) specifies the user ID in the [container namespace](glossary.md#container-namespace).',
    path: /^\/process\/user\/(uid|gid)$/,
    message: /^is required$/,
    example: withConfig((c) => {
      c.process.user = {};
    }),
  },
  {
    id: 'args-required',
    source: 'spec',
    quote: 'This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows)',
    path: /^\/process\/args$/,
    message: /is required on Linux|at least 1 entry/,
    example: withConfig((c) => {
      delete c.process.args;
    }),
  },
  {
    id: 'cwd-absolute',
    source: 'spec',
    quote: 'cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path.',
    path: /^\/process\/cwd$/,
    message: /absolute path/,
    example: withConfig((c) => {
      c.process.cwd = 'home/app';
    }),
  },
  {
    id: 'ioPriority-priority-required',
    source: 'spec',
    quote: 'priority (int, REQUIRED) specifies the priority level within the class.',
    path: /^\/process\/ioPriority\/priority$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.process.ioPriority.priority;
    }),
  },
  {
    id: 'ioPriority-range',
    source: 'runc',
    quote:
      'config.md: "The value should be an integer ranging from 0 (highest) to 7 (lowest)." ioprio_set(2) rejects others; runc validates the range.',
    path: /^\/process\/ioPriority\/priority$/,
    message: /between 0 and 7/,
    example: withConfig((c) => {
      c.process.ioPriority.priority = 8;
    }),
  },
  {
    id: 'rlimit-unknown',
    source: 'spec',
    quote: 'The runtime MUST [generate an error](runtime.md#errors) for any values which cannot be mapped to a relevant kernel interface.',
    path: /^\/process\/rlimits\/\d+\/type$/,
    message: /unknown rlimit/,
    example: withConfig((c) => {
      c.process.rlimits[0].type = 'RLIMIT_BOGUS';
    }),
  },
  {
    id: 'rlimit-duplicate',
    source: 'spec',
    quote: 'If rlimits contains duplicated entries with same type, the runtime MUST [generate an error](runtime.md#errors).',
    path: /^\/process\/rlimits\/\d+\/type$/,
    message: /duplicate rlimit/,
    example: withConfig((c) => {
      c.process.rlimits.push({ ...c.process.rlimits[0] });
    }),
  },
  {
    id: 'rlimit-soft-le-hard',
    source: 'spec',
    quote: 'rlim.rlim_cur MUST match the configured value.',
    path: /^\/process\/rlimits\/\d+\/soft$/,
    message: /must be <= hard/,
    example: withConfig((c) => {
      c.process.rlimits[0].soft = 8192;
    }),
  },
  {
    id: 'scheduler-runc',
    source: 'runc',
    quote:
      'runc validates the scheduler (sched_setattr(2)): nice in -20..19 for SCHED_OTHER/SCHED_BATCH, priority only for SCHED_FIFO/SCHED_RR, runtime/deadline/period only for SCHED_DEADLINE (config.md: "Runtimes MUST generate an error when invalid or unsupported values are encountered.")',
    path: /^\/process\/scheduler\/(nice|priority|runtime|deadline|period)$/,
    message: /between -20 and 19|can only be set with policy/,
    example: withConfig((c) => {
      c.process.scheduler.policy = 'SCHED_OTHER';
      c.process.scheduler.priority = 0;
      c.process.scheduler.nice = 20;
    }),
  },
  {
    id: 'hook-path-absolute',
    source: 'spec',
    quote: 'This specification extends the IEEE standard in that path MUST be absolute.',
    path: /^\/hooks\/\w+\/\d+\/path$/,
    message: /absolute path/,
    example: withConfig((c) => {
      c.hooks.poststop[0].path = 'cleanup.sh';
    }),
  },
  {
    id: 'annotation-empty-key',
    source: 'spec',
    quote: 'Keys MUST NOT be an empty string.',
    path: /^\/annotations$/,
    message: /empty key/,
    example: withConfig((c) => {
      c.annotations[''] = 'x';
    }),
  },
  {
    id: 'mount-mappings-pair',
    source: 'spec',
    quote: 'If specified, it MUST be specified along with gidMappings.',
    path: /^\/mounts\/\d+\/(uid|gid)Mappings$/,
    message: /is required when/,
    example: withConfig((c) => {
      delete c.mounts[1].gidMappings;
    }),
  },
  {
    id: 'mount-idmap-needs-mapping',
    source: 'spec',
    quote:
      "If there are no uidMappings and gidMappings specified and the container isn't using user namespaces, an [error MUST be returned](runtime.md#errors).",
    path: /^\/mounts\/\d+\/options\/\d+$/,
    message: /needs uidMappings/,
    example: withConfig((c) => {
      delete c.mounts[1].uidMappings;
      delete c.mounts[1].gidMappings;
      nsWithout(c, 'user');
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
    }),
  },
  {
    id: 'hostname-needs-uts',
    source: 'runc',
    quote: 'runc: "unable to set hostname without a private UTS namespace" (also domainname)',
    path: /^\/(hostname|domainname)$/,
    message: /needs a UTS namespace/,
    example: withConfig((c) => {
      nsWithout(c, 'uts');
      delete c.domainname;
      delete c.linux.sysctl['kernel.domainname'];
    }),
  },
  {
    id: 'namespace-duplicate',
    source: 'spec',
    quote: 'If a namespaces field contains duplicated namespaces with same type, the runtime MUST [generate an error](runtime.md#errors).',
    path: /^\/linux\/namespaces\/\d+\/type$/,
    message: /duplicate namespace/,
    example: withConfig((c) => {
      c.linux.namespaces.push({ type: 'pid' });
    }),
  },
  {
    id: 'namespace-path-absolute',
    source: 'spec',
    quote: 'This value MUST be an absolute path in the [runtime mount namespace](glossary.md#runtime-namespace).',
    path: /^\/linux\/namespaces\/\d+\/path$/,
    message: /absolute path/,
    example: withConfig((c) => {
      c.linux.namespaces[1].path = 'run/netns/x';
    }),
  },
  {
    id: 'idmappings-need-userns',
    source: 'runc',
    quote:
      'runc: "user namespace mappings specified, but user namespace isn\'t enabled in the config" / "user namespaces enabled, but no namespace path to join nor mappings to apply specified"',
    path: /^\/linux\/(uidMappings|gidMappings|namespaces\/\d+)$/,
    message: /needs a user namespace|new user namespace needs/,
    example: withConfig((c) => {
      nsWithout(c, 'user');
    }),
  },
  {
    id: 'timeoffsets-need-timens',
    source: 'runc',
    quote:
      'runc: "time namespace offsets specified, but time namespace isn\'t enabled in the config"; the kernel only offsets CLOCK_MONOTONIC and CLOCK_BOOTTIME (time_namespaces(7))',
    path: /^\/linux\/timeOffsets(\/.*)?$/,
    message: /needs a time namespace|unknown clock|joining an existing time namespace/,
    example: withConfig((c) => {
      nsWithout(c, 'time');
    }),
  },
  {
    id: 'sysctl-namespaces',
    source: 'runc',
    quote:
      'runc: "sysctl %q is not allowed in the hosts network namespace" / "... ipc namespace" / "sysctl %q is not in a separate kernel namespace"',
    path: /^\/linux\/sysctl\/.+$/,
    message: /needs an? (IPC|network|UTS) namespace|not namespaced|conflicts with the hostname/,
    example: withConfig((c) => {
      c.linux.sysctl['vm.swappiness'] = '10';
    }),
  },
  {
    id: 'masked-readonly-absolute',
    source: 'spec',
    quote: 'The values MUST be absolute paths in the [container namespace](glossary.md#container_namespace).',
    path: /^\/linux\/(maskedPaths|readonlyPaths)\/\d+$/,
    message: /absolute path/,
    example: withConfig((c) => {
      c.linux.maskedPaths.push('proc/kcore');
    }),
  },
  {
    id: 'masked-readonly-need-mountns',
    source: 'runc',
    quote: 'runc: "unable to restrict sys entries without a private MNT namespace"',
    path: /^\/linux\/(maskedPaths|readonlyPaths)$/,
    message: /needs a mount namespace/,
    example: withConfig((c) => {
      nsWithout(c, 'mount');
    }),
  },
  {
    id: 'intelRdt-closID',
    source: 'runc',
    quote:
      'runc: "invalid intelRdt.ClosID" for ".", ".." or a value containing "/" (config-linux.md: "As a special case, value / means that the container MUST be assigned to the default CLOS")',
    path: /^\/linux\/intelRdt\/closID$/,
    message: /directory name in the resctrl filesystem/,
    example: withConfig((c) => {
      c.linux.intelRdt.closID = 'a/b';
    }),
  },
  {
    id: 'device-major-minor',
    source: 'spec',
    quote: 'major, minor (int64, REQUIRED unless type is p)',
    path: /^\/linux\/devices\/\d+\/(major|minor)$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.linux.devices[0].major;
    }),
  },
  {
    id: 'device-path-absolute',
    source: 'spec',
    quote: 'path (string, REQUIRED) - full path to device inside container.',
    path: /^\/linux\/devices\/\d+\/path$/,
    message: /absolute path/,
    example: withConfig((c) => {
      c.linux.devices[0].path = 'dev/fuse';
    }),
  },
  {
    id: 'netdevices',
    source: 'kernel',
    quote:
      'runc: "unable to move network devices without a private NET namespace"; the kernel accepts interface names of 1-15 bytes without "/", ":" or whitespace (dev_valid_name)',
    path: /^\/linux\/netDevices(\/.*)?$/,
    message: /needs a network namespace|not a valid network interface name/,
    example: withConfig((c) => {
      c.linux.netDevices.eth1.name = 'a/b';
    }),
  },
  {
    id: 'device-cgroup-type-access',
    source: 'spec',
    quote: 'type (string, OPTIONAL) - type of device: a (all), c (char), or b (block).',
    path: /^\/linux\/resources\/devices\/\d+\/(type|access)$/,
    message: /must be "a" \(all\)|letters "r", "w" and "m"/,
    example: withConfig((c) => {
      c.linux.resources.devices[1].type = 'x';
    }),
  },
  {
    id: 'weightDevice-one-of',
    source: 'spec',
    quote: 'You MUST specify at least one of weight or leafWeight in a given entry, and MAY specify both.',
    path: /^\/linux\/resources\/blockIO\/weightDevice\/\d+$/,
    message: /at least one of "weight", "leafWeight"/,
    example: withConfig((c) => {
      c.linux.resources.blockIO.weightDevice[0] = { major: 8, minor: 0 };
    }),
  },
  {
    id: 'throttle-rate-required',
    source: 'spec',
    quote: 'rate (uint64, REQUIRED) - bandwidth rate limit in bytes per second for the device',
    path: /^\/linux\/resources\/blockIO\/throttle\w+\/\d+\/rate$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.linux.resources.blockIO.throttleReadBpsDevice[0].rate;
    }),
  },
  {
    id: 'rdma-one-of',
    source: 'spec',
    quote: 'You MUST specify at least one of the hcaHandles or hcaObjects in a given entry, and MAY specify both.',
    path: /^\/linux\/resources\/rdma\/[^/]+$/,
    message: /at least one of "hcaHandles", "hcaObjects"/,
    example: withConfig((c) => {
      c.linux.resources.rdma.mlx5_1 = {};
    }),
  },
  {
    id: 'cpu-burst-le-quota',
    source: 'spec',
    quote: 'If specified, this value MUST be no larger than any positive quota (runtimes MAY generate an error).',
    path: /^\/linux\/resources\/cpu\/burst$/,
    message: /must be <= quota/,
    example: withConfig((c) => {
      c.linux.resources.cpu.burst = 200000;
    }),
  },
  {
    id: 'swappiness-range',
    source: 'spec',
    quote: "swappiness (uint64, OPTIONAL) - sets swappiness parameter of vmscan (See sysctl's vm.swappiness) The values are from 0 to 100.",
    path: /^\/linux\/resources\/memory\/swappiness$/,
    message: /between 0 and 100/,
    example: withConfig((c) => {
      c.linux.resources.memory.swappiness = 101;
    }),
  },
  {
    id: 'unified-key',
    source: 'spec',
    quote: 'Each key in the map refers to a file in the cgroup unified hierarchy.',
    path: /^\/linux\/resources\/unified\/.+$/,
    message: /cgroup file name/,
    example: withConfig((c) => {
      c.linux.resources.unified['../escape'] = '1';
    }),
  },
  {
    id: 'intelRdt-schemata-newline',
    source: 'spec',
    quote: 'Each element represents one line in the schemata file. The value MUST NOT contain newlines.',
    path: /^\/linux\/intelRdt\/schemata\/\d+$/,
    message: /newline/,
    example: withConfig((c) => {
      c.linux.intelRdt.schemata.push('L3:0=ff\nMB:0=10');
    }),
  },
  {
    id: 'memoryPolicy-mode-required',
    source: 'spec',
    quote:
      'memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container. For more information see the [set_mempolicy(2)][set_mempolicy.2] man page. mode (string, REQUIRED)',
    path: /^\/linux\/memoryPolicy\/mode$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.linux.memoryPolicy.mode;
    }),
  },
  {
    id: 'personality-domain-required',
    source: 'spec',
    quote: 'domain (string, REQUIRED) - the execution domain.',
    path: /^\/linux\/personality\/domain$/,
    message: /^is required$/,
    example: withConfig((c) => {
      delete c.linux.personality.domain;
    }),
  },
  {
    id: 'seccomp-errno-action',
    source: 'spec',
    quote: "When the action doesn't support an errno, the runtime MUST print and error and fail.",
    path: /^\/linux\/seccomp\/(defaultErrnoRet|syscalls\/\d+\/errnoRet)$/,
    message: /can only be set when/,
    example: withConfig((c) => {
      c.linux.seccomp.syscalls[1].action = 'SCMP_ACT_KILL';
    }),
  },
  {
    id: 'seccomp-listenerMetadata',
    source: 'spec',
    quote: 'This field MUST NOT be set if listenerPath is not set.',
    path: /^\/linux\/seccomp\/listenerMetadata$/,
    message: /without listenerPath/,
    example: withConfig((c) => {
      delete c.linux.seccomp.listenerPath;
    }),
  },
  {
    id: 'seccomp-notify-default',
    source: 'runc',
    quote: 'runc: "SCMP_ACT_NOTIFY cannot be used as default action"',
    path: /^\/linux\/seccomp\/defaultAction$/,
    message: /cannot be SCMP_ACT_NOTIFY/,
    example: withConfig((c) => {
      c.linux.seccomp.defaultAction = 'SCMP_ACT_NOTIFY';
      delete c.linux.seccomp.defaultErrnoRet;
    }),
  },
  {
    id: 'cgroupsPath-driver',
    source: 'spec',
    quote: 'Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate an error if this is the case.',
    path: /^\/linux\/cgroupsPath$/,
    message: /systemd/,
    example: withConfig((c) => {
      c.linux.cgroupsPath = 'system.slice:skiff:ctr1';
    }),
  },
  // ---- state
  {
    id: 'state-pid-required',
    source: 'spec',
    kind: 'state',
    quote: 'pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other platforms)',
    path: /^\/pid$/,
    message: /^is required$/,
    example: withState((s) => {
      delete s.pid;
    }),
  },
  {
    id: 'state-bundle-absolute',
    source: 'spec',
    kind: 'state',
    quote: "bundle (string, REQUIRED) is the absolute path to the container's bundle directory.",
    path: /^\/bundle$/,
    message: /absolute path/,
    example: withState((s) => {
      s.bundle = 'containers/ctr1';
    }),
  },
  // ---- features
  {
    id: 'features-no-unknown-properties',
    source: 'spec',
    kind: 'features',
    quote:
      'The Features structure MUST NOT contain properties that are not defined in this version of the Open Container Initiative Runtime Specification.',
    path: /.*/,
    message: /^unknown property/,
    example: withFeatures((f) => {
      f.linux.seccomp.skiffUnknownField = 1;
    }),
  },
  {
    id: 'features-version-semver',
    source: 'spec',
    kind: 'features',
    quote: 'The runtime MUST accept this value as the [ociVersion property of config.json](config.md#specification-version).',
    path: /^\/ociVersion(Min|Max)$/,
    message: /SemVer/,
    example: withFeatures((f) => {
      f.ociVersionMax = 'latest';
    }),
  },
  {
    id: 'features-memoryPolicy',
    source: 'spec',
    kind: 'features',
    quote:
      'The runtime MUST recognize the elements in this array as the [mode of linux.memoryPolicy objects in config.json](config-linux.md#memory-policy).',
    path: /^\/linux\/memoryPolicy(\/.*)?$/,
    message: /must be/,
    example: withFeatures((f) => {
      f.linux.memoryPolicy.modes = ['MPOL_BOGUS'];
    }),
  },
  {
    id: 'features-intelRdt-bools',
    source: 'spec',
    kind: 'features',
    quote: 'schemata (bool, OPTIONAL) represents whether the',
    path: /^\/linux\/intelRdt\/(schemata|monitoring)$/,
    message: /must be a boolean/,
    example: withFeatures((f) => {
      f.linux.intelRdt.monitoring = 'yes';
    }),
  },
  {
    id: 'features-max-ge-min',
    source: 'spec',
    kind: 'features',
    quote: 'The value MUST NOT be less than the value of the ociVersionMin property.',
    path: /^\/ociVersionMax$/,
    message: /must not be less than ociVersionMin/,
    example: withFeatures((f) => {
      f.ociVersionMin = '1.2.0';
      f.ociVersionMax = '1.1.0';
    }),
  },
];

interface Leniency {
  id: string;
  quote: string;
  applies: (v: Variant) => boolean;
  kind?: 'config' | 'state' | 'features';
  source?: 'spec' | 'runc';
}

const LENIENT: Leniency[] = [
  {
    id: 'features-null',
    quote: 'All properties in the Features structure except ociVersionMin and ociVersionMax MAY either be absent or have the null value.',
    applies: (v) => v.mutation === 'set null' && !/^\/ociVersion(Min|Max)$/.test(v.pointer) && !/\/\d+$/.test(v.pointer),
    kind: 'features',
  },
  {
    id: 'device-fileMode-type-bits',
    source: 'runc',
    kind: 'config',
    quote:
      'podman writes fileMode 8576 (0o20600: S_IFCHR | 0600) for --device; runc ignores the file-type bits. Accepting it is compatibility with the callers.',
    applies: (v) => {
      if (!/^\/linux\/devices\/\d+\/fileMode$/.test(v.pointer)) return false;
      const [, , , i] = v.pointer.split('/');
      const mode = (v.doc as any).linux.devices[Number(i)].fileMode;
      return Number.isInteger(mode) && mode >= 0 && mode < 65536;
    },
  },
  {
    id: 'rootfsPropagation-recursive',
    source: 'runc',
    kind: 'config',
    quote: 'podman and ctr send "rslave"/"rprivate"/"rshared"; runc accepts the recursive forms.',
    applies: (v) => v.pointer === '/linux/rootfsPropagation',
  },
];

// ---------------------------------------------------------------------------------------------
// comparison

interface Tally {
  total: number;
  sameValid: number;
  sameInvalid: number;
  stricter: Map<string, number>;
  lenient: Map<string, number>;
  failures: string[];
}

function compare(kind: 'config' | 'state' | 'features', variants: Variant[], official: Verdict, skiff: (d: unknown) => Problem[]): Tally {
  const t: Tally = { total: 0, sameValid: 0, sameInvalid: 0, stricter: new Map(), lenient: new Map(), failures: [] };
  const entries = STRICTER.filter((d) => (d.kind ?? 'config') === kind);
  for (const v of variants) {
    t.total++;
    const off = official(v.doc);
    const problems = skiff(v.doc);
    const ours = problems.length === 0;
    const label = `${kind} ${v.pointer || '(root)'} [${v.mutation}]`;
    if (off === ours) {
      if (off) t.sameValid++;
      else t.sameInvalid++;
    } else if (off && !ours) {
      const unexplained = problems.filter((p) => !entries.some((d) => d.path.test(p.path) && d.message.test(p.message)));
      if (unexplained.length > 0) {
        t.failures.push(
          `${label}: official accepts, skiff rejects without a listed reason: ${unexplained.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        );
      } else {
        for (const d of entries) {
          if (problems.some((p) => d.path.test(p.path) && d.message.test(p.message))) t.stricter.set(d.id, (t.stricter.get(d.id) ?? 0) + 1);
        }
      }
    } else {
      const l = LENIENT.find((x) => (x.kind ?? 'features') === kind && x.applies(v));
      if (l) t.lenient.set(l.id, (t.lenient.get(l.id) ?? 0) + 1);
      else t.failures.push(`${label}: official rejects, skiff accepts`);
    }
  }
  return t;
}

function summary(t: Tally): string {
  const fmt = (m: Map<string, number>) => [...m].map(([k, n]) => `${k}=${n}`).join(', ') || 'none';
  return `${t.total} variants: ${t.sameValid} valid in both, ${t.sameInvalid} invalid in both, skiff stricter: ${fmt(t.stricter)}; skiff lenient: ${fmt(t.lenient)}`;
}

// ---------------------------------------------------------------------------------------------
// tests

describe('schema conformance with the official OCI runtime-spec schemas', { skip }, () => {
  const official = haveSpec ? loadOfficial() : (undefined as unknown as Official);
  const fixtures = (kind: string, verdict: string) => {
    const dir = path.join(specDir, 'schema', 'test', kind, verdict);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  };
  // Fixtures for other platforms: skiff validates those sections loosely ("type": "object").
  const linuxRelevant = (f: string) => !/^(freebsd|zos|solaris|windows|vm)-/.test(f);

  for (const kind of ['config', 'state', 'features'] as const) {
    for (const verdict of ['good', 'bad'] as const) {
      for (const f of fixtures(kind, verdict).filter(linuxRelevant)) {
        it(`official fixture ${kind}/${verdict}/${f}`, (t) => {
          const file = path.join(specDir, 'schema', 'test', kind, verdict, f);
          let doc: unknown;
          try {
            doc = readJsonFile(file, f);
          } catch (e) {
            assert.ok(e instanceof SpecError, String(e));
            assert.equal(verdict, 'bad', `skiff could not parse a good fixture: ${(e as Error).message}`);
            assert.match((e as Error).message, /invalid JSON at line \d+, column \d+/);
            return;
          }
          const off = official[kind](doc);
          assert.equal(off, verdict === 'good', `official schema verdict on ${f}`);
          const skiffFn = kind === 'config' ? validateConfig : kind === 'state' ? validateState : validateFeatures;
          const tally = compare(kind, [{ doc, pointer: '', mutation: `fixture ${f}` }], official[kind], (d) => skiffFn(d));
          assert.deepEqual(tally.failures, []);
          if (tally.stricter.size > 0) t.diagnostic(`skiff is stricter on ${f}: ${[...tally.stricter.keys()].join(', ')}`);
        });
      }
    }
  }

  it('the rich documents are valid for both', () => {
    assert.equal(official.config(richConfig()), true);
    assert.deepEqual(validateConfig(richConfig()), []);
    assert.equal(official.state(richState()), true);
    assert.deepEqual(validateState(richState()), []);
    assert.equal(official.features(richFeatures()), true);
    assert.deepEqual(validateFeatures(richFeatures()), []);
  });

  it('every spec quote appears in the spec text', () => {
    const text = specText();
    for (const d of [...STRICTER.filter((x) => x.source === 'spec'), ...LENIENT.filter((x) => (x.source ?? 'spec') === 'spec')]) {
      assert.ok(text.includes(normalize(d.quote)), `${d.id}: quote not found in the spec: ${d.quote}`);
    }
  });

  for (const d of STRICTER) {
    it(`skiff is stricter (${d.source}): ${d.id}`, () => {
      const doc = d.example();
      const kind = d.kind ?? 'config';
      assert.equal(official[kind](doc), true, `the official schema should accept the example of ${d.id}`);
      const problems = (kind === 'config' ? validateConfig : kind === 'state' ? validateState : validateFeatures)(doc);
      assert.ok(
        problems.some((p) => d.path.test(p.path) && d.message.test(p.message)),
        `${d.id}: expected a matching problem, got ${JSON.stringify(problems)}`,
      );
    });
  }

  it('generated config variants: same verdict as the official schema (or stricter, listed)', (t) => {
    const variants = variantsOf(richConfig());
    assert.ok(variants.length >= 500, `only ${variants.length} variants`);
    const tally = compare('config', variants, official.config, (d) => validateConfig(d));
    t.diagnostic(summary(tally));
    assert.deepEqual(tally.failures, []);
    assert.ok(tally.sameInvalid > 100 && tally.sameValid > 100, 'variants should exercise both verdicts');
  });

  it('generated state variants', (t) => {
    const tally = compare('state', variantsOf(richState()), official.state, (d) => validateState(d));
    t.diagnostic(summary(tally));
    assert.deepEqual(tally.failures, []);
  });

  it('generated features variants (official fixture runc.json and a rich document)', (t) => {
    const bases = [richFeatures()];
    const runcFixture = path.join(specDir, 'schema', 'test', 'features', 'good', 'runc.json');
    if (fs.existsSync(runcFixture)) bases.push(JSON.parse(fs.readFileSync(runcFixture, 'utf8')));
    const tally = compare('features', bases.flatMap(variantsOf), official.features, (d) => validateFeatures(d));
    t.diagnostic(summary(tally));
    assert.deepEqual(tally.failures, []);
  });
});
