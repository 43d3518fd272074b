// `run -t` / `exec -t` without --console-socket (a person in a shell, CRI-O's interactive exec):
// skiff is its own console socket, receives the pty master, puts the caller's terminal in raw
// mode and copies bytes both ways until the process exits.
import * as fs from 'node:fs';
import type * as netT from 'node:net';
import type { Readable } from 'node:stream';
import type * as ttyT from 'node:tty';

import { requireExplicitExit } from '../exit-flag';
import { native } from '../native';

// net and tty (and what they pull in) are loaded only when a terminal is relayed: exec probes
// must not pay for them.
const tty = (): typeof ttyT => require('node:tty');
const net = (): typeof netT => require('node:net');

export class TerminalRelay {
  /** Give this fd to the init as its console socket. */
  readonly childEnd: number;
  private readonly ours: number;
  private master = -1;
  private saved?: Buffer;
  private outputDone?: Promise<void>;
  private onResize?: () => void;
  private input?: Readable;
  private output?: ttyT.ReadStream;

  constructor() {
    [this.ours, this.childEnd] = native().socketPair();
  }

  /** Call once the init reported ready: the master is waiting in the socket. */
  attach(): void {
    const n = native();
    n.closeFd(this.childEnd);
    this.master = n.recvFd(this.ours);
    requireExplicitExit();
    n.closeFd(this.ours);
    requireExplicitExit();
    if (tty().isatty(1)) {
      const resize = () => {
        const ws = (process.stdout as ttyT.WriteStream).getWindowSize?.();
        if (ws) n.setWinsize(this.master, ws[1], ws[0]);
      };
      resize();
      this.onResize = resize;
      process.on('SIGWINCH', resize);
    }
    if (tty().isatty(0)) this.saved = n.makeRaw(0);
    const master = this.master;
    // stdin is read through a descriptor of its own (reopened from /proc), so the non-blocking
    // mode libuv sets never reaches the caller's shared stdin; and no thread-pool read is left
    // pending that would keep process.exit from returning.
    let inFd = -1;
    try {
      inFd = fs.openSync('/proc/self/fd/0', fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
    } catch {
      // stdin closed or unreadable: output only
    }
    if (inFd >= 0) {
      // A terminal, a regular file (`skiff run ID < file`, which net.Socket refuses), or a pipe/socket.
      if (tty().isatty(inFd)) this.input = new (tty().ReadStream)(inFd);
      else if (fs.fstatSync(inFd).isFile()) this.input = fs.createReadStream('', { fd: inFd });
      else this.input = new (net().Socket)({ fd: inFd, readable: true, writable: false });
      this.input
        .on('data', (d: Buffer) => {
          try {
            fs.writeSync(master, d);
          } catch {
            // the terminal is gone
          }
        })
        .on('error', () => {});
    }
    this.output = new (tty().ReadStream)(master);
    this.outputDone = new Promise((resolve) => {
      this.output!.on('data', (d: Buffer) => fs.writeSync(1, d))
        .on('error', () => resolve()) // EIO: the last slave fd closed
        .on('end', () => resolve())
        .on('close', () => resolve());
    });
  }

  /** Closes both ends when the process never started. */
  abandon(): void {
    if (this.master >= 0) return;
    native().closeFd(this.childEnd);
    native().closeFd(this.ours);
  }

  /** After the process exited: wait for its last output, restore the caller's terminal. */
  async finish(): Promise<void> {
    if (this.outputDone) await Promise.race([this.outputDone, new Promise((r) => setTimeout(r, 1000))]);
    if (this.onResize) process.off('SIGWINCH', this.onResize);
    this.input?.destroy();
    this.output?.destroy();
    if (this.saved) native().restoreTermios(0, this.saved);
  }
}
