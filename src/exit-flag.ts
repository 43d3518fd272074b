// Set when the process must leave with process.exit (a terminal relay leaves stdin's handle open).
// Kept apart so the CLI's start-up path loads nothing else for it.
let mustExit = false;

export function requireExplicitExit(): void {
  mustExit = true;
}

export function explicitExitRequired(): boolean {
  return mustExit;
}
