// Fault injection for the reliability suite (test/integration/faults.test.ts). Only the test
// build defines SKIFF_FAULT_INJECTION as true; in the shipped bundle the constant is false and
// the bundler drops the body, so no environment variable can stop a real skiff.
declare const SKIFF_FAULT_INJECTION: boolean;

/**
 * A named point in an operation. In the test build, with SKIFF_FAULT_STOP=<name>, skiff stops
 * itself there (SIGSTOP) so that the test can SIGKILL it at exactly that point.
 */
export function faultPoint(name: string): void {
  if (typeof SKIFF_FAULT_INJECTION !== 'undefined' && SKIFF_FAULT_INJECTION && process.env.SKIFF_FAULT_STOP === name)
    process.kill(process.pid, 'SIGSTOP');
}
