// The entry point both builds export (src/main.ts for the executable, dist/skiff.js for bin/skiff).
// A caller makes create, start, state, kill and delete for every container and an exec per probe,
// so those calls, in the forms the shims and conmon use, are parsed here without building the
// whole command line (commander and every command's definition cost milliseconds of each call).
// Anything else, including every unusual form of these, goes to the full CLI (src/cli.ts), which
// behaves the same for them.
import { SkiffError, messageOf } from './errors';
import { Globals } from './globals';
import { configureLog, logError, timing, type LogFormat } from './log';
import { defaultStateRoot, type RootlessSetting } from './rootless';

export { explicitExitRequired as mustExit } from './exit-flag';

interface Fast {
  globals: Globals;
  call: (g: Globals) => unknown;
}

type FlagKind = 'bool' | 'value';
const CREATE_FLAGS: Record<string, FlagKind> = {
  '--bundle': 'value',
  '-b': 'value',
  '--pid-file': 'value',
  '--console-socket': 'value',
  '--no-pivot': 'bool',
  '--no-new-keyring': 'bool',
  '--preserve-fds': 'value',
};
const RUN_FLAGS: Record<string, FlagKind> = { ...CREATE_FLAGS, '--detach': 'bool', '-d': 'bool' };
const EXEC_FLAGS: Record<string, FlagKind> = {
  '--process': 'value',
  '-p': 'value',
  '--detach': 'bool',
  '-d': 'bool',
  '--pid-file': 'value',
  '--console-socket': 'value',
};
const CANONICAL: Record<string, string> = { '-b': '--bundle', '-d': '--detach', '-p': '--process' };

