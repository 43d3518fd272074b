// errno as skiff reports it, in TypeScript (addon/common/errno-text.h is the C++ half): the name
// and the kernel's words in lower case, "ENOENT (no such file or directory)".
import * as os from 'node:os';

/** strerror's words (glibc) for the codes skiff's own file and cgroup operations meet. */
const WORDS: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ERANGE: 'numerical result out of range',
  ENAMETOOLONG: 'file name too long',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ENOSYS: 'function not implemented',
  EXDEV: 'invalid cross-device link',
};

let byNumber: Map<number, string> | undefined;

/** "ENOENT" for 2; undefined for a number the platform does not know. */
export function errnoName(errno: number): string | undefined {
  // Built on first use: every command loads this module, few ever name an errno.
  byNumber ??= new Map(Object.entries(os.constants.errno).map(([k, v]) => [v, k]));
  return byNumber.get(Math.abs(errno));
}

/** The words for a code ("no such file or directory"); the code in lower case when unknown. */
export function errnoWords(code: string): string {
  return WORDS[code] ?? code.toLowerCase();
}

/** "ENOENT (no such file or directory)". */
export function errnoText(code: string): string {
  return `${code} (${errnoWords(code)})`;
}
