import * as fs from 'node:fs';

/** AppArmor is usable when the module is loaded and enabled (what aa_is_enabled checks). */
export function appArmorEnabled(): boolean {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

/** SELinux is on when selinuxfs is mounted (what is_selinux_enabled checks first). */
export function selinuxEnabled(): boolean {
  return fs.existsSync('/sys/fs/selinux/enforce');
}

/** A profile asked for on a host without AppArmor is an error, never silently dropped. */
export function checkAppArmor(profile: string | undefined, where: string): string | undefined {
  if (!profile) return undefined;
  if (!appArmorEnabled()) return `${where}: AppArmor profile "${profile}" was asked for, but AppArmor is not enabled on this host`;
  return undefined;
}
