// Rootless decisions that need no container: the default state directory, --rootless auto, the
// limits that need a cgroup, and the cgroup mount of a container without one.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { CgroupPaths } from '../../src/cgroups/manager';
import { limitsAsked } from '../../src/cgroups/no-cgroup';
import { defaultSpec } from '../../src/commands/spec';
import { MS } from '../../src/linux/mount-options';
import { buildPlan } from '../../src/linux/plan';
import { defaultStateRoot, isRootless } from '../../src/rootless';
import type { Spec } from '../../src/spec/types';

test('the default --root: /run/skiff for root, $XDG_RUNTIME_DIR/skiff, else /run/user/UID/skiff', () => {
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0' }, 0, false), '/run/skiff');
  assert.equal(
    defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 0, true),
    '/run/user/1000/skiff',
    "root of a rootless podman's user namespace",
  );
  assert.equal(defaultStateRoot({}, 0, true), '/run/skiff');
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/skiff');
  assert.equal(defaultStateRoot({}, 1000), '/run/user/1000/skiff');
  assert.equal(defaultStateRoot({ XDG_RUNTIME_DIR: 'relative' }, 1000), '/run/user/1000/skiff', 'a relative XDG_RUNTIME_DIR is ignored');
});

test('--rootless true and false are what they say', () => {
  assert.equal(isRootless('true'), true);
  assert.equal(isRootless('false'), false);
});

test('limits that need a cgroup; device rules and empty sections do not', () => {
  assert.deepEqual(limitsAsked(undefined), []);
  assert.deepEqual(limitsAsked({ devices: [{ allow: false, access: 'rwm' }] }), []);
  assert.deepEqual(limitsAsked({ memory: {}, cpu: { shares: undefined }, hugepageLimits: [] } as any), []);
  assert.deepEqual(limitsAsked({ memory: { limit: 1 }, pids: { limit: 5 }, devices: [] }), ['memory', 'pids']);
  assert.deepEqual(limitsAsked({ unified: { 'memory.high': '1M' } }), ['unified']);
});

test('without a cgroup, /sys/fs/cgroup is the host hierarchy bound in (read-only as asked)', () => {
  const none: CgroupPaths = { mode: 'hybrid', v1: {}, none: 'not writable' };
  const spec = defaultSpec() as unknown as Spec;
  const plan = buildPlan({
    spec,
    bundle: '/b',
    rootfs: '/b/rootfs',
    cgroup: none,
    noPivot: false,
    keyring: 'id',
    fds: { fifo: -1, console: -1, preserve: 0 },
  });
  const cg = plan.init.mounts.filter((m) => m.destination === '/sys/fs/cgroup');
  assert.equal(cg.length, 1);
  assert.equal(cg[0]!.source, '/sys/fs/cgroup');
  assert.ok(cg[0]!.bind && cg[0]!.cgroup);
  assert.ok(cg[0]!.flags & MS.REC && cg[0]!.flags & MS.RDONLY);
});
