// Unit tests of src/spec/validate.ts, src/spec/rules.ts and src/spec/json-file.ts: the wording of
// problems (path first, value shown), the MUST rules, and reading JSON files safely.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  configWarnings,
  formatProblems,
  loadConfig,
  loadProcess,
  MAX_REPORTED_PROBLEMS,
  Problem,
  validateConfig,
  validateFeatures,
  validateProcess,
  validateState,
} from '../../src/spec/validate';
import { checkRules, compareSemver } from '../../src/spec/rules';
import { findJsonSyntaxError, parseJsonText, readJsonFile, SpecError } from '../../src/spec/json-file';
import { ROOT } from '../helpers/skiff';

const repoRoot = ROOT;

function minimal(): any {
  return {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } },
    hostname: 'box',
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }] },
  };
}
function config(fn: (c: any) => void): any {
  const c = minimal();
  fn(c);
  return c;
}
function has(problems: Problem[], pathStr: string, message: string | RegExp): boolean {
  return problems.some((p) => p.path === pathStr && (typeof message === 'string' ? p.message === message : message.test(p.message)));
}
function assertHas(problems: Problem[], pathStr: string, message: string | RegExp): void {
  assert.ok(
    has(problems, pathStr, message),
    `expected ${pathStr}: ${message}\ngot:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
  );
}

describe('messages', () => {
  it('the minimal config is valid', () => {
    assert.deepEqual(validateConfig(minimal()), []);
    assert.deepEqual(validateConfig(minimal(), { requireProcess: true }), []);
  });

  it('wrong type: path first, value shown', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.resources = { memory: { limit: '1G' } };
      }),
    );
    assert.deepEqual(problems, [{ path: '/linux/resources/memory/limit', message: 'must be an integer (got "1G")' }]);
    assert.deepEqual(formatProblems('config.json', problems), [
      'config.json: /linux/resources/memory/limit: must be an integer (got "1G")',
    ]);
  });

  it('enum lists the allowed values and the value found', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.rootfsPropagation = 'recursive';
      }),
    );
    assert.deepEqual(problems, [
      {
        path: '/linux/rootfsPropagation',
        message:
          'must be one of "private", "shared", "slave", "unbindable", "rprivate", "rshared", "rslave", "runbindable" (got "recursive")',
      },
    ]);
  });

  it('a missing property is reported at its own path', () => {
    const problems = validateConfig(
      config((c) => {
        delete c.process.cwd;
      }),
    );
    assert.deepEqual(problems, [{ path: '/process/cwd', message: 'is required' }]);
  });

  it('ranges: minimum, maximum, and exact 64-bit bounds', () => {
    assertHas(
      validateConfig(
        config((c) => {
          c.process.user.uid = -1;
        }),
      ),
      '/process/user/uid',
      'must be >= 0 (got -1)',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.process.user.gid = 2 ** 32;
        }),
      ),
      '/process/user/gid',
      'must be <= 4294967295 (got 4294967296)',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.resources = { pids: { limit: 2 ** 64 } };
        }),
      ),
      '/linux/resources/pids/limit',
      'must be <= 9223372036854775807 (got 18446744073709552000)',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.hooks = { poststop: [{ path: '/bin/true', timeout: 0 }] };
        }),
      ),
      '/hooks/poststop/0/timeout',
      'must be >= 1 (got 0)',
    );
  });

  it('non-integers and wrong container types', () => {
    assertHas(
      validateConfig(
        config((c) => {
          c.process.oomScoreAdj = 1.5;
        }),
      ),
      '/process/oomScoreAdj',
      'must be an integer (got 1.5)',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.process.args = 'sh';
        }),
      ),
      '/process/args',
      'must be an array (got "sh")',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux = [];
        }),
      ),
      '/linux',
      'must be an object (got an empty array)',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.root.readonly = 'yes';
        }),
      ),
      '/root/readonly',
      'must be a boolean (true or false) (got "yes")',
    );
    assert.deepEqual(formatProblems('config.json', validateConfig(42)), ['config.json: must be an object (got 42)']);
  });

  it('patterns are explained in words', () => {
    assertHas(
      validateConfig(
        config((c) => {
          c.ociVersion = 'v1';
        }),
      ),
      '/ociVersion',
      'must be a SemVer 2.0.0 version such as "1.3.0" (got "v1")',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.resources = { hugepageLimits: [{ pageSize: '64kB', limit: 1 }] };
        }),
      ),
      '/linux/resources/hugepageLimits/0/pageSize',
      /^must be a page size such as "2MB".*\(got "64kB"\)$/,
    );
  });

  it('anyOf collapses into one line', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.resources = { rdma: { mlx5_1: {} } };
      }),
    );
    assert.deepEqual(problems, [{ path: '/linux/resources/rdma/mlx5_1', message: 'must have at least one of "hcaHandles", "hcaObjects"' }]);
    const wd = validateConfig(
      config((c) => {
        c.linux.resources = { blockIO: { weightDevice: [{ major: 8, minor: 0 }] } };
      }),
    );
    assert.deepEqual(wd, [
      { path: '/linux/resources/blockIO/weightDevice/0', message: 'must have at least one of "weight", "leafWeight"' },
    ]);
  });

  it('if/else reports the real problem only', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.devices = [
          { type: 'c', path: '/dev/x' },
          { type: 'p', path: '/dev/fifo' },
        ];
      }),
    );
    assert.deepEqual(problems, [
      { path: '/linux/devices/0/major', message: 'is required' },
      { path: '/linux/devices/0/minor', message: 'is required' },
    ]);
  });

  it('unknown properties: allowed in config.json (extensibility), rejected in features', () => {
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.foo = 1;
          c.linux.bar = { x: 1 };
          c.process.baz = true;
        }),
      ),
      [],
    );
    const problems = validateFeatures({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', linux: { cgroup: { v3: true } } });
    assert.deepEqual(problems, [{ path: '/linux/cgroup', message: 'unknown property "v3"' }]);
  });

  it('long values are shortened', () => {
    const problems = validateConfig(
      config((c) => {
        c.hostname = { long: 'x'.repeat(200) };
      }),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^must be a string \(got \{"long":"x+\.\.\.\)$/);
    assert.ok(problems[0].message.length < 100);
  });

  it('problems are listed in document order, schema and rules together', () => {
    const problems = validateConfig(
      config((c) => {
        c.process.cwd = 'relative';
        c.process.user.uid = 'root';
        c.linux.sysctl = { 'vm.swappiness': '1' };
        c.linux.resources = { memory: { limit: '1G' } };
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/process/cwd', '/process/user/uid', '/linux/sysctl/vm.swappiness', '/linux/resources/memory/limit'],
    );
  });

  it('duplicates are removed and the list is capped', () => {
    const c = minimal();
    c.process.env = Array.from({ length: 70 }, (_, i) => i);
    const problems = validateConfig(c);
    assert.equal(problems.length, 70);
    const lines = formatProblems('config.json', problems);
    assert.equal(lines.length, MAX_REPORTED_PROBLEMS + 1);
    assert.equal(lines[0], 'config.json: /process/env/0: must be a string (got 0)');
    assert.equal(lines[lines.length - 1], `config.json: ... and ${70 - MAX_REPORTED_PROBLEMS} more problems`);
  });

  it('JSON pointer escaping of odd keys', () => {
    const problems = validateConfig(
      config((c) => {
        c.annotations = { 'a/b~c': 1 };
      }),
    );
    assert.deepEqual(problems, [{ path: '/annotations/a~1b~0c', message: 'must be a string (got 1)' }]);
  });
});

describe('rules', () => {
  it('process is required for create/run', () => {
    const c = minimal();
    delete c.process;
    assert.deepEqual(validateConfig(c), []);
    assert.deepEqual(validateConfig(c, { requireProcess: true }), [
      { path: '/process', message: 'is required (the container needs a process to start)' },
    ]);
  });

  it('root is required on Linux', () => {
    assert.deepEqual(
      validateConfig(
        config((c) => {
          delete c.root;
        }),
      ),
      [{ path: '/root', message: 'is required' }],
    );
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.root = {};
        }),
      ),
      [{ path: '/root/path', message: 'is required' }],
    );
  });

  it('one namespace per type; namespace paths absolute', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.namespaces.push({ type: 'pid', path: 'proc/1/ns/pid' });
      }),
    );
    assertHas(problems, '/linux/namespaces/5/type', 'duplicate namespace "pid" (already listed at /linux/namespaces/0)');
    assertHas(problems, '/linux/namespaces/5/path', 'must be an absolute path (got "proc/1/ns/pid")');
  });

  it('id mappings need a user namespace, and a new user namespace needs mappings', () => {
    const map = [{ containerID: 0, hostID: 1000, size: 1 }];
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.uidMappings = map;
        }),
      ),
      '/linux/uidMappings',
      /^needs a user namespace/,
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.namespaces.push({ type: 'user' });
        }),
      ),
      '/linux/namespaces/5',
      /needs \/linux\/uidMappings/,
    );
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' });
        }),
      ),
      [],
    );
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.linux.namespaces.push({ type: 'user' });
          c.linux.uidMappings = map;
          c.linux.gidMappings = map;
        }),
      ),
      [],
    );
  });

  it('hostname and domainname need a UTS namespace', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.namespaces = [{ type: 'mount' }];
        c.domainname = 'example.test';
      }),
    );
    assertHas(problems, '/hostname', 'needs a UTS namespace (add {"type": "uts"} to /linux/namespaces)');
    assertHas(problems, '/domainname', /^needs a UTS namespace/);
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.linux.namespaces = [{ type: 'mount' }];
          c.hostname = '';
        }),
      ),
      [],
    );
  });

  it('time offsets need a time namespace of their own', () => {
    const offsets = { monotonic: { secs: 1 } };
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.timeOffsets = offsets;
        }),
      ),
      '/linux/timeOffsets',
      /^needs a time namespace/,
    );
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.linux.timeOffsets = offsets;
          c.linux.namespaces.push({ type: 'time' });
        }),
      ),
      [],
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.timeOffsets = offsets;
          c.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
        }),
      ),
      '/linux/timeOffsets',
      /joining an existing time namespace/,
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.linux.timeOffsets = { realtime: { secs: 1 } };
          c.linux.namespaces.push({ type: 'time' });
        }),
      ),
      '/linux/timeOffsets/realtime',
      /unknown clock/,
    );
  });

  it('sysctls must belong to a namespace the container has', () => {
    const sysctl = {
      'net.ipv4.ip_forward': '1',
      'net/ipv4/conf/eth0.100/rp_filter': '1',
      'kernel.shmmax': '1',
      'fs.mqueue.msg_max': '1',
      'kernel.domainname': 'x',
      'kernel.hostname': 'y',
      'vm.swappiness': '1',
    };
    const ok = validateConfig(
      config((c) => {
        c.linux.sysctl = sysctl;
      }),
    );
    assert.deepEqual(
      ok.map((p) => p.path),
      ['/linux/sysctl/kernel.hostname', '/linux/sysctl/vm.swappiness'],
    );
    assertHas(ok, '/linux/sysctl/kernel.hostname', /set \/hostname instead/);
    assertHas(ok, '/linux/sysctl/vm.swappiness', /not namespaced/);
    const none = validateConfig(
      config((c) => {
        c.linux.sysctl = sysctl;
        c.linux.namespaces = [{ type: 'mount' }];
        delete c.hostname;
      }),
    );
    assertHas(none, '/linux/sysctl/net.ipv4.ip_forward', /needs a network namespace/);
    assertHas(none, '/linux/sysctl/net~1ipv4~1conf~1eth0.100~1rp_filter', /needs a network namespace/);
    assertHas(none, '/linux/sysctl/kernel.shmmax', /needs an IPC namespace/);
    assertHas(none, '/linux/sysctl/fs.mqueue.msg_max', /needs an IPC namespace/);
    assertHas(none, '/linux/sysctl/kernel.domainname', /needs a UTS namespace/);
    assertHas(none, '/linux/sysctl/kernel.hostname', /needs a UTS namespace/);
  });

  it('cgroupsPath and the cgroup driver', () => {
    const withPath = (p: string) =>
      config((c) => {
        c.linux.cgroupsPath = p;
      });
    assert.deepEqual(validateConfig(withPath('/skiff/ctr')), []);
    assert.deepEqual(validateConfig(withPath('skiff/ctr')), []);
    assertHas(validateConfig(withPath('system.slice:skiff:ctr')), '/linux/cgroupsPath', /looks like a systemd "slice:prefix:name" path/);
    assert.deepEqual(validateConfig(withPath('system.slice:skiff:ctr'), { systemdCgroup: true }), []);
    assert.deepEqual(validateConfig(withPath(':skiff:ctr'), { systemdCgroup: true }), []);
    assertHas(validateConfig(withPath('/skiff/ctr'), { systemdCgroup: true }), '/linux/cgroupsPath', /must be "slice:prefix:name"/);
    assertHas(validateConfig(withPath('system:skiff:ctr'), { systemdCgroup: true }), '/linux/cgroupsPath', /must end in "\.slice"/);
    assertHas(validateConfig(withPath('user.slice:skiff:'), { systemdCgroup: true }), '/linux/cgroupsPath', /name part/);
  });

  it('rlimits: known, unique, soft <= hard', () => {
    const problems = validateConfig(
      config((c) => {
        c.process.rlimits = [
          { type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 },
          { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
          { type: 'RLIMIT_NOFLIES', soft: 1, hard: 1 },
        ];
      }),
    );
    assert.deepEqual(
      problems.map((p) => `${p.path}: ${p.message}`),
      [
        '/process/rlimits/0/soft: must be <= hard (1024) (got 2048)',
        '/process/rlimits/1/type: duplicate rlimit "RLIMIT_NOFILE" (already set at /process/rlimits/0)',
        `/process/rlimits/2/type: unknown rlimit "RLIMIT_NOFLIES" (getrlimit(2) knows ${[
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
        ].join(', ')})`,
      ],
    );
  });

  it('absolute paths: cwd, hooks, masked/readonly paths, devices', () => {
    const problems = validateConfig(
      config((c) => {
        c.process.cwd = 'home';
        c.hooks = { createRuntime: [{ path: 'hook.sh' }] };
        c.linux.maskedPaths = ['proc/kcore'];
        c.linux.readonlyPaths = ['/proc/sys'];
        c.linux.devices = [{ type: 'c', path: 'dev/null', major: 1, minor: 3 }];
      }),
    );
    // Document order: hooks was added after linux.
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/process/cwd', '/linux/maskedPaths/0', '/linux/devices/0/path', '/hooks/createRuntime/0/path'],
    );
    for (const p of problems) assert.match(p.message, /^must be an absolute path \(got "/);
  });

  it('capabilities: unknown names are warnings (runtime-spec 1.3.0), known ones (up to CAP_CHECKPOINT_RESTORE) pass', () => {
    const c = config((x) => {
      x.process.capabilities = { bounding: ['CAP_CHOWN', 'CAP_CHECKPOINT_RESTORE', 'CAP_BOGUS'] };
    });
    assert.deepEqual(configWarnings(c), [
      { path: '/process/capabilities/bounding/2', message: 'unknown capability "CAP_BOGUS": left out' },
    ]);
    assert.deepEqual(
      validateConfig(c).filter((p) => p.path.startsWith('/process/capabilities')),
      [],
    );
  });

  it('relative mount destinations are a warning (deprecated, allowed on Linux)', () => {
    const c = config((x) => {
      x.mounts = [{ destination: 'tmp', type: 'tmpfs', source: 'tmpfs' }];
    });
    assert.deepEqual(validateConfig(c), []);
    assertHas(configWarnings(c), '/mounts/0/destination', /deprecated/);
  });

  it('mount id mappings', () => {
    const map = [{ containerID: 0, hostID: 1000, size: 10 }];
    assertHas(
      validateConfig(
        config((c) => {
          c.mounts = [{ destination: '/d', source: '/s', options: ['bind'], uidMappings: map }];
        }),
      ),
      '/mounts/0/gidMappings',
      'is required when uidMappings is set',
    );
    assertHas(
      validateConfig(
        config((c) => {
          c.mounts = [{ destination: '/d', source: '/s', options: ['bind', 'idmap'] }];
        }),
      ),
      '/mounts/0/options/1',
      /"idmap" needs uidMappings/,
    );
  });

  it('seccomp: errnoRet only with ERRNO/TRACE, listenerMetadata needs listenerPath, no NOTIFY default', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_NOTIFY',
          defaultErrnoRet: 1,
          listenerMetadata: 'x',
          syscalls: [
            { names: ['mkdir'], action: 'SCMP_ACT_KILL', errnoRet: 1 },
            { names: ['rmdir'], action: 'SCMP_ACT_TRACE', errnoRet: 1 },
          ],
        };
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        '/linux/seccomp/defaultAction',
        '/linux/seccomp/defaultErrnoRet',
        '/linux/seccomp/listenerMetadata',
        '/linux/seccomp/syscalls/0/errnoRet',
      ],
    );
  });

  it('resources: burst <= quota, swappiness 0..100, unified file names', () => {
    const problems = validateConfig(
      config((c) => {
        c.linux.resources = {
          cpu: { quota: 1000, burst: 2000 },
          memory: { swappiness: 150 },
          unified: { 'memory.max': '1G', cpu: '1', '../x.y': '1' },
        };
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        '/linux/resources/cpu/burst',
        '/linux/resources/memory/swappiness',
        '/linux/resources/unified/cpu',
        '/linux/resources/unified/..~1x.y',
      ],
    );
    assert.deepEqual(
      validateConfig(
        config((c) => {
          c.linux.resources = { cpu: { quota: -1, burst: 2000 } };
        }),
      ),
      [],
    );
  });

  it('scheduler and ioPriority (runc)', () => {
    const problems = validateConfig(
      config((c) => {
        c.process.scheduler = { policy: 'SCHED_OTHER', nice: 20, priority: 5, runtime: 10 };
        c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 };
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/process/scheduler/nice', '/process/scheduler/priority', '/process/scheduler/runtime', '/process/ioPriority/priority'],
    );
  });

  it('never throws on odd shapes', () => {
    const odd: unknown[] = [
      null,
      0,
      'x',
      [],
      true,
      {},
      { linux: 5 },
      { process: [] },
      { linux: { namespaces: 'x', sysctl: [], resources: 7 } },
      {
        linux: {
          namespaces: [null, 1, { type: 5 }, { type: 'user', path: 3 }],
          timeOffsets: [],
          seccomp: { syscalls: [null, { action: 1 }] },
        },
      },
      {
        process: { rlimits: [null, { type: 1 }, { soft: 'a', hard: {} }], scheduler: 'x', capabilities: { bounding: 'x' } },
        mounts: [null, 1, { options: 'x' }],
      },
      { hooks: { prestart: 'x', poststop: [null, { path: 1 }] }, annotations: [] },
    ];
    for (const doc of odd) {
      assert.doesNotThrow(() => validateConfig(doc, { requireProcess: true, systemdCgroup: true }));
      assert.doesNotThrow(() => checkRules(doc, {}));
      assert.doesNotThrow(() => configWarnings(doc));
      assert.doesNotThrow(() => validateProcess(doc));
      assert.doesNotThrow(() => validateState(doc));
      assert.doesNotThrow(() => validateFeatures(doc));
    }
  });
});

describe('process, state and features documents', () => {
  it('process file', () => {
    assert.deepEqual(validateProcess({ cwd: '/', args: ['ls'], user: { uid: 0, gid: 0 } }), []);
    assert.deepEqual(validateProcess({ args: ['ls'] }), [{ path: '/cwd', message: 'is required' }]);
    assert.deepEqual(validateProcess({ cwd: 'tmp' }), [
      { path: '/cwd', message: 'must be an absolute path (got "tmp")' },
      { path: '/args', message: 'is required on Linux (the program to run and its arguments)' },
    ]);
    assert.deepEqual(validateProcess({ cwd: '/', args: [] }), [
      { path: '/args', message: 'must have at least 1 entry (got an empty array)' },
    ]);
  });

  it('state', () => {
    const s = { ociVersion: '1.3.0', id: 'c1', status: 'created', pid: 10, bundle: '/b' };
    assert.deepEqual(validateState(s), []);
    assert.deepEqual(validateState({ ...s, status: 'stopped', pid: undefined }), []);
    assert.deepEqual(validateState({ ...s, pid: undefined }), [{ path: '/pid', message: 'is required' }]);
    // runc's "paused" is not one of the spec's values, but a runtime may add statuses: skiff has it.
    assert.deepEqual(validateState({ ...s, status: 'paused' }), []);
    assert.deepEqual(validateState({ ...s, status: 'frozen' }), [
      { path: '/status', message: 'must be one of "creating", "created", "running", "stopped", "paused" (got "frozen")' },
    ]);
  });

  it('features: null values allowed, versions ordered', () => {
    assert.deepEqual(
      validateFeatures({ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: { seccomp: null, cgroup: { v1: null } } }),
      [],
    );
    assert.deepEqual(validateFeatures({ ociVersionMin: '1.0.0', ociVersionMax: null }), [
      { path: '/ociVersionMax', message: 'must be a string (got null)' },
    ]);
    assertHas(
      validateFeatures({ ociVersionMin: '1.1.0', ociVersionMax: '1.0.9' }),
      '/ociVersionMax',
      /must not be less than ociVersionMin/,
    );
  });

  it('SemVer precedence', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.2-dev',
      '1.3.0',
      '2.0.0',
      '10.0.0',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        assert.equal(compareSemver(ordered[i], ordered[j]), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
      }
    }
    assert.equal(compareSemver('1.0.0+build', '1.0.0'), 0);
    assert.equal(compareSemver('1.0', '1.0.0'), null);
  });
});

describe('readJsonFile, loadConfig, loadProcess', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-validate-test-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const errorOf = (fn: () => unknown): SpecError => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof SpecError, `expected SpecError, got ${e}`);
      return e;
    }
    assert.fail('expected a SpecError');
  };

  it('missing file', () => {
    const p = path.join(dir, 'nope.json');
    assert.equal(errorOf(() => readJsonFile(p, 'config.json')).message, `config.json: open ${p}: no such file or directory`);
  });

  it('a directory', () => {
    assert.equal(errorOf(() => readJsonFile(dir, 'config.json')).message, `config.json: read ${dir}: is a directory`);
  });

  it('empty and blank files', () => {
    const e = write('empty.json', '');
    assert.equal(errorOf(() => readJsonFile(e, 'config.json')).message, `config.json: ${e}: file is empty (expected a JSON object)`);
    const b = write('blank.json', ' \n\t\n');
    assert.match(errorOf(() => readJsonFile(b, 'config.json')).message, /file is empty/);
  });

  it('syntax errors name line and column', () => {
    const p = write('bad.json', '{\n  "ociVersion": "1.0.0",\n  "root": {"path": rootfs}\n}\n');
    assert.equal(
      errorOf(() => readJsonFile(p, 'config.json')).message,
      `config.json: ${p}: invalid JSON at line 3, column 20: unexpected "r" where a value was expected`,
    );
    const trailing = write('trailing.json', '{\n  "a": [1, 2,],\n}');
    assert.match(
      errorOf(() => readJsonFile(trailing, 'x')).message,
      /line 2, column 14: unexpected "\]" where a value was expected \(trailing comma\?\)$/,
    );
    const cut = write('cut.json', '{"a": {"b": 1}');
    assert.match(errorOf(() => readJsonFile(cut, 'x')).message, /line 1, column 15: unexpected end of file \(missing "}"\)$/);
    const str = write('str.json', '{"a": "multi\nline"}');
    assert.match(errorOf(() => readJsonFile(str, 'x')).message, /line 1, column 13: end of line inside a string/);
    const extra = write('extra.json', '{}\n{}');
    assert.match(errorOf(() => readJsonFile(extra, 'x')).message, /line 2, column 1: unexpected "\{" after the end of the JSON value$/);
  });

  it('the official invalid-json fixture shape', () => {
    const p = write('official-bad.json', '{]');
    assert.match(
      errorOf(() => readJsonFile(p, 'config.json')).message,
      /invalid JSON at line 1, column 2: expected a double-quoted property name, found "\]"/,
    );
  });

  it('a byte order mark is tolerated', () => {
    const p = write('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a": 1}')]));
    assert.deepEqual(readJsonFile(p, 'x'), { a: 1 });
  });

  it('a 17 MiB file is refused before it is read', () => {
    const p = path.join(dir, 'huge.json');
    const fd = fs.openSync(p, 'w');
    fs.ftruncateSync(fd, 17 * 1024 * 1024); // sparse: nothing to read quickly, the size says it all
    fs.closeSync(fd);
    const t0 = process.hrtime.bigint();
    const e = errorOf(() => readJsonFile(p, 'config.json'));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(e.message, `config.json: ${p} is too large (17.0 MiB; the limit is 16.0 MiB)`);
    assert.ok(ms < 200, `took ${ms} ms`);
  });

  it('100000-deep nesting is refused without a stack overflow', () => {
    const p = write('deep.json', '['.repeat(100000) + ']'.repeat(100000));
    assert.match(errorOf(() => readJsonFile(p, 'x')).message, /JSON nested more than 200 levels deep at line 1, column 201$/);
    const objects = write('deep-objects.json', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000));
    assert.match(errorOf(() => readJsonFile(objects, 'x')).message, /nested more than 200 levels/);
    // Brackets inside strings do not count.
    const inString = write('brackets-in-string.json', JSON.stringify({ a: '['.repeat(1000) }));
    assert.deepEqual(readJsonFile(inString, 'x'), { a: '['.repeat(1000) });
    // The syntax scanner is iterative too.
    assert.doesNotThrow(() => findJsonSyntaxError('['.repeat(100000)));
  });

  it('the syntax scanner agrees with JSON.parse', () => {
    const base = JSON.stringify({ a: [1, -2.5e3, true, false, null, 'x\\"y\u00e9\\u0041'], b: { c: {}, d: [] }, 'e f': '' }, null, 1);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '{}[],:"\\ 0123456789.eE+-truefalsn\nx';
    for (let k = 0; k < 3000; k++) {
      let s = base;
      for (let m = 0; m <= rand(3); m++) {
        const at = rand(s.length + 1);
        const op = rand(3);
        if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
        else if (op === 1) s = s.slice(0, at) + alphabet[rand(alphabet.length)] + s.slice(at);
        else s = s.slice(0, at) + alphabet[rand(alphabet.length)] + s.slice(at + 1);
      }
      let valid = true;
      try {
        JSON.parse(s);
      } catch {
        valid = false;
      }
      assert.equal(findJsonSyntaxError(s) === null, valid, `disagreement on ${JSON.stringify(s)}`);
    }
  });

  it('parseJsonText and SpecError', () => {
    const e = errorOf(() => parseJsonText('[1,]', 'label'));
    assert.deepEqual(e.problems, ['label: invalid JSON at line 1, column 4: unexpected "]" where a value was expected (trailing comma?)']);
    assert.equal(e.message, e.problems.join('\n'));
  });

  it('loadConfig: all problems, one per line', () => {
    const bundle = fs.mkdtempSync(path.join(dir, 'bundle-'));
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({ ociVersion: '1.3.0', process: { cwd: 'x', args: ['sh'] }, linux: { resources: { memory: { limit: '1G' } } } }),
    );
    const e = errorOf(() => loadConfig(bundle));
    assert.deepEqual(e.problems, [
      'config.json: /process/cwd: must be an absolute path (got "x")',
      'config.json: /linux/resources/memory/limit: must be an integer (got "1G")',
      'config.json: /root: is required',
    ]);
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(minimal()));
    assert.deepEqual(loadConfig(bundle, { requireProcess: true }), minimal());
    fs.rmSync(path.join(bundle, 'config.json'));
    assert.equal(
      errorOf(() => loadConfig(bundle)).message,
      `config.json: open ${path.join(bundle, 'config.json')}: no such file or directory`,
    );
  });

  it('loadProcess', () => {
    const p = write('process.json', JSON.stringify({ cwd: '/', args: ['ls'], user: { uid: 0 } }));
    assert.deepEqual(errorOf(() => loadProcess(p)).problems, ['process.json: /user/gid: is required']);
    const good = write('process-good.json', JSON.stringify({ cwd: '/', args: ['ls'], user: { uid: 0, gid: 0 } }));
    assert.deepEqual(loadProcess(good), { cwd: '/', args: ['ls'], user: { uid: 0, gid: 0 } });
  });
});

describe('generated validators', () => {
  it('compile nothing at run time (only ajv runtime helpers may be required)', () => {
    const file = path.join(repoRoot, 'src', 'spec', 'generated', 'validators.js');
    const text = fs.readFileSync(file, 'utf8');
    const requires = [...text.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    for (const r of requires) assert.match(r, /^ajv\/dist\/runtime\//);
    assert.doesNotMatch(text, /new Ajv|\.compile\(/);
  });
});