/** Known flags (`--x v`, `--x=v`) then exactly one id; undefined for anything else. */
function flagsThenId(
  rest: readonly string[],
  known: Record<string, FlagKind>,
): { flags: Map<string, string | true>; id: string } | undefined {
  const flags = new Map<string, string | true>();
  let i = 0;
  for (; i < rest.length - 1; i++) {
    const a = rest[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 && a.startsWith('--') ? a.slice(0, eq) : a;
    const kind = known[name];
    const key = CANONICAL[name] ?? name;
    if (!kind || flags.has(key)) return undefined;
    if (kind === 'bool') {
      if (eq > 0 && name !== a) return undefined;
      flags.set(key, true);
    } else if (name !== a) flags.set(key, a.slice(eq + 1));
    else if (i + 1 < rest.length - 1) flags.set(key, rest[++i]!);
    else return undefined;
  }
  const id = rest[i];
  if (i !== rest.length - 1 || !id || id.startsWith('-')) return undefined;
  const fds = flags.get('--preserve-fds');
  if (fds !== undefined && !(typeof fds === 'string' && /^\d+$/.test(fds))) return undefined;
  return { flags, id };
}

/**
 * exec in the two plain forms: known flags, the id, then `--process F` was among the flags (what
 * containerd's shim and conmon send), or a command line (what a person types). What the full CLI
 * would pass for the same words; undefined for anything else.
 */
export function execOptions(rest: readonly string[]) {
  let p = flagsThenId(rest, EXEC_FLAGS);
  let args: string[] = [];
  if (!p) {
    // The command line: flags, the id, then the command (passed through as it is, like the full
    // CLI's passThroughOptions); a first word that looks like a flag is the full CLI's to judge.
    const at = rest.findIndex((a, i) => !a.startsWith('-') && (i === 0 || !isValueFlag(rest[i - 1]!)));
    if (at < 0 || at + 1 >= rest.length || rest[at + 1]!.startsWith('-')) return undefined;
    p = flagsThenId(rest.slice(0, at + 1), EXEC_FLAGS);
    args = rest.slice(at + 1);
    if (!p || p.flags.has('--process')) return undefined;
  } else if (typeof p.flags.get('--process') !== 'string') return undefined;
  const f = p.flags;
  return {
    id: p.id,
    args,
    processFile: f.get('--process') as string | undefined,
    detach: f.has('--detach') || undefined,
    pidFile: f.get('--pid-file') as string | undefined,
    consoleSocket: f.get('--console-socket') as string | undefined,
    env: [] as string[],
    additionalGids: [] as string[],
    caps: [] as string[],
    cgroups: [] as string[],
    preserveFds: 0,
  };
}

function isValueFlag(a: string): boolean {
  return EXEC_FLAGS[a] === 'value';
}

function createOptions(id: string, f: Map<string, string | true>) {
  const str = (k: string): string | undefined => (typeof f.get(k) === 'string' ? (f.get(k) as string) : undefined);
  return {
    id,
    bundle: str('--bundle'),
    pidFile: str('--pid-file'),
    consoleSocket: str('--console-socket'),
    noPivot: f.has('--no-pivot'),
    noNewKeyring: f.has('--no-new-keyring'),
    preserveFds: f.has('--preserve-fds') ? Number(str('--preserve-fds')) : 0,
    detach: f.has('--detach') || undefined,
  };
}

/** Globals, then one of those commands in a plain form; undefined for anything else. */
export function parseFast(args: readonly string[]): Fast | undefined {
  let root = defaultStateRoot();
  let rootless: RootlessSetting = 'auto';
  let logFile: string | undefined;
  let logFormat: LogFormat = 'text';
  let debug = false;
  let systemd = false;
  let i = 0;
  const value = (name: string): string | undefined => {
    const a = args[i]!;
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
    if (a === name && i + 1 < args.length) return args[++i];
    return undefined;
  };
  for (; i < args.length && args[i]!.startsWith('-'); i++) {
    const a = args[i]!;
    const name = a.split('=')[0]!;
    if (name === '--debug' && a === name) debug = true;
    else if (name === '--systemd-cgroup' && a === name) systemd = true;
    else if (name === '--root' || name === '--log' || name === '--log-format' || name === '--rootless') {
      const v = value(name);
      if (v === undefined) return undefined;
      if (name === '--root') root = v;
      else if (name === '--rootless') {
        if (v !== 'true' && v !== 'false' && v !== 'auto') return undefined;
        rootless = v;
      } else if (name === '--log') logFile = v;
      else if (v === 'text' || v === 'json') logFormat = v;
      else return undefined;
    } else return undefined;
  }
  const [cmd, ...rest] = args.slice(i);
  const isId = (s: string | undefined): s is string => !!s && !s.startsWith('-');
  let call: Fast['call'] | undefined;
  if ((cmd === 'state' || cmd === 'start') && rest.length === 1 && isId(rest[0])) {
    const id = rest[0];
    call = cmd === 'state' ? (g) => require('./commands/state').state(g, id) : (g) => require('./commands/start').start(g, id);
  } else if (cmd === 'kill') {
    const all = rest[0] === '-a' || rest[0] === '--all';
    const pos = all ? rest.slice(1) : rest;
    if (pos.length >= 1 && pos.length <= 2 && pos.every(isId)) call = (g) => require('./commands/kill').kill(g, pos[0], pos[1], { all });
  } else if (cmd === 'delete') {
    const force = rest[0] === '-f' || rest[0] === '--force';
    const pos = force ? rest.slice(1) : rest;
    if (pos.length === 1 && isId(pos[0])) call = (g) => require('./commands/delete').del(g, pos[0], { force });
  } else if (cmd === 'create' || cmd === 'run') {
    const p = flagsThenId(rest, cmd === 'create' ? CREATE_FLAGS : RUN_FLAGS);
    if (p) {
      const o = createOptions(p.id, p.flags);
      call = cmd === 'create' ? (g) => require('./commands/create').create(g, o) : (g) => require('./commands/run').run(g, o);
    }
  } else if (cmd === 'exec') {
    const o = execOptions(rest);
    if (o) call = (g) => require('./commands/exec').exec(g, o);
  }
  if (!call) return undefined;
  return { globals: new Globals(root, logFile, logFormat, debug, systemd, rootless), call };
}

export async function main(argv: string[]): Promise<number> {
  const fast = parseFast(argv.slice(2));
  if (!fast) return (require('./cli') as typeof import('./cli')).main(argv);
  const g = fast.globals;
  configureLog({ file: g.logFile, format: g.logFormat, debug: g.debug });
  timing('arguments parsed');
  try {
    const code = await fast.call(g);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    logError(messageOf(err));
    return err instanceof SkiffError ? err.exitCode : 1;
  }
}
