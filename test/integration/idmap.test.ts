// Idmapped mounts (config.md: uidMappings, gidMappings, idmap, ridmap) as a Kubernetes pod with
// hostUsers: false needs them: a volume owned by host root, in a container whose root is host
// uid 100000, shows its files as root's, and writes land on the host as uid 0. runc 1.1.5 has no
// idmapped mounts, so these are not differential; the kernel's view (stat on the host, the
// process's host uid) is the reference.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { assertGone, cleanupAll, makeBundle, run, skiff, stateOf, tempDir, waitFor } from '../helpers/skiff';

after(() => cleanupAll());

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A host directory owned by host root, with a root-owned file in it. */
function volume(): string {
  const dir = path.join(tempDir('skiff-volume-'), 'vol');
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'hello'), 'from the host\n', { mode: 0o644 });
  return dir;
}

function hostUid(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

const SCRIPT = 'stat -c %u:%g /data/hello; touch /data/new 2>/dev/null && echo wrote || echo cannot-write; id -u';

function userns(c: any): void {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = MAP;
  c.linux.gidMappings = MAP;
}

describe('idmapped mounts', () => {
  test("idmap with the container's own mapping: root's files inside, writes land as host uid 0", () => {
    const vol = volume();
    const b = makeBundle((c) => {
      userns(c);
      c.mounts = c.mounts.filter((m: any) => m.destination !== '/out');
      c.mounts.push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw', 'idmap'] });
      c.process.args = ['/bin/sh', '-c', SCRIPT];
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0:0\nwrote\n0\n');
    const st = fs.statSync(path.join(vol, 'new'));
    assert.deepEqual([st.uid, st.gid], [0, 0], 'the write lands on the host as uid 0, not 100000');
    assert.deepEqual(assertGone(b), []);
  });

  test('without idmap the same volume shows as nobody and is not writable (what the issue saw)', () => {
    const vol = volume();
    const b = makeBundle((c) => {
      userns(c);
      c.mounts = c.mounts.filter((m: any) => m.destination !== '/out');
      c.mounts.push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw'] });
      c.process.args = ['/bin/sh', '-c', SCRIPT];
    });
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '65534:65534\ncannot-write\n0\n');
    assert.deepEqual(assertGone(b), []);
  });

  test('a pod: a pause container in a new user namespace, a second joining it by path with an idmapped volume', async () => {
    const vol = volume();
    const pause = makeBundle((c) => {
      userns(c);
      c.process.args = ['/bin/sleep', '300'];
    });
    const p0 = skiff(['run', '-d', '-b', pause.dir, pause.id]);
    assert.equal(p0.code, 0, p0.stderr);
    const pid = stateOf(pause.id).pid;
    assert.equal(hostUid(pid), 100000, 'the pod runs as host uid 100000');
    const app = makeBundle((c) => {
      // CRI's shape: join the sandbox's user, network, ipc and uts namespaces, with a pid
      // namespace of its own (Kubernetes' default; skiff-init forks into it once it has joined the
      // user namespace, so that the pod's user namespace owns it); the mount carries the pod's
      // mapping itself.
      c.linux.namespaces = [
        { type: 'user', path: `/proc/${pid}/ns/user` },
        { type: 'network', path: `/proc/${pid}/ns/net` },
        { type: 'ipc', path: `/proc/${pid}/ns/ipc` },
        { type: 'uts', path: `/proc/${pid}/ns/uts` },
        { type: 'pid' },
        { type: 'mount' },
      ];
      delete c.hostname;
      c.mounts = c.mounts.filter((m: any) => m.destination !== '/out');
      c.mounts.push({
        destination: '/data',
        type: 'bind',
        source: vol,
        options: ['rbind', 'rw', 'idmap'],
        uidMappings: MAP,
        gidMappings: MAP,
      });
      c.process.args = ['/bin/sh', '-c', `${SCRIPT}; readlink /proc/self/ns/user; echo pid=$$; exit 7`];
    });
    // In the foreground: run waits for its init although that is now a grandchild.
    const r = skiff(['run', '-b', app.dir, app.id]);
    assert.equal(r.code, 7, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['0:0', 'wrote', '0']);
    assert.equal(lines[3], fs.readlinkSync(`/proc/${pid}/ns/user`), "the pod's user namespace");
    assert.equal(lines[4], 'pid=1', 'pid 1 of a pid namespace of its own');
    const st = fs.statSync(path.join(vol, 'new'));
    assert.deepEqual([st.uid, st.gid], [0, 0]);
    assert.deepEqual(assertGone(app), []);
    // Detached, with exec and kill: the state names the forked init, which outlives create.
    const app2 = makeBundle((c) => {
      c.linux.namespaces = [
        { type: 'user', path: `/proc/${pid}/ns/user` },
        { type: 'network', path: `/proc/${pid}/ns/net` },
        { type: 'ipc', path: `/proc/${pid}/ns/ipc` },
        { type: 'pid' },
        { type: 'mount' },
      ];
      delete c.hostname;
      c.process.args = ['/bin/sleep', '300'];
    });
    const d = skiff(['run', '-d', '-b', app2.dir, app2.id]);
    assert.equal(d.code, 0, d.stderr);
    const app2State = stateOf(app2.id);
    assert.equal(app2State.status, 'running');
    assert.equal(hostUid(app2State.pid), 100000);
    assert.notEqual(fs.readlinkSync(`/proc/${app2State.pid}/ns/pid`), fs.readlinkSync(`/proc/${pid}/ns/pid`));
    const e = skiff(['exec', app2.id, '/bin/sh', '-c', 'echo $$; cat /proc/1/cmdline | tr "\\0" " "']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^\d+\n\/bin\/sleep 300 $/, 'pid 1 of its pid namespace is its own init');
    assert.equal(skiff(['kill', app2.id, 'KILL']).code, 0);
    await waitFor('the app to stop', () => stateOf(app2.id).status === 'stopped');
    assert.equal(skiff(['delete', app2.id]).code, 0);
    assert.deepEqual(assertGone(app2, app2State.pid), []);
    assert.equal(skiff(['delete', '--force', pause.id]).code, 0);
    assert.deepEqual(assertGone(pause, pid), []);
  });

  test('ridmap maps submounts too; idmap only the top mount', () => {
    const vol = volume();
    const sub = path.join(vol, 'sub');
    fs.mkdirSync(sub);
    assert.equal(run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'skiff-sub', sub]).code, 0);
    try {
      fs.writeFileSync(path.join(sub, 'f'), 'x');
      const out: Record<string, string> = {};
      for (const opt of ['idmap', 'ridmap']) {
        const b = makeBundle((c) => {
          userns(c);
          c.mounts = c.mounts.filter((m: any) => m.destination !== '/out');
          c.mounts.push({ destination: '/data', type: 'bind', source: vol, options: ['rbind', 'rw', opt] });
          c.process.args = ['/bin/sh', '-c', 'stat -c %u /data/hello /data/sub/f'];
        });
        const r = skiff(['run', '-b', b.dir, b.id]);
        assert.equal(r.code, 0, `${opt}: ${r.stderr}`);
        out[opt] = r.stdout;
        assert.deepEqual(assertGone(b), []);
      }
      assert.equal(out.idmap, '0\n65534\n');
      assert.equal(out.ridmap, '0\n0\n');
    } finally {
      run('umount', [sub]);
    }
  });

  test('what cannot be idmapped is a clear error naming the mount, and leaves nothing', () => {
    const cases: [string, (c: any) => void, RegExp][] = [
      [
        'a tmpfs',
        (c) => {
          userns(c);
          c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] });
        },
        /\/mounts\/\d+: idmapped mounts are bind mounts \(this one is type "tmpfs"\)/,
      ],
      [
        'no user namespace and no mappings',
        (c) => c.mounts.push({ destination: '/d', type: 'bind', source: volume(), options: ['rbind', 'idmap'] }),
        /\/mounts\/\d+\/options\/1: "idmap" needs uidMappings and gidMappings on the mount, or a user namespace/,
      ],
      [
        'a filesystem without idmap support (procfs)',
        (c) => {
          userns(c);
          c.mounts.push({ destination: '/d', type: 'bind', source: '/proc/sys', options: ['rbind', 'idmap'] });
        },
        /idmap \/proc\/sys \(its filesystem cannot be idmapped, or it is idmapped already\): EINVAL/,
      ],
    ];
    for (const [name, edit, want] of cases) {
      const b = makeBundle(edit);
      const r = skiff(['create', '-b', b.dir, b.id]);
      assert.notEqual(r.code, 0, name);
      assert.match(r.stderr, want, `${name}: ${r.stderr}`);
      assert.deepEqual(assertGone(b), [], name);
    }
  });

  test('features reports idmap; check explains', () => {
    const f = JSON.parse(skiff(['features']).stdout);
    assert.equal(f.linux.mountExtensions.idmap.enabled, true);
    assert.ok(f.mountOptions.includes('idmap') && f.mountOptions.includes('ridmap'));
    const b = makeBundle((c) => {
      userns(c);
      c.mounts.push({
        destination: '/data',
        type: 'bind',
        source: volume(),
        options: ['rbind', 'idmap'],
        uidMappings: MAP,
        gidMappings: MAP,
      });
    });
    const r = skiff(['check', '--format', 'json', '-b', b.dir]);
    const findings = JSON.parse(r.stdout).findings ?? JSON.parse(r.stdout);
    assert.match(JSON.stringify(findings), /idmapped \(kernel /);
  });
});
