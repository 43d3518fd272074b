// What this process may grant: the capabilities outside its bounding set no child can get (root
// in a container or sandbox often lacks some, CAP_SYS_RESOURCE here). Read once per call.
import * as fs from 'node:fs';

import { ALL_CAPABILITIES } from './capabilities';

/** CapBnd of /proc/self/status, as a mask of the capabilities skiff knows. */
export function runtimeBoundingSet(): bigint {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return BigInt(`0x${m[1]}`) & ALL_CAPABILITIES;
  } catch {
    // no /proc: grant what is asked and let the kernel decide
  }
  return ALL_CAPABILITIES;
}
