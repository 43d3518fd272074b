// skiff's command line: runc's global flags and commands. Each command's module is loaded only
// when that command runs, so `skiff state` does not pay for the validator or the addon.
import { Command, CommanderError, Option } from 'commander';

import { SkiffError, messageOf } from './errors';
import { Globals } from './globals';
import { configureLog, logError, timing, type LogFormat } from './log';
import { defaultStateRoot, type RootlessSetting } from './rootless';
import { SKIFF_VERSION, SPEC_VERSION } from './version';

function intArg(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new SkiffError(`invalid value for ${name}: "${v}" (expected a non-negative integer)`);
    return Number(v);
  };
}

interface CreateFlags {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  pivot?: boolean;
  newKeyring?: boolean;
  preserveFds?: number;
  detach?: boolean;
}

function createOptions(id: string, f: CreateFlags) {
  return {
    id,
    bundle: f.bundle,
    pidFile: f.pidFile,
    consoleSocket: f.consoleSocket,
    pidfdSocket: f.pidfdSocket,
    noPivot: f.pivot === false,
    noNewKeyring: f.newKeyring === false,
    preserveFds: f.preserveFds,
    detach: f.detach,
  };
}

function withCreateFlags(cmd: Command): Command {
  return cmd
    .option('-b, --bundle <dir>', 'path to the bundle directory (default: the current directory)')
    .option('--pid-file <file>', "write the container init's pid to this file")
    .option('--console-socket <path>', 'unix socket that receives the pty master when process.terminal is true')
    .option('--pidfd-socket <path>', "unix socket that receives a pidfd of the container's init (SCM_RIGHTS)")
    .option('--no-pivot', 'do not use pivot_root (MS_MOVE + chroot instead; for a rootfs on ramfs)')
    .option('--no-new-keyring', "keep the caller's session keyring instead of a new one")
    .option('--preserve-fds <n>', 'pass fds 3 … 3+n-1 to the container', intArg('--preserve-fds'), 0);
}

export { explicitExitRequired as mustExit } from './exit-flag';

