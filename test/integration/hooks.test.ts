// Hooks: each kind runs at its point, in its namespaces, with the state on stdin; failures follow
// spec 1.3 (createRuntime/createContainer/startContainer/poststart are errors, poststop a warning).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { assertGone, cleanupAll, makeBundle, skiff, stateOf, waitFor, type Bundle } from '../helpers/skiff';

after(() => cleanupAll());

const HOOK = `#!/bin/sh
state=$(cat)
echo "$1 $(readlink /proc/self/ns/mnt) $state" >> "$2"
[ "$3" = fail ] && { echo "hook says no" >&2; exit 3; }
exit 0
`;

function hookBundle(fail?: string): Bundle {
  return makeBundle((c, { out }) => {
    const dir = path.dirname(out);
    fs.writeFileSync(path.join(dir, 'hook.sh'), HOOK, { mode: 0o755 });
    const host = (kind: string) => ({
      path: '/bin/sh',
      args: ['sh', path.join(dir, 'hook.sh'), kind, path.join(out, 'hooks.log'), fail === kind ? 'fail' : 'ok'],
      timeout: 10,
    });
    c.mounts.push({ destination: '/mnt', type: 'bind', source: dir, options: ['rbind', 'ro'] });
    c.hooks = {
      prestart: [host('prestart')],
      createRuntime: [host('createRuntime')],
      createContainer: [host('createContainer')],
      startContainer: [
        { path: '/bin/sh', args: ['sh', '/mnt/hook.sh', 'startContainer', '/out/hooks.log', fail === 'startContainer' ? 'fail' : 'ok'] },
      ],
      poststart: [host('poststart')],
      poststop: [host('poststop')],
    };
    c.process.args = ['/bin/sh', '-c', 'echo "process $(readlink /proc/self/ns/mnt) {}" >> /out/hooks.log'];
  });
}

function log(b: Bundle): { kind: string; mnt: string; state: any }[] {
  const file = path.join(b.out, 'hooks.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [kind, mnt, ...rest] = l.split(' ');
      return { kind: kind!, mnt: mnt!, state: JSON.parse(rest.join(' ')) };
    });
}

describe('hooks', () => {
  test('every kind in order, with the state, in the right mount namespace', async () => {
    const b = hookBundle();
    fs.chmodSync(b.out, 0o777);
    const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    assert.deepEqual(
      log(b).map((e) => e.kind),
      ['prestart', 'createRuntime', 'createContainer'],
    );
    assert.equal(skiff(['start', b.id]).code, 0);
    await waitFor('process', () => log(b).some((e) => e.kind === 'process'));
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    const entries = log(b);
    // The process and poststart run concurrently (poststart follows the process's start).
    assert.deepEqual(
      entries.map((e) => e.kind).filter((k) => k !== 'process'),
      ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    );
    assert.ok(entries.findIndex((e) => e.kind === 'process') > entries.findIndex((e) => e.kind === 'startContainer'));
    const by = Object.fromEntries(entries.map((e) => [e.kind, e]));
    assert.ok(by.poststart && by.poststop && by.startContainer, JSON.stringify(entries.map((e) => e.kind)));
    const containerMnt = by.process.mnt;
    assert.equal(by.prestart.mnt, hostMnt);
    assert.equal(by.createRuntime.mnt, hostMnt);
    assert.equal(by.createContainer.mnt, containerMnt, 'createContainer runs in the container mount namespace');
    assert.equal(by.startContainer.mnt, containerMnt);
    assert.equal(by.poststart.mnt, hostMnt);
    assert.equal(by.poststop.mnt, hostMnt);
    for (const k of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
      assert.equal(by[k].state.id, b.id, k);
      assert.equal(by[k].state.bundle, b.dir, k);
      assert.equal(by[k].state.ociVersion, '1.3.0', k);
    }
    assert.equal(by.createRuntime.state.pid, pid);
    assert.equal(by.createRuntime.state.status, 'creating');
    assert.equal(by.startContainer.state.status, 'running');
    assert.equal(by.poststop.state.status, 'stopped');
    assert.deepEqual(assertGone(b, pid), []);
  });

  for (const kind of ['prestart', 'createRuntime', 'createContainer']) {
    test(`a failing ${kind} hook fails create and leaves nothing`, () => {
      const b = hookBundle(kind);
      fs.chmodSync(b.out, 0o777);
      const r = skiff(['create', '-b', b.dir, b.id]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`${kind} hook .* failed: exit status 3`));
      assert.deepEqual(assertGone(b), []);
    });
  }

  test('a failing startContainer hook fails start and stops the container', async () => {
    const b = hookBundle('startContainer');
    fs.chmodSync(b.out, 0o777);
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const r = skiff(['start', b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /startContainer hook .* failed: exit status 3/);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.ok(!log(b).some((e) => e.kind === 'process'), 'the process never ran');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
  });

  test('a failing poststop hook is a warning: delete still completes', () => {
    const b = hookBundle('poststop');
    fs.chmodSync(b.out, 0o777);
    assert.equal(skiff(['run', '-b', b.dir, b.id]).code, 0);
    assert.deepEqual(assertGone(b), []);
    assert.ok(log(b).some((e) => e.kind === 'poststop'));
  });

  test('a hook that outlives its timeout is killed and reported', () => {
    const b = makeBundle((c) => (c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const t = Date.now();
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out after 1 s/);
    assert.ok(Date.now() - t < 10_000);
    assert.deepEqual(assertGone(b), []);
  });
});
