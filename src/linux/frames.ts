// The sync socket's message types: the TypeScript mirror of addon/common/frames.h (a unit test
// checks that the two lists agree).
export const FRAME = {
  ready: 'ready',
  error: 'error',
  warning: 'warning',
  hooks: 'hooks',
  seccompFd: 'seccomp-fd',
  pid: 'pid',
  trial: 'trial',
  continue: 'continue',
} as const;
