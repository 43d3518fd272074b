// checkpoint/restore needs a kernel CRIU knows: Debian's CRIU 3.17 fails `criu check` on this
// machine's kernel, so the suite (test/vm/guest/criu.suite.ts) runs in a VM on Debian's own kernel.
import { test } from 'node:test';

import { runGuestSuite } from '../helpers/vm';

test('checkpoint/restore suite in a VM (Debian kernel and CRIU, cgroup v2)', { timeout: 30 * 60_000 }, (t) => {
  runGuestSuite(t, { name: 'criu', minPass: 5 });
});
