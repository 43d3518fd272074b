// Pure cgroup v2 with every controller: this machine is hybrid, so the v2 suite
// (test/vm/guest/cgroup-v2.suite.ts) runs inside a qemu VM booted once (Debian's kernel and qemu,
// the checkout shared read-write).
import { test } from 'node:test';

import { runGuestSuite } from '../helpers/vm';

test('cgroup v2 suite in a VM (pure cgroup2, every controller)', { timeout: 30 * 60_000 }, (t) => {
  runGuestSuite(t, { name: 'cgroup-v2', minPass: 6 });
});
