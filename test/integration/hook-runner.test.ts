// The one hook runner (addon/common/hook-runner.h), against one table of cases, in both places it
// runs: called by skiff through the addon (prestart, createRuntime, poststart, poststop) and by
// skiff-init for a createContainer hook in the container's namespaces. Same case, same result.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';

import { ROOT, assertGone, cleanupAll, makeBundle, pidAlive, skiff, tempDir } from '../helpers/skiff';

const addon = require(path.join(ROOT, 'build/Release/skiff.node')) as {
  runHook(kind: string, h: { path: string; args: string[]; env: string[]; timeout: number | null }, state: string): string;
};
const work = tempDir('skiff-hook-runner-');
const daemonPid = path.join(work, 'daemon.pid');
const notExecutable = path.join(work, 'not-executable');
fs.writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
fs.chmodSync(work, 0o755);

after(() => {
  if (fs.existsSync(daemonPid))
    for (const p of fs.readFileSync(daemonPid, 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  cleanupAll();
});

interface Case {
  name: string;
  hook: { path: string; args?: string[]; env?: string[]; timeout?: number };
  /** The failure, with KIND standing for the hook kind; "" for success. */
  want: string;
}

const sh = (script: string, more: Partial<Case['hook']> = {}): Case['hook'] => ({
  path: '/bin/sh',
  args: ['sh', '-c', script],
  env: ['PATH=/bin:/usr/bin'],
  ...more,
});

const CASES: Case[] = [
  { name: 'success', hook: { path: '/bin/true', env: [] }, want: '' },
  {
    name: 'exit status, the last line of stderr',
    hook: sh('echo out; echo first >&2; echo last-line >&2; exit 3'),
    want: 'KIND hook /bin/sh failed: exit status 3: last-line',
  },
  { name: 'killed by a signal', hook: sh('kill -SEGV $$'), want: 'KIND hook /bin/sh failed: killed by SIGSEGV' },
  { name: 'timeout', hook: sh('sleep 20', { timeout: 1 }), want: 'KIND hook /bin/sh timed out after 1 s' },
  { name: 'no such file', hook: { path: '/nonexistent/hook', env: [] }, want: 'KIND hook /nonexistent/hook: no such file or directory' },
  { name: 'not executable', hook: { path: notExecutable, env: [] }, want: `KIND hook ${notExecutable}: permission denied` },
  { name: 'stdin ignored (a large state)', hook: { path: '/bin/true', env: [] }, want: '' },
  { name: 'stdin read to the end', hook: sh('cat >/dev/null; exit 0'), want: '' },
  {
    name: 'argv[0] from args, env exactly as given',
    hook: sh('[ "$0" = sh ] && [ "$ONLY" = this ] && [ -z "$HOME" ]', { env: ['ONLY=this'] }),
    want: '',
  },
  { name: 'a daemon left holding the pipes is not waited for', hook: sh(`sleep 30 & echo $! >> ${daemonPid}; exit 0`), want: '' },
];

describe('hook runner: one table, both runners', () => {
  for (const c of CASES) {
    test(`skiff (addon): ${c.name}`, () => {
      const state = c.name.startsWith('stdin ignored') ? 'x'.repeat(300_000) : '{"ociVersion":"1.3.0"}';
      const started = Date.now();
      const got = addon.runHook(
        'poststop',
        { path: c.hook.path, args: c.hook.args ?? [], env: c.hook.env ?? [], timeout: c.hook.timeout ?? null },
        state,
      );
      assert.equal(got, c.want.replace('KIND', 'poststop'));
      if (c.name.startsWith('a daemon')) assert.ok(Date.now() - started < 10_000, 'returned without waiting for the daemon');
    });

    test(`skiff-init (createContainer): ${c.name}`, () => {
      const b = makeBundle((cfg) => {
        cfg.process.args = ['/bin/true'];
        if (c.name.startsWith('stdin ignored')) cfg.annotations = { big: 'x'.repeat(300_000) };
        cfg.hooks = { createContainer: [c.hook] };
      });
      const r = skiff(['run', '-b', b.dir, b.id]);
      if (c.want === '') assert.equal(r.code, 0, r.stderr);
      else {
        assert.notEqual(r.code, 0);
        assert.equal(r.stderr.trim().split('\n').pop(), c.want.replace('KIND', 'createContainer'));
      }
      assert.deepEqual(assertGone(b), []);
    });
  }

  test('the daemons the last case left are ours to end', () => {
    for (const p of fs.readFileSync(daemonPid, 'utf8').split('\n').filter(Boolean)) {
      if (pidAlive(Number(p))) process.kill(Number(p), 'SIGKILL');
    }
  });
});
