// skiff spec --rootless: runc's ToRootless applied to the default (the differential against
// `runc spec --rootless` is in test/integration/conformance.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultSpec, rootlessSpec } from '../../src/commands/spec';

test("the caller's ids mapped to 0, no network namespace, /sys bound, no uid=/gid=, no limits", () => {
  const r: any = rootlessSpec(defaultSpec({ cgroupNamespace: true }), { uid: 1000, gid: 1001 });
  assert.deepEqual(r.linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.deepEqual(r.linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  assert.deepEqual(
    r.linux.namespaces.map((n: any) => n.type),
    ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user'],
  );
  assert.equal(r.linux.resources, undefined);
  assert.deepEqual(
    r.mounts.find((m: any) => m.destination === '/sys'),
    { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] },
  );
  assert.ok(!r.mounts.some((m: any) => (m.options ?? []).some((o: string) => /^(uid|gid)=/.test(o))));
});
