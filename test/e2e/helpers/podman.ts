// A private podman: storage, run root, tmp dir, lock files, network config and events under a
// temp dir; skiff registered as a runtime in a containers.conf there (CONTAINERS_CONF), the
// cgroupfs manager, no systemd, no network.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { run, type Result } from './common';
import { shq } from './containerd';
import { readmeSnippet } from './readme';

/** A hard limit of this process, as /proc/self/limits shows it. */
function hardLimit(name: string): string {
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  return line?.slice(26).trim().split(/\s+/)[1] ?? 'unlimited';
}

export class Podman {
  readonly storage: string;
  readonly runroot: string;
  readonly tmp: string;
  readonly conf: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: string,
    readonly cgroupParent: string,
  ) {
    this.storage = path.join(dir, 'storage');
    this.runroot = path.join(dir, 'run');
    this.tmp = path.join(dir, 'tmp');
    this.conf = path.join(dir, 'containers.conf');
    fs.mkdirSync(this.tmp, { recursive: true });
    fs.writeFileSync(
      this.conf,
      Podman.containersConf(readmeSnippet('podman-containers-conf'), {
        tmp: this.tmp,
        events: path.join(dir, 'events.log'),
        volumes: path.join(this.storage, 'volumes'),
        cni: path.join(dir, 'cni'),
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'storage.conf'),
      `[storage]\ndriver = "overlay"\ngraphroot = ${JSON.stringify(this.storage)}\nrunroot = ${JSON.stringify(this.runroot)}\n`,
    );
    fs.writeFileSync(path.join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
    this.env = {
      ...process.env,
      CONTAINERS_CONF: this.conf,
      CONTAINERS_STORAGE_CONF: path.join(dir, 'storage.conf'),
      CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'),
    };
  }

  /**
   * containers.conf: the README's snippet ([engine] runtime and runtime_supports_json,
   * [engine.runtimes]) with what keeps this podman private added to its [engine] table. The
   * default ulimits: podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 for root, and
   * raising a hard limit needs CAP_SYS_RESOURCE, which this host's root does not have in its
   * bounding set (runc fails the same way), so the containers get limits the host allows.
   */
  static containersConf(snippet: string, p: { tmp: string; events: string; volumes: string; cni: string }): string {
    if (!/^\[engine\]$/m.test(snippet)) throw new Error(`the containers.conf snippet has no [engine] table:\n${snippet}`);
    const nofile = hardLimit('Max open files');
    const nproc = Math.min(32768, Number(hardLimit('Max processes')) || 32768);
    const engine = [
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = ${JSON.stringify(p.events)}`,
      `tmp_dir = ${JSON.stringify(p.tmp)}`,
      `volume_path = ${JSON.stringify(p.volumes)}`,
      'lock_type = "file"',
    ].join('\n');
    return [
      '[containers]',
      'netns = "none"',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '',
      snippet.replace(/^\[engine\]$/m, engine).trim(),
      '',
      '[network]',
      `network_config_dir = ${JSON.stringify(p.cni)}`,
      '',
    ].join('\n');
  }

  globalArgs(): string[] {
    return [
      '--root',
      this.storage,
      '--runroot',
      this.runroot,
      '--storage-driver',
      'overlay',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
      '--tmpdir',
      this.tmp,
    ];
  }

  podman(args: string[], opts: { timeout?: number } = {}): Result {
    return run('podman', [...this.globalArgs(), ...args], { timeout: opts.timeout ?? 60_000, env: this.env });
  }

  /** The command line of a podman call (for a pty), with the env it needs. */
  line(args: string[]): string {
    const env = ['CONTAINERS_CONF', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF'].map((k) => `${k}=${shq(this.env[k]!)}`);
    return ['env', ...env, 'podman', ...this.globalArgs(), ...args].map((s, i) => (i <= env.length ? s : shq(s))).join(' ');
  }

  /** Removes every pod, container and image of this private podman. */
  cleanup(): void {
    this.podman(['pod', 'rm', '--all', '--force', '--time', '0']);
    this.podman(['rm', '--all', '--force', '--time', '0']);
    this.podman(['rmi', '--all', '--force']);
  }
}
