// The systemd cgroup driver needs systemd as the host's init, which this machine does not run: the
// systemd suite (test/vm/guest/systemd.suite.ts) runs in VMs booted with the host's own systemd as
// PID 1, once on pure cgroup v2 and once on the hybrid layout systemd makes on older hosts.
import { test } from 'node:test';

import { runGuestSuite } from '../helpers/vm';

test('systemd cgroup driver suite in a VM (systemd as PID 1, cgroup v2)', { timeout: 30 * 60_000 }, (t) => {
  runGuestSuite(t, { name: 'systemd', systemd: true, minPass: 5 });
});

test('systemd cgroup driver suite in a VM (systemd as PID 1, hybrid cgroups)', { timeout: 30 * 60_000 }, (t) => {
  runGuestSuite(t, { name: 'systemd', systemd: true, hybrid: true, minPass: 5 });
});
