// One error for everything skiff reports to the person or program that ran it: one line (or one per
// problem), no stack trace. Where it comes from a system call it carries the failing step, the
// path and the errno, whichever layer made it: the addon, skiff-init's error frames and the
// systemd driver all arrive as a NativeError (src/native.ts) and are mapped here once.
import { errnoName } from './errno';

export interface ErrorDetails {
  /** The step that failed ("mount", "cgroup", "systemd", "hooks", ...). */
  step?: string;
  /** The file or path it failed on. */
  path?: string;
  /** errno, when a system call failed. */
  errno?: number;
  exitCode?: number;
}

export class SkiffError extends Error {
  readonly exitCode: number;
  readonly step?: string;
  readonly path?: string;
  readonly errno?: number;

  constructor(message: string, details: ErrorDetails | number = {}) {
    super(message);
    this.name = 'SkiffError';
    const d = typeof details === 'number' ? { exitCode: details } : details;
    this.exitCode = d.exitCode ?? 1;
    this.step = d.step;
    this.path = d.path;
    this.errno = d.errno;
  }

  /** "ENOENT" for errno 2. */
  get errnoName(): string | undefined {
    return this.errno === undefined ? undefined : errnoName(this.errno);
  }

  /**
   * Any thrown value as a SkiffError: native errors keep their step and errno (their message is
   * already the user's: "mount /proc on /run/x/rootfs/proc: EPERM (operation not permitted)");
   * anything else gets `context` in front.
   */
  static from(err: unknown, context?: string): SkiffError {
    if (err instanceof SkiffError) return err;
    const e = err as { step?: unknown; errno?: unknown; path?: unknown };
    const step = typeof e?.step === 'string' ? e.step : undefined;
    const errno = typeof e?.errno === 'number' ? Math.abs(e.errno) : undefined;
    const path = typeof e?.path === 'string' ? e.path : undefined;
    const message = messageOf(err);
    return new SkiffError(step || !context ? message : `${context}: ${message}`, { step, errno, path });
  }
}

/** Text of any thrown value, without a stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node's fs errors read "ENOENT: no such file or directory, open '/x'"; runc's read "open /x: no such file or directory". */
export function fsErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const text = e.message.replace(/^[A-Z0-9]+: /, '').replace(/, [a-z]+ .*$/, '');
    return `${e.syscall}${e.path ? ' ' + e.path : ''}: ${text}`;
  }
  return messageOf(err);
}
