// The same bundle under Debian's runc and under skiff: the probe's reports must agree field by
// field, except where a difference is intended (each explained below).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { compare } from '../helpers/probe-compare';
import { assertGone, cleanupAll, makeBundle, run, skiff, tempDir, type Bundle } from '../helpers/skiff';

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const runcRoot = tempDir('skiff-runc-root-');

after(() => {
  if (RUNC) for (const id of fs.readdirSync(runcRoot)) run(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  cleanupAll();
});

function underBoth(edit: (c: any) => void): { skiff: any; runc: any } {
  const s = makeBundle(edit);
  const r = makeBundle(edit);
  for (const b of [s, r]) fs.chmodSync(b.out, 0o777);
  const rs = skiff(['run', '-b', s.dir, s.id]);
  assert.equal(rs.code, 0, `skiff: ${rs.stderr}`);
  const rr = run(RUNC!, ['--root', runcRoot, 'run', '-b', r.dir, r.id]);
  assert.equal(rr.code, 0, `runc: ${rr.stderr}`);
  assert.deepEqual(assertGone(s), []);
  return { skiff: s.probe(), runc: r.probe() };
}

describe('differential: skiff vs runc', { skip: RUNC ? false : 'runc is not installed (scripts/setup.sh installs it)' }, () => {
  test('default-like bundle as root', () => {
    const { skiff: a, runc: b } = underBoth(() => {});
    compare(a, b);
  });

  test('non-root user with groups, umask, rlimits, ambient capabilities', () => {
    const { skiff: a, runc: b } = underBoth((c) => {
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [100], umask: 0o077 };
      c.process.cwd = '/tmp';
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
        { type: 'RLIMIT_NPROC', soft: 50, hard: 60 },
      ];
      c.process.capabilities.ambient = ['CAP_NET_BIND_SERVICE'];
      c.process.capabilities.inheritable = ['CAP_NET_BIND_SERVICE'];
      c.process.noNewPrivileges = false;
      const out = c.mounts.find((m: any) => m.destination === '/out');
      out.options = ['rbind', 'rw'];
    });
    compare(a, b);
  });

  test('no capabilities block, writable root, shared ipc/uts with the host', () => {
    const { skiff: a, runc: b } = underBoth((c) => {
      delete c.process.capabilities;
      c.root.readonly = false;
      delete c.hostname;
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'ipc' && n.type !== 'uts');
    });
    compare(a, b);
  });

  test('user namespace with id mappings', () => {
    const edit = (c: any) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    };
    const s = makeBundle(edit);
    const r = makeBundle(edit);
    for (const b of [s, r] as Bundle[]) {
      fs.chmodSync(b.dir, 0o755);
      fs.chmodSync(b.out, 0o777);
    }
    assert.equal(skiff(['run', '-b', s.dir, s.id]).code, 0);
    const rr = run(RUNC!, ['--root', runcRoot, 'run', '-b', r.dir, r.id]);
    assert.equal(rr.code, 0, rr.stderr);
    compare(s.probe(), r.probe());
    assert.equal(fs.statSync(path.join(s.out, 'probe.json')).uid, fs.statSync(path.join(r.out, 'probe.json')).uid);
  });
});
