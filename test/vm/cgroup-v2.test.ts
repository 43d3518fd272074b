// Pure cgroup v2 with every controller: this machine is hybrid, so the v2 suite
// (test/vm/guest/cgroup-v2.suite.ts) runs inside a qemu VM booted once by scripts/vm/run-in-vm.sh
// (Debian's kernel and qemu, the checkout shared read-write). Skipped, with the reason, where the VM
// cannot be prepared (not root, no qemu package) or when SKIFF_SKIP_VM=1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT } from '../helpers/skiff';

const SCRIPT = path.join(ROOT, 'scripts/vm/run-in-vm.sh');
const GUEST_SRC = path.join(ROOT, 'test/vm/guest/cgroup-v2.suite.ts');
// Outside build/test, which scripts/test.sh wipes before bundling.
const GUEST_JS = path.join(ROOT, 'build/vm/cgroup-v2.suite.js');

function tail(s: string, n = 40): string {
  return s.trimEnd().split('\n').slice(-n).join('\n');
}

test('cgroup v2 suite in a VM (pure cgroup2, every controller)', { timeout: 30 * 60_000 }, (t) => {
  if (process.env.SKIFF_SKIP_VM === '1') return t.skip('SKIFF_SKIP_VM=1');
  if (process.getuid?.() !== 0) return t.skip('needs root (qemu with 9p passthrough, apt-get)');
  // The environment of this test process goes into the VM: not the test runner's own protocol.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;

  const prep = spawnSync('bash', [SCRIPT, '--prepare'], { encoding: 'utf8', timeout: 20 * 60_000, env });
  if (prep.status !== 0) return t.skip(`the VM cannot be prepared here (qemu-system-x86 / Debian kernel package): ${tail(prep.stderr, 5)}`);

  const build = spawnSync('npx', ['esbuild', GUEST_SRC, '--bundle', '--platform=node', '--target=node20', '--format=cjs', '--log-level=warning', `--outfile=${GUEST_JS}`], { cwd: ROOT, encoding: 'utf8', env });
  assert.equal(build.status, 0, build.stderr);

  const t0 = Date.now();
  const r = spawnSync('bash', [SCRIPT, '--rw', ROOT, '--', process.execPath, '--test', '--test-reporter=tap', GUEST_JS], {
    cwd: ROOT, encoding: 'utf8', env, timeout: 25 * 60_000, maxBuffer: 64 << 20,
  });
  const out = `${r.stdout ?? ''}${r.stderr ? '\n' + r.stderr : ''}`;
  for (const line of out.trimEnd().split('\n')) console.log(`# vm| ${line}`);
  console.log(`# vm: ${((Date.now() - t0) / 1000).toFixed(1)} s, boot included`);
  assert.notEqual(r.status, 125, `the VM failed: ${tail(out)}`);
  assert.notEqual(r.status, 124, 'the VM timed out');
  assert.equal(r.status, 0, `the v2 suite failed in the VM:\n${tail(out)}`);
  const pass = Number(/^# pass (\d+)/m.exec(r.stdout)?.[1] ?? 0);
  const fail = Number(/^# fail (\d+)/m.exec(r.stdout)?.[1] ?? -1);
  assert.equal(fail, 0);
  assert.ok(pass >= 6, `${pass} tests passed in the VM`);
});
