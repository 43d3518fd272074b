// The launch plan against its schema (schemas/launch-plan.schema.json: every object closed, every
// key required) for configs that reach every branch of buildPlan, and for exec's plan; bigints
// written as exact digits.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import Ajv from 'ajv';

import type { CgroupPaths } from '../../src/cgroups/manager';
import { defaultSpec } from '../../src/commands/spec';
import { serializePlan, type InitPlan } from '../../src/linux/launch-plan';
import { buildExecPlan, buildPlan, planProcess } from '../../src/linux/plan';
import { ROOT } from '../helpers/skiff';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/launch-plan.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

const HYBRID: CgroupPaths = {
  mode: 'hybrid',
  unified: '/sys/fs/cgroup/unified/t',
  v1: { memory: '/sys/fs/cgroup/memory/t', 'cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/t' },
};
const UNIFIED: CgroupPaths = { mode: 'unified', unified: '/sys/fs/cgroup/t', v1: {} };

type Edit = (c: any) => void;
const CONFIGS: [string, Edit, CgroupPaths?][] = [
  ['runc default', () => {}],
  [
    'every namespace new, cgroup ns on cgroup2',
    (c) => c.linux.namespaces.push({ type: 'cgroup' }, { type: 'user' }, { type: 'time' }),
    UNIFIED,
  ],
  [
    'namespaces joined by path',
    (c) =>
      (c.linux.namespaces = [
        { type: 'user', path: '/proc/1/ns/user' },
        { type: 'network', path: '/proc/1/ns/net' },
        { type: 'mount' },
        { type: 'pid', path: '/proc/1/ns/pid' },
      ]),
  ],
  [
    'no namespaces at all',
    (c) => {
      c.linux.namespaces = [];
      delete c.hostname;
      delete c.linux.maskedPaths;
      delete c.linux.readonlyPaths;
    },
  ],
  ['without process', (c) => delete c.process],
  [
    'user namespace with mappings',
    (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
  ],
  [
    'every kind of mount',
    (c) =>
      c.mounts.push(
        { destination: '/b', type: 'bind', source: 'rel/dir', options: ['rbind', 'ro', 'rprivate', 'nosuid'] },
        { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'size=1m', 'rro', 'rnosuid'] },
        { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro'] },
        { destination: '/m', type: 'mqueue', source: 'mqueue' },
      ),
  ],
  [
    'cgroup mount on cgroup2 with a cgroup namespace',
    (c) => {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' });
    },
    UNIFIED,
  ],
  [
    'a read-only /dev, devices, a bind /dev',
    (c) => {
      c.mounts.find((m: any) => m.destination === '/dev').options.push('ro');
      c.linux.devices = [
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 },
        { path: '/dev/u', type: 'u', major: 1, minor: 1 },
        { path: '/dev/p', type: 'p' },
      ];
    },
  ],
  ['/dev bound from the host', (c) => c.mounts.push({ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] })],
  [
    'rootfs propagation and a read-only root',
    (c) => {
      c.linux.rootfsPropagation = 'shared';
      c.root.readonly = true;
    },
  ],
  [
    'the whole process',
    (c) => {
      Object.assign(c.process, {
        terminal: true,
        consoleSize: { height: 24, width: 80 },
        user: { uid: 1000, gid: 1000, additionalGids: [5, 6], umask: 0o22 },
        rlimits: [
          { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
          { type: 'RLIMIT_CORE', soft: 2 ** 64 - 1, hard: 2 ** 64 - 1 },
        ],
        oomScoreAdj: -500,
        noNewPrivileges: true,
        apparmorProfile: 'p',
        scheduler: { policy: 'SCHED_DEADLINE', flags: ['SCHED_FLAG_RECLAIM'], runtime: 10, deadline: 20, period: 30 },
        execCPUAffinity: { initial: '0-1', final: '0' },
        ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
      });
    },
  ],
  [
    'seccomp, hooks, sysctls, time offsets, personality, memory policy, keyring',
    (c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64'],
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [
          { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
          { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 },
        ],
      };
      c.hooks = {
        createContainer: [{ path: '/bin/true', args: ['true'], timeout: 3 }],
        startContainer: [{ path: '/bin/true', env: ['A=1'] }],
        prestart: [{ path: '/x' }],
      };
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 10, nanosecs: 5 }, monotonic: { secs: -3 } };
      c.linux.personality = { domain: 'LINUX32' };
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] };
    },
  ],
];

function planFor(edit: Edit, cgroup: CgroupPaths = HYBRID) {
  const spec: any = defaultSpec();
  spec.root = { path: 'rootfs' };
  spec.hostname = 'h';
  edit(spec);
  return buildPlan({
    spec,
    bundle: '/b',
    rootfs: '/b/rootfs',
    cgroup,
    noPivot: false,
    keyring: 'k',
    fds: { fifo: 5, console: -1, preserve: 0 },
    runtimeEnv: ['PATH=/bin'],
  });
}

function check(plan: InitPlan): void {
  const ok = validate(JSON.parse(serializePlan(plan)));
  assert.ok(ok, JSON.stringify(validate.errors, null, 1));
}

describe('launch plan', () => {
  for (const [name, edit, cgroup] of CONFIGS) {
    test(`matches its schema: ${name}`, () => check(planFor(edit, cgroup).init));
  }

  test('exec plan matches its schema', () => {
    const spec: any = defaultSpec();
    check(
      buildExecPlan({
        join: [{ type: 'mount', flag: 0x20000, path: '/proc/9/ns/mnt' }],
        root: null,
        process: planProcess(spec.process),
        seccomp: undefined,
        fds: { fifo: -1, console: -1, preserve: 2 },
      }),
    );
  });

  test('a misspelt or missing key is a schema error (the check can fail)', () => {
    const plan: any = JSON.parse(serializePlan(planFor(() => {}).init));
    plan.process.noNewPrivilegs = plan.process.noNewPrivileges;
    delete plan.process.noNewPrivileges;
    assert.equal(validate(plan), false);
    const errs = JSON.stringify(validate.errors);
    assert.match(errs, /noNewPrivilegs/);
    assert.match(errs, /noNewPrivileges/);
  });

  test('bigints are written as exact digits', () => {
    const plan = planFor((c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          {
            names: ['ioctl'],
            action: 'SCMP_ACT_ERRNO',
            args: [{ index: 1, value: 18446744073709551615n, valueTwo: 9007199254740993n, op: 'SCMP_CMP_MASKED_EQ' }],
          },
        ],
      };
    }).init;
    const text = serializePlan(plan);
    assert.match(text, /"value":18446744073709551615,"valueTwo":9007199254740993,/);
    check(plan);
  });
});
