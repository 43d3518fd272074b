// signalAll and thawIfFrozen against a test double of the cgroup driver interface: the order of
// freeze, signal and thaw, and a paused container staying paused (runc's signalAllProcesses).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';

import { cgroupDriver, signalAll, thawIfFrozen, type CgroupDriver } from '../../src/cgroups/driver';

function fake(pids: number[], frozen = false): CgroupDriver & { calls: string[] } {
  const calls: string[] = [];
  let isFrozen = frozen;
  return {
    kind: 'fs-v1',
    paths: { mode: 'legacy', v1: {} },
    calls,
    create: () => calls.push('create'),
    attach: () => calls.push('attach'),
    apply: () => calls.push('apply'),
    update: () => calls.push('update'),
    freeze: () => {
      calls.push('freeze');
      isFrozen = true;
    },
    thaw: () => {
      calls.push('thaw');
      isFrozen = false;
    },
    isFrozen: () => isFrozen,
    pids: () => pids,
    everyPid: () => pids,
    stats: () => ({}) as never,
    oomKills: () => 0n,
    oomEventsFile: () => undefined,
    remove: async () => [],
  };
}

describe('cgroup driver', () => {
  test('the driver for each layout', () => {
    assert.equal(cgroupDriver({ mode: 'unified', unified: '/sys/fs/cgroup/x', v1: {} }).kind, 'fs-v2');
    assert.equal(cgroupDriver({ mode: 'hybrid', unified: '/sys/fs/cgroup/unified/x', v1: { memory: '/m' } }).kind, 'fs-v1');
    assert.equal(cgroupDriver({ mode: 'legacy', v1: { memory: '/m' } }).kind, 'fs-v1');
    assert.equal(
      cgroupDriver({ mode: 'unified', unified: '/x', v1: {}, systemd: { unit: 'a.scope', slice: 's.slice', managed: [] } } as never).kind,
      'systemd',
    );
  });

  test('kill --all: freeze, signal each process, thaw', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    const d = fake([child.pid!]);
    assert.equal(signalAll(d, 15), 1);
    assert.deepEqual(d.calls, ['freeze', 'thaw']);
    assert.equal(await exited, 'SIGTERM');
  });

  test('a paused container stays paused, except for SIGKILL; signal 0 only counts', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const d = fake([child.pid!], true);
    assert.equal(signalAll(d, 0), 1);
    assert.equal(signalAll(d, 28), 1); // SIGWINCH: ignored by sleep
    assert.deepEqual(d.calls, [], 'no freeze, no thaw');
    assert.equal(signalAll(d, 9), 1);
    assert.deepEqual(d.calls, ['thaw']);
    await exited;
    assert.equal(signalAll(fake([]), 9), 0);
  });

  test('thawIfFrozen thaws only what is frozen', () => {
    const a = fake([], true);
    thawIfFrozen(a);
    const b = fake([], false);
    thawIfFrozen(b);
    assert.deepEqual([a.calls, b.calls], [['thaw'], []]);
  });
});
