// run -t / exec -t without --console-socket: skiff relays the terminal itself. A real pty comes
// from util-linux's script(1).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { SKIFF, STATE_ROOT, assertGone, cleanupAll, makeBundle, run, skiff, stateOf, waitProbe } from '../helpers/skiff';

after(() => cleanupAll());

const SCRIPT = fs.existsSync('/usr/bin/script') ? '/usr/bin/script' : undefined;

/** Runs `command` in a new pty (rows x cols), typing `input` after a short delay. */
function inPty(command: string, input: string, dir: string): { code: number; out: string } {
  const inFile = path.join(dir, 'typed');
  fs.writeFileSync(inFile, input);
  const logFile = path.join(dir, 'pty.log');
  const r = run(
    '/bin/sh',
    ['-c', `(sleep 0.5; cat "${inFile}"; sleep 2) | ${SCRIPT} -qec '${command.replace(/'/g, `'\\''`)}' "${logFile}"`],
    { timeout: 30_000 },
  );
  return { code: r.code, out: fs.readFileSync(logFile, 'utf8') };
}

describe('terminal relay', { skip: SCRIPT ? false : 'script(1) is not installed' }, () => {
  test('run -t: typing reaches the container, output and exit status come back, the terminal is restored', () => {
    const b = makeBundle((c) => {
      c.process.terminal = true;
      c.process.args = ['/bin/sh'];
    });
    const cmd = `stty rows 40 cols 120; stty -g > "${b.dir}/before"; ${SKIFF} --root ${STATE_ROOT} run -b ${b.dir} ${b.id}; echo "skiff-rc=$?"; stty -g > "${b.dir}/after"`;
    const r = inPty(cmd, 'tty; stty size; echo "typed-$((6*7))"; exit 3\r', b.dir);
    assert.match(r.out, /\/dev\/pts\/0/);
    assert.match(r.out, /40 120/, "the caller's window size reaches the container");
    assert.match(r.out, /typed-42/);
    assert.match(r.out, /skiff-rc=3/);
    assert.equal(
      fs.readFileSync(path.join(b.dir, 'after'), 'utf8'),
      fs.readFileSync(path.join(b.dir, 'before'), 'utf8'),
      'termios restored',
    );
    assert.deepEqual(assertGone(b), []);
  });

  test('exec -t into a running container', async () => {
    const b = makeBundle((c) => (c.process.args = ['/bin/probe', '--out', '/out/probe.json', '--sleep', 'inf']));
    assert.equal(skiff(['run', '-d', '-b', b.dir, b.id]).code, 0);
    await waitProbe(b);
    const r = inPty(`${SKIFF} --root ${STATE_ROOT} exec -t ${b.id} sh; echo "skiff-rc=$?"`, 'tty; echo "in-$((2*21))"; exit 4\r', b.dir);
    assert.match(r.out, /\/dev\/pts\/\d+/);
    assert.match(r.out, /in-42/);
    assert.match(r.out, /skiff-rc=4/);
    assert.equal(stateOf(b.id).status, 'running');
    assert.equal(skiff(['delete', '--force', b.id]).code, 0);
  });
});
