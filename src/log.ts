import * as fs from 'node:fs';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

interface LogSettings {
  file?: string;
  format: LogFormat;
  debug: boolean;
}

const settings: LogSettings = { format: 'text', debug: false };
const started = process.hrtime.bigint();

export function configureLog(s: Partial<LogSettings>): void {
  Object.assign(settings, s);
}

export function debugEnabled(): boolean {
  return settings.debug;
}

function line(level: Level, msg: string): string {
  const time = new Date().toISOString();
  if (settings.format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

/** Appends to --log; without --log, debug and warnings go to stderr (runc's behaviour). */
export function log(level: Level, msg: string): void {
  if (level === 'debug' && !settings.debug) return;
  if (settings.file) {
    try {
      fs.appendFileSync(settings.file, line(level, msg));
      return;
    } catch {
      // An unwritable log must not hide the message itself.
    }
  }
  if (level !== 'error') fs.writeSync(2, line(level, msg));
}

/** `--debug` timeline: milliseconds since skiff started, per step. */
export function timing(step: string): void {
  if (!settings.debug) return;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  log('debug', `timing: ${step} at ${ms.toFixed(2)} ms`);
}

/** The error path: stderr gets the message alone, the log file gets the structured line. */
export function logError(msg: string): void {
  if (settings.file) {
    try {
      fs.appendFileSync(settings.file, line('error', msg));
    } catch {
      // Fall through: stderr below still carries it.
    }
  }
  fs.writeSync(2, msg.endsWith('\n') ? msg : msg + '\n');
}
