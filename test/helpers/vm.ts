// Runs a guest suite (test/vm/guest/*.suite.ts) inside a VM booted once by scripts/vm/run-in-vm.sh:
// bundles it with esbuild, boots, streams the guest's TAP output into this test's log, and fails
// with the guest's own words. Skipped, with the reason, where the VM cannot be prepared (not root,
// no qemu package) or when SKIFF_SKIP_VM=1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';

import { ROOT } from './skiff';

const SCRIPT = path.join(ROOT, 'scripts/vm/run-in-vm.sh');

function tail(s: string, n = 40): string {
  return s.trimEnd().split('\n').slice(-n).join('\n');
}

export interface GuestSuite {
  /** Base name of test/vm/guest/<name>.suite.ts. */
  name: string;
  /** Boot systemd as PID 1 (run-in-vm.sh --systemd). */
  systemd?: boolean;
  /** With systemd: a hybrid hierarchy (v1 controllers, cgroup2 at /sys/fs/cgroup/unified). */
  hybrid?: boolean;
  /** Fewer passing guest tests than this fails the run (a suite that silently skipped). */
  minPass: number;
}

export function runGuestSuite(t: TestContext, suite: GuestSuite): void {
  if (process.env.SKIFF_SKIP_VM === '1') return t.skip('SKIFF_SKIP_VM=1');
  if (process.getuid?.() !== 0) return t.skip('needs root (qemu with 9p passthrough, apt-get)');
  // The environment of this test process goes into the VM: not the test runner's own protocol.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;

  if (suite.systemd && !fs.existsSync('/lib/systemd/systemd')) return t.skip('the host has no /lib/systemd/systemd to boot in the VM');
  const prep = spawnSync('bash', [SCRIPT, '--prepare'], { encoding: 'utf8', timeout: 20 * 60_000, env });
  if (prep.status !== 0) return t.skip(`the VM cannot be prepared here (qemu-system-x86 / Debian kernel package): ${tail(prep.stderr, 5)}`);

  const src = path.join(ROOT, `test/vm/guest/${suite.name}.suite.ts`);
  // Outside build/test, which scripts/test.sh wipes before bundling.
  const js = path.join(ROOT, `build/vm/${suite.name}${suite.hybrid ? '-hybrid' : ''}.suite.js`);
  const build = spawnSync(
    'npx',
    ['esbuild', src, '--bundle', '--platform=node', '--target=node20', '--format=cjs', '--log-level=warning', `--outfile=${js}`],
    { cwd: ROOT, encoding: 'utf8', env },
  );
  assert.equal(build.status, 0, build.stderr);

  const t0 = Date.now();
  const args = [
    SCRIPT,
    '--rw',
    ROOT,
    ...(suite.systemd ? ['--systemd'] : []),
    ...(suite.hybrid ? ['--hybrid'] : []),
    '--',
    process.execPath,
    '--test',
    '--test-reporter=tap',
    // A test stuck in the guest fails in minutes, with the TAP so far, not at the VM's timeout.
    '--test-timeout=240000',
    js,
  ];
  const r = spawnSync('bash', args, { cwd: ROOT, encoding: 'utf8', env, timeout: 25 * 60_000, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ? '\n' + r.stderr : ''}`;
  for (const line of out.trimEnd().split('\n')) console.log(`# vm| ${line}`);
  console.log(`# vm: ${((Date.now() - t0) / 1000).toFixed(1)} s, boot included`);
  assert.notEqual(r.status, 125, `the VM failed: ${tail(out)}`);
  assert.notEqual(r.status, 124, 'the VM timed out');
  assert.equal(r.status, 0, `the ${suite.name} suite failed in the VM:\n${tail(out)}`);
  const pass = Number(/^# pass (\d+)/m.exec(r.stdout)?.[1] ?? 0);
  const fail = Number(/^# fail (\d+)/m.exec(r.stdout)?.[1] ?? -1);
  assert.equal(fail, 0);
  assert.ok(pass >= suite.minPass, `${pass} tests passed in the VM (expected at least ${suite.minPass})`);
}
