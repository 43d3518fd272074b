// linux.netDevices (config-linux.md, runtime-spec 1.3): a host network device, made by the test
// (one end of a veth pair: this kernel has no dummy driver), moved into the container's network namespace under a new name, with its permanent
// global addresses and up; not moved back on delete (the spec forbids it: a virtual device goes
// with the namespace). runc 1.1.5 predates netDevices, so the kernel's view is the reference.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { assertGone, cleanupAll, makeBundle, run, skiff } from '../helpers/skiff';

const DEV = `skd${process.pid % 100000}`;
const PEER = `${DEV}p`;

function ip(...args: string[]) {
  return run('ip', args);
}

after(() => {
  for (const d of [DEV, PEER]) if (ip('link', 'show', d).code === 0) ip('link', 'del', d);
  cleanupAll();
});

function makeDevice(): void {
  for (const d of [DEV, PEER]) if (ip('link', 'show', d).code === 0) ip('link', 'del', d);
  assert.equal(ip('link', 'add', DEV, 'type', 'veth', 'peer', 'name', PEER).code, 0);
  assert.equal(ip('addr', 'add', '10.199.1.1/24', 'dev', DEV).code, 0);
  assert.equal(ip('addr', 'add', '10.199.2.1/16', 'dev', DEV).code, 0);
}

/** A container that gets DEV as ctr0 and prints its IPv4 addresses, then "up" if the link is. */
function movingBundle() {
  return makeBundle((c) => {
    c.linux.netDevices = { [DEV]: { name: 'ctr0' } };
    c.process.args = [
      '/bin/sh',
      '-c',
      "ip -o -4 addr show dev ctr0 | awk '{print $4}'; ip -o link show ctr0 | grep -q '[<,]UP[,>]' && echo up",
    ];
  });
}

describe('linux.netDevices', () => {
  test('moved, renamed, addresses kept, up; gone with the namespace on delete, never moved back', () => {
    makeDevice();
    const b = movingBundle();
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    assert.notEqual(ip('link', 'show', DEV).code, 0, 'the device left the host namespace');
    const r = skiff(['start', b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
    // A virtual device is destroyed with the namespace (a veth pair with it), not moved back.
    const until = Date.now() + 10_000;
    while ((ip('link', 'show', DEV).code === 0 || ip('link', 'show', PEER).code === 0) && Date.now() < until)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    assert.notEqual(ip('link', 'show', DEV).code, 0, 'not moved back');
    assert.notEqual(ip('link', 'show', PEER).code, 0, 'its peer went with it');
  });

  test('what the container sees (run)', () => {
    makeDevice();
    const b = movingBundle();
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '10.199.1.1/24\n10.199.2.1/16\nup\n');
    assert.deepEqual(assertGone(b), []);
  });

  test('a name the container has already, or no such device: a clear error, the device stays on the host', () => {
    makeDevice();
    const clash = makeBundle((c) => (c.linux.netDevices = { [DEV]: { name: 'lo' } }));
    const r = skiff(['create', '-b', clash.dir, clash.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`network device ${DEV}: the container's network namespace has a device named lo already`));
    assert.deepEqual(assertGone(clash), []);
    assert.equal(ip('link', 'show', DEV).code, 0, 'still on the host');
    const missing = makeBundle((c) => (c.linux.netDevices = { nosuchdev0: {} }));
    const m = skiff(['create', '-b', missing.dir, missing.id]);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /network device nosuchdev0: no such device in skiff's network namespace/);
    assert.deepEqual(assertGone(missing), []);
  });

  test('features says so', () => {
    assert.equal(JSON.parse(skiff(['features']).stdout).linux.netDevices.enabled, true);
  });

  test('into a new network namespace inside a joined user namespace: refused clearly (not silently left on the host)', () => {
    makeDevice();
    const b = makeBundle((c) => {
      c.linux.namespaces = [
        { type: 'user', path: '/proc/self/ns/user' },
        { type: 'network' },
        { type: 'mount' },
        { type: 'pid', path: '/proc/self/ns/pid' },
      ];
      delete c.hostname;
      c.linux.netDevices = { [DEV]: {} };
    });
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /\/linux\/netDevices: moving network devices into a new network namespace inside a joined user namespace is not supported by skiff yet/,
    );
    assert.deepEqual(assertGone(b), []);
    assert.equal(ip('link', 'show', DEV).code, 0, 'the device stays on the host');
  });
});
