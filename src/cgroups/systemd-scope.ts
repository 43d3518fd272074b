// The systemd driver's live half: starting, updating and stopping a container's scope through the
// addon's D-Bus calls. What goes into the calls is decided in systemd.ts.
import * as fs from 'node:fs';

import { SkiffError, messageOf } from '../errors';
import { log } from '../log';
import { native, type NativeError, type SystemdBinding } from '../native';
import type { DeviceCgroupRule, Resources } from '../spec/types';
import type { CgroupPaths } from './manager';
import { resourceProperties, scopeProperties } from './systemd';

let version: number | undefined;

/** The addon's D-Bus calls, to the manager this container's scope belongs to (system or user). */
function manager(paths: CgroupPaths): SystemdBinding {
  const s = native().systemd;
  s.setUserManager(!!paths.systemd?.user);
  return s;
}

/** systemd's version ("252.38-1~deb12u1" → 252), to leave out properties it does not know. */
export function systemdVersion(paths: CgroupPaths): number {
  if (version === undefined) {
    const text = manager(paths).managerProperty('Version');
    version = Number(/(\d+)/.exec(text)?.[1] ?? 0);
  }
  return version;
}

function procDevices(): string {
  try {
    return fs.readFileSync('/proc/devices', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Starts the container's scope with the init in it, and waits until systemd has made it. A unit
 * of that name left failed by an earlier container is reset and the start tried once more.
 */
export function startScope(
  paths: CgroupPaths,
  q: { id: string; pid: number; resources?: Resources; deviceRules: readonly DeviceCgroupRule[] },
): void {
  const sd = paths.systemd;
  if (!sd) throw new Error('startScope: not a systemd cgroup');
  const { properties, skippedDevices } = scopeProperties({
    slice: sd.slice,
    id: q.id,
    pid: q.pid,
    v2: paths.mode === 'unified',
    version: systemdVersion(paths),
    devices: !sd.user,
    resources: q.resources,
    deviceRules: q.deviceRules,
    procDevices: procDevices(),
  });
  for (const d of skippedDevices) log('debug', `systemd cannot express the device rule "${d}": skiff's own device filter applies it`);
  const s = manager(paths);
  try {
    s.startTransientUnit(sd.unit, properties);
  } catch (err) {
    if ((err as { code?: string }).code !== 'org.freedesktop.systemd1.UnitExists') throw err;
    s.resetFailedUnit(sd.unit);
    try {
      s.startTransientUnit(sd.unit, properties);
    } catch (again) {
      if ((again as { code?: string }).code === 'org.freedesktop.systemd1.UnitExists')
        throw new SkiffError(`systemd unit ${sd.unit} already exists: another container (or service) uses this cgroupsPath`);
      throw again;
    }
  }
}

/** `update`: the new limits as runtime properties, so a daemon-reload keeps them. */
export function updateScope(paths: CgroupPaths, resources: Resources): void {
  const sd = paths.systemd;
  if (!sd) return;
  const props = resourceProperties(resources, paths.mode === 'unified', systemdVersion(paths));
  if (props.length) manager(paths).setUnitProperties(sd.unit, props);
}

/** Stops the scope (systemd removes its cgroups); problems are returned, not thrown. */
export function stopScope(paths: CgroupPaths): string[] {
  const sd = paths.systemd;
  if (!sd) return [];
  try {
    manager(paths).stopUnit(sd.unit);
    return [];
  } catch (err) {
    const e = err as NativeError;
    return [`stop systemd unit ${sd.unit}: ${messageOf(e)}`];
  }
}

/**
 * The scope's result once it has stopped ("oom-kill" when systemd stopped it after a kernel OOM
 * kill); undefined when systemd no longer has the unit or cannot be asked.
 */
export function scopeResult(paths: CgroupPaths): string | undefined {
  const sd = paths.systemd;
  if (!sd) return undefined;
  try {
    return manager(paths).unitProperty(sd.unit, 'org.freedesktop.systemd1.Scope', 'Result');
  } catch {
    return undefined;
  }
}
