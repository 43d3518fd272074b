// The spec and plan of check's trial create (src/container/trial.ts): the same container, in
// namespaces of its own, with nothing that reaches outside them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { CgroupPaths } from '../../src/cgroups/manager';
import { defaultSpec } from '../../src/commands/spec';
import { trialPlan, trialSpec } from '../../src/container/trial';
import { MS } from '../../src/linux/mount-options';
import { buildPlan } from '../../src/linux/plan';
import type { Spec } from '../../src/spec/types';

const HYBRID: CgroupPaths = { mode: 'hybrid', unified: '/sys/fs/cgroup/unified/t', v1: { memory: '/sys/fs/cgroup/memory/t' } };

function spec(edit: (c: any) => void): Spec {
  const c = defaultSpec() as any;
  edit(c);
  return c as Spec;
}

function planOf(s: Spec) {
  return buildPlan({
    spec: s,
    bundle: '/b',
    rootfs: '/b/rootfs',
    cgroup: HYBRID,
    noPivot: false,
    keyring: 'id',
    fds: { fifo: -1, console: -1, preserve: 0 },
  });
}

test('joined namespaces become new ones, but a joined user namespace is joined; a mount namespace is always new', () => {
  const s = spec((c) => {
    c.linux.namespaces = [
      { type: 'user', path: '/proc/1/ns/user' },
      { type: 'network', path: '/proc/1/ns/net' },
      { type: 'uts', path: '/proc/1/ns/uts' },
    ];
  });
  const t = trialSpec(s);
  assert.deepEqual(t.linux!.namespaces, [
    { type: 'user', path: '/proc/1/ns/user' },
    { type: 'network' },
    { type: 'uts' },
    { type: 'mount' },
  ]);
  assert.equal(s.linux!.namespaces!.length, 3, 'the input is not changed');
});

test('no sysctls, network devices, cgroup path, terminal or hooks but startContainer', () => {
  const t = trialSpec(
    spec((c) => {
      c.linux.sysctl = { 'kernel.domainname': 'x' };
      c.linux.netDevices = { eth9: {} };
      c.linux.cgroupsPath = '/x';
      c.process.terminal = true;
      c.hooks = {
        prestart: [{ path: '/a' }],
        createRuntime: [{ path: '/b' }],
        startContainer: [{ path: '/c' }],
        poststop: [{ path: '/d' }],
      };
    }),
  );
  assert.equal(t.linux!.sysctl, undefined);
  assert.equal(t.linux!.netDevices, undefined);
  assert.equal(t.linux!.cgroupsPath, undefined);
  assert.equal(t.process!.terminal, false);
  assert.deepEqual(t.hooks, { startContainer: [{ path: '/c' }] });
});

test('the plan: a trial, no hook stop, no keyring, no cgroup binds, every other bind read-only', () => {
  const s = trialSpec(
    spec((c) => {
      c.mounts.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rw'] });
      c.mounts.push({ destination: '/conf', type: 'bind', source: '/srv/conf', options: ['bind', 'ro'] });
      c.hooks = { startContainer: [{ path: '/c' }] };
    }),
  );
  const plan = planOf(s);
  assert.equal(plan.init.hooksSync, true);
  assert.ok(plan.init.mounts.some((m) => m.cgroup && m.bind));
  const readonly = trialPlan(plan);
  assert.equal(plan.init.trial, true);
  assert.equal(plan.init.hooksSync, false);
  assert.equal(plan.init.keyring, null);
  assert.ok(!plan.init.mounts.some((m) => m.cgroup && m.bind), 'cgroup binds dropped');
  assert.deepEqual(readonly, ['/data']);
  for (const m of plan.init.mounts) if (m.bind) assert.ok(m.flags & MS.RDONLY, m.destination);
});

test('a plan from buildPlan is not a trial', () => {
  const plan = planOf(spec(() => {}));
  assert.equal(plan.init.trial, false);
});
