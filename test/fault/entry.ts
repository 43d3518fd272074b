// Entry point of the fault-injection build (build/fault/skiff.js): the same CLI as bin/skiff, with
// SKIFF_FAULT_INJECTION defined, so that SKIFF_FAULT_STOP=<point> stops it there (src/fault.ts).
import { main, mustExit } from '../../src/entry';

void main(process.argv).then((code) => {
  process.exitCode = code;
  if (mustExit()) process.exit(code);
});
