// Entry point of the compiled executable (build/skiff): bin/skiff does the same on Node.
import { main, mustExit } from './entry';

void main(process.argv).then((code) => {
  process.exitCode = code;
  // A terminal relay leaves a handle on stdin open: leave explicitly.
  if (mustExit()) process.exit(code);
});
