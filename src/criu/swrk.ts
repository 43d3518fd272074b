// Talking to CRIU as runc does: `criu swrk 3` with one end of a SOCK_SEQPACKET pair as its fd 3,
// one protobuf request, then responses until the one that answers it. Notifications (CRIU's
// "action scripts") come in between and are answered after skiff has acted on them. CRIU's errors
// arrive as data (success false, cr_errno, cr_errmsg) and as the "Error" lines of its log file,
// never as scraped terminal output.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { SkiffError, messageOf } from '../errors';
import { debugEnabled, log } from '../log';
import { native } from '../native';
import { untrusted } from '../paths';
import { CRIU_REQ, decodeResponse, encodeRequest, type CriuReq, type CriuResp } from './rpc';

/** Where CRIU is looked for: the system's own directories only, never the caller's PATH. */
const CRIU_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The CRIU binary: --criu, else the first criu in the system directories; root's alone either way. */
export function findCriu(explicit?: string): string {
  const candidates = explicit ? [path.resolve(explicit)] : CRIU_DIRS.map((d) => path.join(d, 'criu'));
  for (const c of candidates) {
    let real: string;
    try {
      real = fs.realpathSync(c);
      fs.accessSync(real, fs.constants.X_OK);
    } catch {
      continue;
    }
    // CRIU runs as root with the container's processes in its hands.
    const why = untrusted(real);
    if (why) throw new SkiffError(`CRIU at ${c} is not used: ${why}`);
    return real;
  }
  throw new SkiffError(
    explicit
      ? `CRIU not found: --criu ${explicit} is not an executable file`
      : `CRIU not found in ${CRIU_DIRS.join(', ')}: install criu (Debian's criu package) or pass --criu PATH`,
  );
}

export interface SwrkIo {
  /**
   * CRIU's stdin, stdout and stderr. A restore passes skiff's own: the restored process gets its
   * pipes back through inherit_fd, which names CRIU's fds 0-2.
   */
  stdio: 'inherit' | 'quiet';
  /** More fds for CRIU, from fd 4 on (inherit_fd of namespaces). */
  extraFds?: number[];
  /** After CRIU started, before the request: restore puts CRIU into the container's cgroups. */
  started?(criuPid: number): void;
  /** A notification (CRIU waits for it to return); `fd` is the fd attached to it, else -1. */
  notify?(script: string, pid: number, fd: number): void;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit status ${code}`;
}

/** Runs one request through `criu swrk`; returns the response that answers it (success or not). */
export async function swrk(criu: string, req: CriuReq, io: SwrkIo): Promise<CriuResp> {
  const n = native();
  const [ours, theirs] = n.criuSocketPair();
  let child;
  let stderr = '';
  try {
    const extra = io.extraFds ?? [];
    child = spawn(criu, ['swrk', '3'], {
      stdio: [
        io.stdio === 'inherit' ? 0 : 'ignore',
        io.stdio === 'inherit' ? 1 : 'ignore',
        io.stdio === 'inherit' ? 2 : 'pipe',
        theirs,
        ...extra,
      ],
    });
  } finally {
    // CRIU holds the only copy of its end: when it dies, the next read ends.
    n.closeFd(theirs);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    if (child.pid === undefined) {
      const err = await spawnError;
      throw new SkiffError(`cannot run CRIU (${criu}): ${messageOf(err)}`);
    }
    io.started?.(child.pid);
    n.criuSend(ours, encodeRequest(req));
    for (;;) {
      const m = n.criuRecv(ours);
      if (!m.data.length) {
        if (m.fd >= 0) n.closeFd(m.fd);
        const how = await exited;
        const text = stderr.trim().split('\n').filter(Boolean).pop();
        throw new SkiffError(`CRIU (${criu}) ended without an answer (${describeExit(how.code, how.signal)})${text ? `: ${text}` : ''}`);
      }
      let resp: CriuResp;
      try {
        resp = decodeResponse(m.data);
      } catch (err) {
        if (m.fd >= 0) n.closeFd(m.fd);
        throw new SkiffError(`CRIU sent a response skiff cannot read: ${messageOf(err)}`);
      }
      if (resp.type === CRIU_REQ.notify && resp.success && resp.notify) {
        try {
          if (debugEnabled()) log('debug', `criu notify: ${resp.notify.script} (pid ${resp.notify.pid})`);
          io.notify?.(resp.notify.script, resp.notify.pid, m.fd);
        } finally {
          if (m.fd >= 0) n.closeFd(m.fd);
        }
        n.criuSend(ours, encodeRequest({ type: CRIU_REQ.notify, notifySuccess: true }));
        continue;
      }
      if (m.fd >= 0) n.closeFd(m.fd);
      if (resp.type !== req.type && resp.success) throw new SkiffError(`CRIU answered a ${req.type} request with type ${resp.type}`);
      return resp;
    }
  } finally {
    n.closeFd(ours);
    // pre-dump: CRIU stays in a loop waiting for a final dump nobody sends; closing our end
    // ends it. Anything else exits by itself once it has answered.
    const how = await Promise.race([exited, delay(30_000, undefined, { ref: false })]);
    if (!how) child.kill('SIGKILL');
  }
}

/** CRIU's own version ("3.17.1"), from its VERSION request. */
export async function criuVersion(criu: string): Promise<string> {
  const r = await swrk(criu, { type: CRIU_REQ.version }, { stdio: 'quiet' });
  if (!r.success || !r.version) throw new SkiffError(`CRIU (${criu}) did not tell its version`);
  const v = r.version;
  return `${v.major}.${v.minor}${v.sublevel !== undefined ? `.${v.sublevel}` : ''}`;
}

/**
 * What CRIU's log says went wrong: the text of its "Error" lines, without CRIU's time stamp and
 * source location ("(00.012345) Error (criu/vdso.c:238): vdso: Unexpected rt vDSO area bounds").
 */
export function criuLogErrors(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\(\s*[\d.]+\)\s*)?(?:\d+:\s*)?Error\s*(?:\([^)]*\))?:\s*(.*)$/.exec(line.trim());
    if (m && m[1]) out.push(m[1].trim());
  }
  return out;
}

/** A failed request as one line: what CRIU said, and where its whole log is. */
export function criuFailure(what: string, version: string, resp: CriuResp, logFile: string): SkiffError {
  let errors: string[] = [];
  try {
    errors = criuLogErrors(fs.readFileSync(logFile, 'utf8'));
  } catch {
    // no log (CRIU failed before it opened one)
  }
  for (const e of errors) log('debug', `criu: ${e}`);
  // cr_errmsg is CRIU's last log line as it wrote it ("Error (criu/x.c:12): what\n").
  const msg = resp.crErrmsg ? (criuLogErrors(resp.crErrmsg)[0] ?? resp.crErrmsg.trim()) : undefined;
  const said = msg || errors[0] || (resp.crErrno ? `errno ${resp.crErrno}` : 'no reason given');
  return new SkiffError(`${what}: CRIU ${version} failed: ${said} (log: ${logFile})`, { step: 'criu', errno: resp.crErrno || undefined });
}
