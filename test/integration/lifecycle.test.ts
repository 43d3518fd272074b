// The lifecycle of runtime.md, driven through bin/skiff with real containers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { STATE_ROOT, assertGone, cleanupAll, makeBundle, pidAlive, skiff, stateOf, tempDir, waitFor, waitProbe } from '../helpers/skiff';
import { officialValidator } from '../helpers/official-schemas';

after(() => cleanupAll());

const stateSchema = officialValidator('state-schema.json');

function checkState(st: any): void {
  if (stateSchema) assert.ok(stateSchema(st), `state JSON against the official schema: ${JSON.stringify(stateSchema.errors)}`);
}

describe('lifecycle', () => {
  test('create → state → start → state → delete, with pid file', async () => {
    const b = makeBundle();
    const pidFile = path.join(b.dir, 'init.pid');
    const c = skiff(['create', '--bundle', b.dir, '--pid-file', pidFile, b.id]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, '');
    const st = stateOf(b.id);
    checkState(st);
    assert.equal(st.status, 'created');
    assert.equal(st.id, b.id);
    assert.equal(st.bundle, b.dir);
    assert.equal(st.owner, 'root', "runc's owner: the caller's user name");
    assert.ok(st.pid > 0);
    assert.equal(fs.readFileSync(pidFile, 'utf8'), String(st.pid));
    assert.ok(pidAlive(st.pid), 'init waits for start');
    assert.ok(!fs.existsSync(path.join(b.out, 'probe.json')), 'the process has not run before start');

    const s = skiff(['start', b.id]);
    assert.equal(s.code, 0, s.stderr);
    await waitProbe(b);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    const stopped = stateOf(b.id);
    checkState(stopped);
    assert.equal(stopped.pid, 0);

    const d = skiff(['delete', b.id]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(assertGone(b, st.pid), []);
    const gone = skiff(['state', b.id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /does not exist/);
  });

  test('running → kill (SIGTERM by default) → stopped; wrong-state operations fail', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--sleep', 'inf']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    assert.equal(skiff(['start', b.id]).code, 0);
    await waitProbe(b);
    const st = stateOf(b.id);
    assert.equal(st.status, 'running');

    const again = skiff(['start', b.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /running/);
    assert.equal(again.stderr.trim().split('\n').length, 1, 'one line, no stack trace');

    const del = skiff(['delete', b.id]);
    assert.equal(del.code, 1);
    assert.match(del.stderr, /not stopped/);
    assert.ok(pidAlive(st.pid), 'a refused delete leaves the container running');

    assert.equal(skiff(['kill', b.id]).code, 0);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    const k = skiff(['kill', b.id, 'KILL']);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /container not running/);
    const s2 = skiff(['start', b.id]);
    assert.equal(s2.code, 1);
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b, st.pid), []);
  });

  for (const sig of ['KILL', 'SIGKILL', '9']) {
    test(`kill accepts ${sig}`, async () => {
      const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
      assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
      assert.equal(skiff(['start', b.id]).code, 0);
      const pid = stateOf(b.id).pid;
      assert.equal(skiff(['kill', b.id, sig]).code, 0);
      await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
      assert.equal(skiff(['delete', b.id]).code, 0);
      assert.deepEqual(assertGone(b, pid), []);
    });
  }

  test('kill rejects an unknown signal', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const r = skiff(['kill', b.id, 'SIGNOPE']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown signal/);
    assert.equal(skiff(['delete', b.id]).code, 0, 'a created container is deleted without --force');
    assert.deepEqual(assertGone(b), []);
  });

  test('delete --force of a running container; delete --force of a missing one is quiet', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    assert.equal(stateOf(b.id).status, 'running');
    const d = skiff(['delete', '--force', b.id]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(assertGone(b, pid), []);
    const again = skiff(['delete', '--force', b.id]);
    assert.equal(again.code, 0);
    assert.equal(again.stdout + again.stderr, '');
    const plain = skiff(['delete', b.id]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /does not exist/);
  });

  test('kill --all signals every process of the container', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    assert.equal(skiff(['kill', '--all', b.id, '9']).code, 0);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    assert.deepEqual(assertGone(b, pid), []);
  });

  test('run waits and exits with the container status; 128+n for a signal', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--exit', '3']));
    const r = skiff(['run', '-b', b.dir, b.id]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(b.probe().pid === 1);
    assert.deepEqual(assertGone(b), []);

    // Without a pid namespace of its own: a namespace's pid 1 cannot SIGKILL itself.
    const k = makeBundle((c) => {
      c.process.args = ['/bin/sh', '-c', 'kill -9 $$'];
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'pid');
    });
    const r2 = skiff(['run', '-b', k.dir, k.id]);
    assert.equal(r2.code, 137, r2.stderr);
    assert.deepEqual(assertGone(k), []);
  });

  test('run in the foreground passes stdio through', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sh', '-c', 'read x; echo "got $x"; echo err >&2']));
    const r = skiff(['run', '-b', b.dir, b.id], { input: 'hello\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'got hello\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('list shows containers as a table, JSON and ids', () => {
    const root = tempDir('skiff-list-');
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['create', '-b', b.dir, b.id], { root }).code, 0);
    const t = skiff(['list'], { root });
    assert.match(t.stdout, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n/);
    assert.match(t.stdout, new RegExp(`${b.id}\\s+\\d+\\s+created\\s+${b.dir}`));
    const j = JSON.parse(skiff(['list', '--format', 'json'], { root }).stdout);
    assert.equal(j.length, 1);
    assert.equal(j[0].status, 'created');
    assert.equal(skiff(['list', '-q'], { root }).stdout, `${b.id}\n`);
    assert.equal(skiff(['delete', b.id], { root }).code, 0);
    assert.deepEqual(assertGone(b, undefined, root), []);
    assert.equal(skiff(['list', '-q'], { root }).stdout, '');
  });

  test('create of an existing id is refused and leaves the first container alone', () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/sleep', '1000']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    const pid = stateOf(b.id).pid;
    const r = skiff(['create', '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists/);
    assert.equal(stateOf(b.id).pid, pid);
    assert.equal(skiff(['delete', b.id]).code, 0);
  });

  test('a dead init reads as stopped even before anyone reaps it', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/true']));
    assert.equal(skiff(['create', '-b', b.dir, b.id]).code, 0);
    assert.equal(skiff(['start', b.id]).code, 0);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
  });

  test('state root is created on demand and STATE_ROOT is private', () => {
    assert.ok(fs.existsSync(STATE_ROOT));
    assert.equal(fs.statSync(STATE_ROOT).mode & 0o077, 0);
  });
});
