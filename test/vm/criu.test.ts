// checkpoint/restore needs a kernel CRIU knows: Debian's CRIU 3.17 fails `criu check` on this
// machine's kernel, so the suite (test/vm/guest/criu.suite.ts) runs in a VM on Debian's own kernel.
// The guest sees the host's root: podman and conmon (for the podman test) are installed here first.
import { test } from 'node:test';

import { ensureInstalled } from '../e2e/helpers/common';
import { runGuestSuite } from '../helpers/vm';

test('checkpoint/restore suite in a VM (Debian kernel and CRIU, cgroup v2)', { timeout: 30 * 60_000 }, (t) => {
  const why = ensureInstalled('podman');
  if (why) t.diagnostic(`the podman test will be skipped in the VM: ${why}`);
  runGuestSuite(t, { name: 'criu', minPass: why ? 7 : 8 });
});
