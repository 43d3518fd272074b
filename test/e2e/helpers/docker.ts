// A private dockerd (Debian's docker.io) against a private containerd: data root, exec root, pid
// file, socket, trust key and daemon.json under a temp dir; no bridge, no iptables, cgroupfs,
// containers under a cgroup parent the suite owns. skiff is registered in daemon.json's
// "runtimes" (the README's snippet). Stopped by pid.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Daemon, run, waitFor, type Result } from './common';
import { shq } from './containerd';
import { readmeSnippet } from './readme';

/** Debian's docker CLI (matching dockerd), not another one earlier on PATH. */
export const DOCKER_CLI = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export class Dockerd {
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly daemonJson: string;
  daemon?: Daemon;

  constructor(
    readonly dir: string,
    readonly opts: { containerd: string; namespace: string; cgroupParent: string },
  ) {
    this.socket = path.join(dir, 'docker.sock');
    this.dataRoot = path.join(dir, 'data');
    this.execRoot = path.join(dir, 'exec');
    this.daemonJson = path.join(dir, 'daemon.json');
  }

  /** Docker 20.10 gives every runc-v2 runtime the shim root <exec-root>/runtime-runc/<namespace>. */
  get runtimeRoot(): string {
    return path.join(this.execRoot, 'runtime-runc', this.opts.namespace);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    // the README's daemon.json snippet (runtimes.skiff.path), plus what keeps this dockerd private
    fs.writeFileSync(
      this.daemonJson,
      JSON.stringify(
        {
          ...JSON.parse(readmeSnippet('docker-daemon-json')),
          // dockerd 20.10 would otherwise write its trust key to /etc/docker/key.json
          'deprecated-key-path': path.join(this.dir, 'key.json'),
        },
        null,
        2,
      ),
    );
    const args = [
      '--config-file',
      this.daemonJson,
      '--containerd',
      this.opts.containerd,
      '--containerd-namespace',
      this.opts.namespace,
      '--containerd-plugins-namespace',
      `${this.opts.namespace}-plugins`,
      '--data-root',
      this.dataRoot,
      '--exec-root',
      this.execRoot,
      '--pidfile',
      path.join(this.dir, 'docker.pid'),
      '--host',
      `unix://${this.socket}`,
      '--bridge',
      'none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--storage-driver',
      'overlay2',
      '--exec-opt',
      'native.cgroupdriver=cgroupfs',
      '--cgroup-parent',
      this.opts.cgroupParent,
      '--log-level',
      'warn',
    ];
    this.daemon = new Daemon('dockerd', 'dockerd', args, { log: path.join(this.dir, 'dockerd.log'), cwd: this.dir });
    try {
      await waitFor(
        'dockerd to serve',
        () => {
          if (!this.daemon!.running) throw new Error(`dockerd exited:\n${this.daemon!.tail()}`);
          return fs.existsSync(this.socket) && this.docker(['version']).code === 0;
        },
        60_000,
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  docker(args: string[], opts: { timeout?: number } = {}): Result {
    return run(DOCKER_CLI, ['--host', `unix://${this.socket}`, ...args], { timeout: opts.timeout ?? 60_000 });
  }

  line(args: string[]): string {
    return [DOCKER_CLI, '--host', `unix://${this.socket}`, ...args].map(shq).join(' ');
  }

  async stop(): Promise<void> {
    await this.daemon?.stop(30_000);
  }
}
