// The entry point both builds export (src/main.ts for the executable, dist/skiff.js for bin/skiff).
// A caller makes state, start, kill and delete for every container, so those calls, in the forms
// callers use, are parsed here without building the whole command line (commander and every
// command's definition cost milliseconds of each call). Anything else, including every unusual
// form of those four, goes to the full CLI (src/cli.ts), which behaves the same for them.
import { SkiffError, messageOf } from './errors';
import { Globals } from './globals';
import { configureLog, logError, timing, type LogFormat } from './log';
import { DEFAULT_ROOT } from './state/store';

export { explicitExitRequired as mustExit } from './exit-flag';

interface Fast { globals: Globals; call: (g: Globals) => unknown }

/** Globals, then one of the four commands with its plain arguments; undefined for anything else. */
export function parseFast(args: readonly string[]): Fast | undefined {
  let root = DEFAULT_ROOT;
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
    else if (name === '--root' || name === '--log' || name === '--log-format') {
      const v = value(name);
      if (v === undefined) return undefined;
      if (name === '--root') root = v;
      else if (name === '--log') logFile = v;
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
  }
  if (!call) return undefined;
  return { globals: new Globals(root, logFile, logFormat, debug, systemd), call };
}

export async function main(argv: string[]): Promise<number> {
  const fast = parseFast(argv.slice(2));
  if (!fast) return (require('./cli') as typeof import('./cli')).main(argv);
  const g = fast.globals;
  configureLog({ file: g.logFile, format: g.logFormat, debug: g.debug });
  timing('arguments parsed');
  try {
    await fast.call(g);
    return 0;
  } catch (err) {
    logError(messageOf(err));
    return err instanceof SkiffError ? err.exitCode : 1;
  }
}
