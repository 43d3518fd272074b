import * as fs from 'node:fs';
import * as path from 'node:path';

import { createContainer, type CreateOptions } from '../container/create';
import { deleteContainer, startContainer } from '../container/lifecycle';
import { SkiffError } from '../errors';
import type { Globals } from '../globals';
import { timing } from '../log';
import { native } from '../native';
import { TerminalRelay } from '../container/terminal-relay';
import { exitCodeOf, waitForwarding } from '../container/foreground';

function wantsTerminal(bundle: string | undefined): boolean {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(path.resolve(bundle ?? '.'), 'config.json'), 'utf8'));
    return c?.process?.terminal === true;
  } catch {
    return false; // create reports the problem
  }
}

/** create + start; in the foreground, wait and exit with the container's status (128+n for a signal). */
export async function run(g: Globals, opts: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  // runc's rule: a detached container is never deleted by run, so --keep means nothing there.
  if (opts.detach && opts.keep) throw new SkiffError('--keep cannot be used with --detach');
  const store = g.store();
  // The init may fork into a new pid namespace (inside a joined user namespace): it is then a
  // grandchild, and comes to skiff to be waited for only as a subreaper's orphan.
  if (!opts.detach) native().setChildSubreaper();
  // In the foreground without a console socket, skiff relays the terminal itself.
  const relay = !opts.detach && !opts.consoleSocket && wantsTerminal(opts.bundle) ? new TerminalRelay() : undefined;
  let s;
  try {
    s = createContainer(store, {
      ...opts,
      requireProcess: true,
      systemdCgroup: g.systemdCgroup,
      rootless: g.rootless,
      consoleFd: relay?.childEnd,
    });
    relay?.attach();
  } catch (err) {
    relay?.abandon();
    throw err;
  }
  try {
    startContainer(store, s.id);
  } catch (err) {
    await deleteContainer(store, s.id, true);
    throw err;
  }
  if (opts.detach) return 0;
  const st = await waitForwarding(s.pid, relay ? ['SIGWINCH'] : []);
  timing('container process exited');
  await relay?.finish();
  timing('terminal relay finished');
  // --keep (runc 1.2): the stopped container stays, for state, ps or a look at its cgroups.
  if (!opts.keep) await deleteContainer(store, s.id, true);
  return exitCodeOf(st);
}
