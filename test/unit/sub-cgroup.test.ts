// exec --cgroup's forms (runc 1.2), on each cgroup layout.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSubCgroup, subCgroupPaths } from '../../src/cgroups/sub-cgroup';

const HYBRID = { mode: 'hybrid' as const, unified: '/u/c', v1: { memory: '/m/c', 'cpu,cpuacct': '/cpu/c', pids: '/p/c' } };

test('PATH for every hierarchy; CONTROLLER:PATH for those controllers only', () => {
  assert.deepEqual(subCgroupPaths(HYBRID, ['a/b']), {
    ...HYBRID,
    unified: '/u/c/a/b',
    v1: { memory: '/m/c/a/b', 'cpu,cpuacct': '/cpu/c/a/b', pids: '/p/c/a/b' },
  });
  assert.deepEqual(subCgroupPaths(HYBRID, ['cpu:x', 'memory,pids:y']).v1, { memory: '/m/c/y', 'cpu,cpuacct': '/cpu/c/x', pids: '/p/c/y' });
  assert.deepEqual(subCgroupPaths(HYBRID, ['cpu:x', 'z']).v1, { memory: '/m/c/z', 'cpu,cpuacct': '/cpu/c/x', pids: '/p/c/z' });
  assert.equal(subCgroupPaths({ mode: 'unified', unified: '/sys/fs/cgroup/c', v1: {} }, ['/sub/']).unified, '/sys/fs/cgroup/c/sub');
});

test('below the container only; known controllers only; one plain PATH', () => {
  assert.throws(() => parseSubCgroup('../x'), /a path below the container's cgroup/);
  assert.throws(() => parseSubCgroup('a/../../x'), /a path below/);
  assert.throws(() => parseSubCgroup(''), /a path below/);
  assert.throws(() => parseSubCgroup(':x'), /no controller/);
  assert.throws(() => subCgroupPaths(HYBRID, ['rdma:x']), /no cgroup v1 hierarchy has the controller "rdma"/);
  assert.throws(() => subCgroupPaths(HYBRID, ['a', 'b']), /one PATH without controllers/);
  assert.throws(() => subCgroupPaths({ mode: 'unified', unified: '/c', v1: {} }, ['memory:x']), /cgroup v2 has one hierarchy/);
});
