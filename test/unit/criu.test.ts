// CRIU's RPC encoded by hand (src/criu/rpc.ts) against CRIU's own protobuf classes (Debian's criu
// package ships rpc_pb2.py with python3-protobuf), and the pure translation of criu/options.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { CRIU_REQ, decodeResponse, encodeRequest, encodeResponse, type CriuReq } from '../../src/criu/rpc';
import {
  dumpExtMounts,
  dumpExternalNamespaces,
  externalMounts,
  inheritStdio,
  parseCgMode,
  parseEmptyNs,
  parsePageServer,
  restoreExtMounts,
  restoreNamespaces,
} from '../../src/criu/options';
import { cgroupRoots } from '../../src/criu/request';
import { criuLogErrors } from '../../src/criu/swrk';

const PY = '/usr/bin/python3';
const pycriu = spawnSync(PY, ['-c', 'import sys; sys.path.insert(0, "/usr/lib/python3/dist-packages"); import pycriu.rpc_pb2'], {
  encoding: 'utf8',
});
const havePycriu = pycriu.status === 0;

function python(code: string, input: Buffer): string {
  const r = spawnSync(
    PY,
    [
      '-c',
      `import sys, json\nsys.path.insert(0, "/usr/lib/python3/dist-packages")\nimport pycriu.rpc_pb2 as rpc\nfrom google.protobuf import json_format\n${code}`,
    ],
    { input },
  );
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

describe('CRIU RPC', { skip: !havePycriu && 'no pycriu (Debian criu package) for the reference encoding' }, () => {
  test('a restore request with every field skiff sends reads back through CRIU’s own rpc_pb2', () => {
    const req: CriuReq = {
      type: CRIU_REQ.restore,
      opts: {
        imagesDirFd: 7,
        pid: 4242,
        leaveRunning: true,
        extUnixSk: true,
        tcpEstablished: true,
        evasiveDevices: true,
        shellJob: false,
        fileLocks: true,
        logLevel: 4,
        logFile: 'restore.log',
        ps: { address: '10.0.0.1', port: 27 },
        notifyScripts: true,
        root: '/run/skiff/x/criu-root',
        parentImg: '../pre',
        trackMem: true,
        autoDedup: true,
        workDirFd: 9,
        extMnt: [
          { key: '/out', val: '/tmp/b/out' },
          { key: '/dev/null', val: '/dev/null' },
        ],
        manageCgroups: true,
        cgRoot: [{ path: '/skiff/x' }, { ctrl: 'memory', path: '/m' }],
        rstSibling: true,
        inheritFd: [{ key: 'pipe:[1234]', fd: 1 }],
        manageCgroupsMode: 'strict',
        external: ['net[4026531840]:extRootNetNS'],
        emptyNs: 0x40000000,
        joinNs: [{ ns: 'uts', nsFile: '/proc/1/ns/uts' }],
        freezeCgroup: '/sys/fs/cgroup/x',
        lazyPages: true,
        statusFd: -1,
        orphanPtsMaster: true,
        configFile: '/etc/criu/runc.conf',
      },
      notifySuccess: true,
      features: { memTrack: true, lazyPages: false },
    };
    const got = JSON.parse(
      python(
        'm = rpc.criu_req(); m.ParseFromString(sys.stdin.buffer.read()); print(json_format.MessageToJson(m, preserving_proto_field_name=True))',
        encodeRequest(req),
      ),
    );
    assert.deepEqual(got, {
      type: 'RESTORE',
      opts: {
        images_dir_fd: 7,
        pid: 4242,
        leave_running: true,
        ext_unix_sk: true,
        tcp_established: true,
        evasive_devices: true,
        shell_job: false,
        file_locks: true,
        log_level: 4,
        log_file: 'restore.log',
        ps: { address: '10.0.0.1', port: 27 },
        notify_scripts: true,
        root: '/run/skiff/x/criu-root',
        parent_img: '../pre',
        track_mem: true,
        auto_dedup: true,
        work_dir_fd: 9,
        ext_mnt: [
          { key: '/out', val: '/tmp/b/out' },
          { key: '/dev/null', val: '/dev/null' },
        ],
        manage_cgroups: true,
        cg_root: [{ path: '/skiff/x' }, { ctrl: 'memory', path: '/m' }],
        rst_sibling: true,
        inherit_fd: [{ key: 'pipe:[1234]', fd: 1 }],
        manage_cgroups_mode: 'STRICT',
        external: ['net[4026531840]:extRootNetNS'],
        empty_ns: 0x40000000,
        join_ns: [{ ns: 'uts', ns_file: '/proc/1/ns/uts' }],
        freeze_cgroup: '/sys/fs/cgroup/x',
        lazy_pages: true,
        status_fd: -1,
        orphan_pts_master: true,
        config_file: '/etc/criu/runc.conf',
      },
      notify_success: true,
      features: { mem_track: true, lazy_pages: false },
    });
  });

  test('responses CRIU encodes decode: a failure, a notification, the version, features, a restored pid', () => {
    const cases: [string, object][] = [
      [
        'type=rpc.DUMP, success=False, cr_errno=13, cr_errmsg="Error (criu/x.c:1): no\\n"',
        { type: 1, success: false, crErrno: 13, crErrmsg: 'Error (criu/x.c:1): no\n' },
      ],
      [
        'type=rpc.NOTIFY, success=True, notify=rpc.criu_notify(script="post-restore", pid=321)',
        { type: 6, success: true, notify: { script: 'post-restore', pid: 321 } },
      ],
      [
        'type=rpc.VERSION, success=True, version=rpc.criu_version(major_number=3, minor_number=17, sublevel=1, gitid="x")',
        { type: 10, success: true, version: { major: 3, minor: 17, sublevel: 1, gitid: 'x' } },
      ],
      [
        'type=rpc.FEATURE_CHECK, success=True, features=rpc.criu_features(mem_track=True, lazy_pages=False)',
        { type: 9, success: true, features: { memTrack: true, lazyPages: false } },
      ],
      [
        'type=rpc.RESTORE, success=True, restore=rpc.criu_restore_resp(pid=99), cr_errno=-1',
        { type: 2, success: true, restoredPid: 99, crErrno: -1 },
      ],
    ];
    for (const [fields, want] of cases) {
      const bytes = Buffer.from(python(`sys.stdout.write(rpc.criu_resp(${fields}).SerializeToString().hex())`, Buffer.alloc(0)), 'hex');
      assert.deepEqual(decodeResponse(bytes), want, fields);
      assert.deepEqual(decodeResponse(encodeResponse(want as any)), want);
    }
  });
});

describe('CRIU translation', () => {
  test('decodeResponse refuses bytes that are not a response', () => {
    assert.throws(() => decodeResponse(Buffer.from([0x08])), /truncated varint/);
    assert.throws(() => decodeResponse(Buffer.from([0x08, 0x01])), /without type or success/);
  });

  const plan = {
    mounts: [
      { destination: '/proc', source: 'proc', type: 'proc', bind: false },
      { destination: '/out/', source: '/tmp/b/out', type: '', bind: true },
      { destination: '/out', source: '', type: 'remount', bind: false },
      { destination: '/sys/fs/cgroup/memory', source: '/sys/fs/cgroup/memory/x', type: '', bind: true },
    ],
    devices: [{ path: '/dev/fuse' }],
    bindDevices: false,
  } as any;

  test('external mounts: binds (by their own path at dump, from their source at restore), devices, masked files', () => {
    const ext = externalMounts(plan);
    assert.deepEqual(ext, [
      { destination: '/out', source: '/tmp/b/out' },
      { destination: '/sys/fs/cgroup/memory', source: '/sys/fs/cgroup/memory/x' },
      { destination: '/dev/fuse', source: '/dev/fuse' },
    ]);
    const dirs: Record<string, boolean | undefined> = { '/proc/kcore': false, '/sys/firmware': true };
    assert.deepEqual(
      dumpExtMounts(ext, ['/proc/kcore', '/sys/firmware', '/nope'], (p) => dirs[p]),
      [
        { key: '/out', val: '/out' },
        { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory' },
        { key: '/dev/fuse', val: '/dev/fuse' },
        { key: '/proc/kcore', val: '/dev/null' },
      ],
    );
    assert.deepEqual(restoreExtMounts(ext, ['/proc/kcore']), [
      { key: '/out', val: '/tmp/b/out' },
      { key: '/sys/fs/cgroup/memory', val: '/sys/fs/cgroup/memory/x' },
      { key: '/dev/fuse', val: '/dev/fuse' },
      { key: '/dev/null', val: '/dev/null' },
    ]);
  });

  test('joined namespaces: net and pid external (inherited fds from 4 on), the others joined, cgroup refused', () => {
    const spec = {
      linux: {
        namespaces: [
          { type: 'network', path: '/run/netns/a' },
          { type: 'pid' },
          { type: 'uts', path: '/proc/9/ns/uts' },
          { type: 'ipc', path: '/proc/9/ns/ipc' },
        ],
      },
    } as any;
    assert.deepEqual(
      dumpExternalNamespaces(spec, () => 4026532000),
      ['net[4026532000]:extRootNetNS'],
    );
    assert.deepEqual(restoreNamespaces(spec, 4), {
      open: ['/run/netns/a'],
      inherit: [{ key: 'extRootNetNS', fd: 4 }],
      join: [
        { ns: 'uts', nsFile: '/proc/9/ns/uts' },
        { ns: 'ipc', nsFile: '/proc/9/ns/ipc' },
      ],
    });
    assert.throws(() => restoreNamespaces({ linux: { namespaces: [{ type: 'cgroup', path: '/x' }] } } as any, 4), /cgroup namespace \/x/);
  });

  test('stdio: pipes and outside files are inherited by fd number, other paths left to CRIU', () => {
    assert.deepEqual(inheritStdio(['pipe:[11]', '/dev/pts/0', 'file[18:4]', 'pipe:[12]']), [
      { key: 'pipe:[11]', fd: 0 },
      { key: 'file[18:4]', fd: 2 },
    ]);
    assert.throws(() => inheritStdio({}), /descriptors\.json: expected an array/);
  });

  test('flags: --empty-ns network only, --manage-cgroups-mode names, --page-server address:port', () => {
    assert.equal(parseEmptyNs(['network']), 0x40000000);
    assert.throws(() => parseEmptyNs(['pid']), /--empty-ns pid: only "network"/);
    assert.equal(parseCgMode('soft'), 'soft');
    assert.throws(() => parseCgMode('props'), /expected ignore, soft, full or strict/);
    assert.deepEqual(parsePageServer('10.1.2.3:1234'), { address: '10.1.2.3', port: 1234 });
    assert.deepEqual(parsePageServer(':1234'), { address: undefined, port: 1234 });
    assert.throws(() => parsePageServer('host'), /expected ADDRESS:PORT/);
  });

  test('cgroup roots from /proc/<criu>/cgroup: every v1 controller by name, cgroup2 as the default root', () => {
    assert.deepEqual(cgroupRoots('12:cpu,cpuacct:/c1\n3:name=systemd:/c1\n0::/c1\n'), [
      { ctrl: 'cpu', path: '/c1' },
      { ctrl: 'cpuacct', path: '/c1' },
      { ctrl: 'name=systemd', path: '/c1' },
      { path: '/c1' },
    ]);
  });

  test("CRIU's log: the text of its Error lines", () => {
    const log =
      '(00.01) Warn (criu/x.c:1): meh\n(00.037800) Error (criu/protobuf.c:72): Unexpected EOF on (empty-image)\nError (criu/vdso.c:3): vdso: bounds\n';
    assert.deepEqual(criuLogErrors(log), ['Unexpected EOF on (empty-image)', 'vdso: bounds']);
  });
});
