/** An error meant for the person or program that ran skiff: one line, no stack trace. */
export class SkiffError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'SkiffError';
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
