// process.terminal with --console-socket: the pty master travels over the socket (SCM_RIGHTS),
// the container's stdio is the pty slave from its own devpts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOT, assertGone, cleanupAll, makeBundle, skiff, stateOf, waitFor, waitProbe } from '../helpers/skiff';

after(() => cleanupAll());

function receiver(dir: string, input = '') {
  const sock = path.join(dir, 'console.sock');
  const out = path.join(dir, 'console');
  const child = spawn('python3', [path.join(ROOT, 'test/helpers/console-receiver.py'), sock, out, input], { stdio: 'ignore' });
  return { sock, out, child, done: new Promise<void>((r) => child.on('exit', () => r())) };
}

describe('console socket', () => {
  test('the container gets a pty of its own devpts, sized as consoleSize', async () => {
    const b = makeBundle((c) => {
      c.process.terminal = true;
      c.process.consoleSize = { height: 33, width: 101 };
      c.process.args = ['/bin/probe', '--out', '/out/probe.json'];
    });
    const rx = receiver(b.dir);
    await waitFor('receiver', () => fs.existsSync(rx.out + '.ready'));
    const r = skiff(['create', '--console-socket', rx.sock, '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(rx.out + '.name', 'utf8'), '/dev/pts/0');
    assert.equal(skiff(['start', b.id]).code, 0);
    await waitProbe(b);
    const p = b.probe();
    assert.deepEqual({ in: p.tty.stdin, out: p.tty.stdout, err: p.tty.stderr }, { in: true, out: true, err: true });
    assert.equal(p.tty.name, '/dev/pts/0');
    assert.deepEqual(p.winsize ?? p.tty.winsize, { rows: 33, cols: 101 });
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
    await rx.done;
    assert.deepEqual(assertGone(b), []);
  });

  test('input typed into the master reaches the process, its output comes back', async () => {
    const b = makeBundle((c) => {
      c.process.terminal = true;
      c.process.args = ['/bin/sh', '-c', 'read line; echo "echo:$line"'];
    });
    const rx = receiver(b.dir, 'hello-tty\n');
    await waitFor('receiver', () => fs.existsSync(rx.out + '.ready'));
    const r = skiff(['run', '-d', '--console-socket', rx.sock, '-b', b.dir, b.id]);
    assert.equal(r.code, 0, r.stderr);
    await rx.done;
    assert.match(fs.readFileSync(rx.out + '.data', 'utf8'), /echo:hello-tty/);
    await waitFor('stopped', () => stateOf(b.id).status === 'stopped');
    assert.equal(skiff(['delete', b.id]).code, 0);
  });

  test('a console socket nobody listens on fails create cleanly', () => {
    const b = makeBundle((c) => (c.process.terminal = true));
    const r = skiff(['create', '--console-socket', path.join(b.dir, 'nobody.sock'), '-b', b.dir, b.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /console socket .*no such file or directory/);
    assert.deepEqual(assertGone(b), []);
  });
});