/** The first word after the global flags: the command's name (undefined when there is none). */
function commandToken(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return a;
    if (['--root', '--log', '--log-format', '--rootless', '--criu'].includes(a)) i++;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('skiff');
  let globals = new Globals();
  program
    .usage('[global options] command [command options] [arguments...]')
    .description('skiff: an OCI container runtime (runc-compatible)')
    .version(`skiff version ${SKIFF_VERSION}\nspec: ${SPEC_VERSION}`, '-v, --version', 'print the version')
    .option(
      '--root <dir>',
      'directory for container state (default: /run/skiff; $XDG_RUNTIME_DIR/skiff for other users)',
      defaultStateRoot(),
    )
    .option('--log <file>', 'append log lines (and errors) to this file')
    .addOption(new Option('--log-format <format>', 'log line format').choices(['text', 'json']).default('text'))
    .option('--debug', 'log debug lines, with a timing of each step')
    .option(
      '--systemd-cgroup',
      'use the systemd cgroup driver: the container gets a transient scope unit; cgroupsPath is "slice:prefix:name"',
    )
    .addOption(
      new Option('--rootless <value>', 'cgroups that cannot be made mean no cgroup (auto: when not root, or in a user namespace)')
        .choices(['true', 'false', 'auto'])
        .default('auto'),
    )
    .option('--criu <path>', 'the CRIU binary for checkpoint and restore (default: criu from /usr/local/sbin … /bin)')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => logError(s.replace(/^error: /, '').trimEnd()) })
    .hook('preAction', () => {
      const o = program.opts<{
        root: string;
        log?: string;
        logFormat: LogFormat;
        debug?: boolean;
        systemdCgroup?: boolean;
        rootless: RootlessSetting;
        criu?: string;
      }>();
      globals = new Globals(o.root, o.log, o.logFormat, !!o.debug, !!o.systemdCgroup, o.rootless, o.criu);
      configureLog({ file: o.log, format: o.logFormat, debug: !!o.debug });
      timing('arguments parsed');
    });

  withCreateFlags(program.command('create').description('create a container (its process waits for "start")').argument('<id>')).action(
    (id: string, f: CreateFlags) => require('./commands/create').create(globals, createOptions(id, f)),
  );

  const collect = (v: string, prev: string[]) => [...prev, v];
  program
    .command('exec')
    .description('run a new process inside a running container')
    .argument('<id>')
    .argument('[command...]')
    .option('-p, --process <file>', 'process.json describing the process (instead of a command line)')
    .option('-d, --detach', 'return once the process has started')
    .option('--pid-file <file>', "write the process's pid to this file")
    .option('--console-socket <path>', 'unix socket that receives the pty master when a terminal is used')
    .option('--pidfd-socket <path>', 'unix socket that receives a pidfd of the process (SCM_RIGHTS)')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--cwd <dir>', 'working directory inside the container')
    .option('-e, --env <key=value>', 'set an environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'user (and group) ids')
    .option('-g, --additional-gids <gid>', 'additional group id (repeatable)', collect, [])
    .option('-c, --cap <capability>', 'add a capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--apparmor <profile>', 'AppArmor profile for the process (the host must have AppArmor enabled)')
    .option(
      '--process-label <label>',
      'SELinux label (ignored with a warning where the host has no SELinux; an error where it has: not applied yet)',
    )
    .option('--preserve-fds <n>', 'pass fds 3 … 3+n-1 to the process', intArg('--preserve-fds'), 0)
    .option('--ignore-paused', 'allow exec in a paused container')
    .option(
      '--cgroup <[controller[,controller]:]path>',
      "run the process in an existing sub-cgroup of the container's (repeatable)",
      collect,
      [],
    )
    .passThroughOptions()
    .action(async (id: string, args: string[], f: Record<string, any>) => {
      exitCode = await require('./commands/exec').exec(globals, {
        id,
        args,
        processFile: f.process,
        detach: f.detach,
        pidFile: f.pidFile,
        consoleSocket: f.consoleSocket,
        pidfdSocket: f.pidfdSocket,
        cgroups: f.cgroup,
        tty: f.tty,
        cwd: f.cwd,
        env: f.env,
        user: f.user,
        additionalGids: f.additionalGids,
        caps: f.cap,
        noNewPrivs: f.newPrivs === false ? true : undefined,
        apparmor: f.apparmor,
        processLabel: f.processLabel,
        preserveFds: f.preserveFds,
        ignorePaused: f.ignorePaused,
      });
    });

  program
    .command('start')
    .description('run the process of a created container')
    .argument('<id>')
    .action((id: string) => require('./commands/start').start(globals, id));

  program
    .command('state')
    .description('print the state of a container as JSON')
    .argument('<id>')
    .action((id: string) => require('./commands/state').state(globals, id));

  program
    .command('kill')
    .description("send a signal (default SIGTERM) to the container's init")
    .argument('<id>')
    .argument('[signal]')
    .option('-a, --all', 'send the signal to every process of the container')
    .action((id: string, sig: string | undefined, f: { all?: boolean }) => require('./commands/kill').kill(globals, id, sig, f));

  program
    .command('delete')
    .description('delete a stopped container and everything it holds')
    .argument('<id>')
    .option('-f, --force', 'kill the container first if it is still running; no error if it does not exist')
    .action(async (id: string, f: { force?: boolean }) => require('./commands/delete').del(globals, id, f));

  program
    .command('pause')
    .description('suspend every process of the container')
    .argument('<id>')
    .action((id: string) => require('./commands/pause').pause(globals, id));

  program
    .command('resume')
    .description('resume the processes of a paused container')
    .argument('<id>')
    .action((id: string) => require('./commands/resume').resume(globals, id));

  program
    .command('update')
    .description('update the resource limits of a container')
    .argument('<id>')
    .option('-r, --resources <file>', 'JSON linux.resources from a file, or "-" for stdin (the other flags are then ignored)')
    .option('--memory <bytes>', 'memory limit (units: k, m, g; -1: unlimited)')
    .option('--memory-swap <bytes>', 'memory + swap limit; -1: unlimited swap')
    .option('--memory-reservation <bytes>', 'memory soft limit')
    .addOption(new Option('--kernel-memory <bytes>').hideHelp())
    .addOption(new Option('--kernel-memory-tcp <bytes>').hideHelp())
    .option('--cpu-share <n>', 'CPU shares (relative weight)')
    .addOption(new Option('--cpu-shares <n>').hideHelp())
    .option('--cpu-period <us>', 'CPU CFS period')
    .option('--cpu-quota <us>', 'CPU CFS quota per period (-1: none)')
    .option('--cpu-burst <us>', 'CPU CFS burst')
    .option('--cpu-rt-period <us>', 'CPU realtime period (v1)')
    .option('--cpu-rt-runtime <us>', 'CPU realtime runtime (v1)')
    .option('--cpuset-cpus <list>', 'CPUs to use')
    .option('--cpuset-mems <list>', 'memory nodes to use')
    .option('--cpu-idle <0|1>', 'SCHED_IDLE for the cgroup')
    .option('--pids-limit <n>', 'maximum number of pids (-1: unlimited)')
    .option('--blkio-weight <n>', 'block IO weight (10-1000)')
    .option('--l3-cache-schema <schema>', 'Intel RDT L3 cache schema (not supported)')
    .option('--mem-bw-schema <schema>', 'Intel RDT memory bandwidth schema (not supported)')
    .action((id: string, f: object) => require('./commands/update').update(globals, id, f));

  program
    .command('ps')
    .description('list the processes of a container (host pids)')
    .argument('<id>')
    .argument('[ps-args...]', 'arguments for ps (default: -ef)')
    .addOption(new Option('-f, --format <format>', 'table or json').default('table'))
    .passThroughOptions()
    .action((id: string, psArgs: string[], f: { format?: string }) => require('./commands/ps').ps(globals, id, psArgs, f));

  program
    .command('events')
    .description('print container stats and OOM events as JSON lines')
    .argument('<id>')
    .option('--stats', 'print the stats once and exit')
    .option('--interval <duration>', 'stats interval', '5s')
    .action(async (id: string, f: { stats?: boolean; interval?: string }) => require('./commands/events').events(globals, id, f));

  withCreateFlags(program.command('run').description('create and start a container; wait for it unless --detach').argument('<id>'))
    .option('-d, --detach', 'return once the container has started')
    .option('--keep', 'keep the container (stopped) after it exits, for inspection; delete it yourself')
    .action(async (id: string, f: CreateFlags & { keep?: boolean }) => {
      exitCode = await require('./commands/run').run(globals, { ...createOptions(id, f), keep: f.keep });
    });

  program
    .command('list')
    .description('list containers')
    .addOption(new Option('-f, --format <format>', 'table or json').default('table'))
    .option('-q, --quiet', 'print only the container ids')
    .action((f: { format?: string; quiet?: boolean }) => require('./commands/list').list(globals, f));

  program
    .command('spec')
    .description('write a default config.json into the bundle directory')
    .option('-b, --bundle <dir>', 'bundle directory (default: the current directory)')
    .option(
      '--rootless',
      "runc's rootless default: a user namespace mapping your uid and gid to 0, no network namespace, /sys bound from the host, no cgroup limits",
    )
    .action((f: { bundle?: string; rootless?: boolean }) => require('./commands/spec').spec(f));

  program
    .command('features')
    .description('print what this runtime supports (features.md JSON)')
    .action(() => require('./commands/features').features());

  program
    .command('check')
    .description('say whether a bundle would run, and why not, without running it')
    .option('-b, --bundle <dir>', 'bundle directory (default: the current directory)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--checkpoint', "also whether checkpoint/restore works here (CRIU's version and its own `criu check`)")
    .action((f: { bundle?: string; format?: string; checkpoint?: boolean }) => {
      exitCode = require('./commands/check').check(globals, f);
    });

  // podman and CRI-O run `checkpoint --help` to learn whether checkpointing works: exit 0 says yes.
  const criuFlags = (cmd: Command): Command =>
    cmd
      .option('--image-path <dir>', 'directory of the CRIU images (default: ./checkpoint)')
      .option('--work-path <dir>', "directory for CRIU's work files and log (default: the image directory)")
      .option('--tcp-established', 'allow open TCP connections')
      .option('--ext-unix-sk', 'allow external unix sockets')
      .option('--shell-job', "allow shell jobs (a process on the caller's terminal)")
      .option('--file-locks', 'handle file locks')
      .addOption(new Option('--manage-cgroups-mode <mode>', "CRIU's cgroup mode").choices(['ignore', 'soft', 'full', 'strict']))
      .option('--empty-ns <namespace>', 'make this namespace empty instead of restoring it (only "network"; repeatable)', collect, [])
      .option('--auto-dedup', 'deduplicate the pages of previous images (incremental dumps)')
      .option('--lazy-pages', 'lazy migration: pages come from a page server, through userfaultfd');
  criuFlags(
    program
      .command('checkpoint')
      .description('checkpoint a running container with CRIU (its processes stop unless --leave-running)')
      .argument('<id>'),
  )
    .option('--parent-path <dir>', 'the pre-dump these images build on, relative to --image-path')
    .option('--leave-running', 'leave the processes running after the checkpoint')
    .option('--pre-dump', 'dump only the memory, leaving the processes running (a later dump names it with --parent-path)')
    .option('--page-server <address:port>', 'send the pages to a CRIU page server')
    .option('--status-fd <fd>', 'with --lazy-pages: CRIU writes a byte to this fd when its page server is ready', intArg('--status-fd'))
    .action((id: string, f: object) => require('./commands/checkpoint').checkpoint(globals, id, f));
  criuFlags(
    program
      .command('restore')
      .description('restore a container from a checkpoint (as a new container of this id); wait for it unless --detach')
      .argument('<id>'),
  )
    .option('-b, --bundle <dir>', 'path to the bundle directory (default: the current directory)')
    .option('-d, --detach', 'return once the container is restored')
    .option('--pid-file <file>', "write the restored init's pid to this file")
    .option('--console-socket <path>', 'unix socket that receives the pty master of a restored terminal')
    .option('--no-subreaper', "in the foreground, do not become the subreaper of the container's orphans")
    .option('--no-pivot', 'refused: CRIU always restores the root with pivot_root')
    .action(async (id: string, f: object) => {
      exitCode = await require('./commands/restore').restore(globals, id, f);
    });

  try {
    // commander answers `skiff nosuchcommand -h` with the main help and exit 0: an unknown
    // command is an error, with or without -h (as runc).
    const named = commandToken(argv.slice(2));
    if (named !== undefined && !program.commands.some((c) => c.name() === named || c.aliases().includes(named)) && named !== 'help')
      throw new SkiffError(`unknown command '${named}'`);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander; usage errors were already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode || 1;
    }
    const o = program.opts<{ log?: string; logFormat: LogFormat }>();
    configureLog({ file: o.log, format: o.logFormat });
    logError(messageOf(err));
    return err instanceof SkiffError ? err.exitCode : 1;
  }
  return exitCode;
}
