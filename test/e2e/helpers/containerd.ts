// A private containerd for the end-to-end suites: its own root, state dir, sockets and config.toml
// under a temp dir; no CRI plugin unless asked (and then no CNI, no AppArmor), nothing that needs
// the network. Stopped by pid.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Daemon, run, waitFor, type Result } from './common';

export interface ContainerdOptions {
  /** Extra TOML appended to config.toml (e.g. the README's runtime snippet for the CRI plugin). */
  extraToml?: string;
  /** Keep the CRI plugin (needed for runtimes declared in config.toml). */
  cri?: boolean;
}

export class Containerd {
  readonly root: string;
  readonly state: string;
  readonly address: string;
  readonly config: string;
  daemon?: Daemon;

  constructor(
    readonly dir: string,
    readonly opts: ContainerdOptions = {},
  ) {
    this.root = path.join(dir, 'root');
    this.state = path.join(dir, 'state');
    this.address = path.join(dir, 'containerd.sock');
    this.config = path.join(dir, 'config.toml');
  }

  writeConfig(): void {
    const disabled = [
      'io.containerd.snapshotter.v1.btrfs',
      'io.containerd.snapshotter.v1.zfs',
      'io.containerd.snapshotter.v1.devmapper',
      'io.containerd.snapshotter.v1.aufs',
      'io.containerd.tracing.processor.v1.otlp',
      'io.containerd.internal.v1.tracing',
    ];
    if (!this.opts.cri) disabled.push('io.containerd.grpc.v1.cri');
    fs.writeFileSync(
      this.config,
      [
        'version = 2',
        `root = ${JSON.stringify(this.root)}`,
        `state = ${JSON.stringify(this.state)}`,
        `disabled_plugins = ${JSON.stringify(disabled)}`,
        '[grpc]',
        `  address = ${JSON.stringify(this.address)}`,
        '[ttrpc]',
        `  address = ${JSON.stringify(this.address + '.ttrpc')}`,
        '[debug]',
        '  level = "info"',
        '[plugins."io.containerd.monitor.v1.cgroups"]',
        '  no_prometheus = true',
        this.opts.extraToml ?? '',
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    this.writeConfig();
    this.daemon = new Daemon('containerd', 'containerd', ['--config', this.config], {
      log: path.join(this.dir, 'containerd.log'),
      cwd: this.dir,
    });
    try {
      await waitFor(
        'containerd to serve',
        () => {
          if (!this.daemon!.running) throw new Error(`containerd exited:\n${this.daemon!.tail()}`);
          return fs.existsSync(this.address) && this.ctr(['version'], 'default').code === 0;
        },
        30_000,
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  ctr(args: string[], ns: string, opts: { timeout?: number; input?: string } = {}): Result {
    return run('ctr', ['--address', this.address, '--namespace', ns, ...args], { timeout: opts.timeout ?? 60_000, input: opts.input });
  }

  /** The command line of a ctr call, for running under a pty. */
  ctrLine(args: string[], ns: string): string {
    return ['ctr', '--address', this.address, '--namespace', ns, ...args].map(shq).join(' ');
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
  }
}

export function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
