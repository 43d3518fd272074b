// runc's mount option vocabulary, turned into mount(2) flags, propagation changes, recursive
// attributes (mount_setattr) and the data string passed to the filesystem.
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

const ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
};
const ATTR_ATIME_MASK = 0x70;

const FLAGS: Record<string, [set: boolean, flag: number]> = {
  defaults: [true, 0],
  ro: [true, MS.RDONLY],
  rw: [false, MS.RDONLY],
  suid: [false, MS.NOSUID],
  nosuid: [true, MS.NOSUID],
  dev: [false, MS.NODEV],
  nodev: [true, MS.NODEV],
  exec: [false, MS.NOEXEC],
  noexec: [true, MS.NOEXEC],
  sync: [true, MS.SYNCHRONOUS],
  async: [false, MS.SYNCHRONOUS],
  dirsync: [true, MS.DIRSYNC],
  remount: [true, MS.REMOUNT],
  mand: [true, MS.MANDLOCK],
  nomand: [false, MS.MANDLOCK],
  atime: [false, MS.NOATIME],
  noatime: [true, MS.NOATIME],
  diratime: [false, MS.NODIRATIME],
  nodiratime: [true, MS.NODIRATIME],
  bind: [true, MS.BIND],
  rbind: [true, MS.BIND | MS.REC],
  relatime: [true, MS.RELATIME],
  norelatime: [false, MS.RELATIME],
  strictatime: [true, MS.STRICTATIME],
  nostrictatime: [false, MS.STRICTATIME],
  lazytime: [true, MS.LAZYTIME],
  nolazytime: [false, MS.LAZYTIME],
  symfollow: [false, MS.NOSYMFOLLOW],
  nosymfollow: [true, MS.NOSYMFOLLOW],
  silent: [true, MS.SILENT],
  loud: [false, MS.SILENT],
};

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

const RECURSIVE: Record<string, [set: boolean, attr: number]> = {
  rro: [true, ATTR.RDONLY],
  rrw: [false, ATTR.RDONLY],
  rnosuid: [true, ATTR.NOSUID],
  rsuid: [false, ATTR.NOSUID],
  rnodev: [true, ATTR.NODEV],
  rdev: [false, ATTR.NODEV],
  rnoexec: [true, ATTR.NOEXEC],
  rexec: [false, ATTR.NOEXEC],
  rnodiratime: [true, ATTR.NODIRATIME],
  rdiratime: [false, ATTR.NODIRATIME],
  rnosymfollow: [true, ATTR.NOSYMFOLLOW],
  rsymfollow: [false, ATTR.NOSYMFOLLOW],
  rnoatime: [true, ATTR.NOATIME],
  ratime: [false, ATTR.NOATIME],
  rstrictatime: [true, ATTR.STRICTATIME],
  rrelatime: [true, 0],
};

export interface ParsedOptions {
  flags: number;
  /** tmpcopyup (podman, CRI-O): fill a tmpfs with what the image has at its destination. */
  copyUp: boolean;
  /** idmap / ridmap (config.md): an idmapping on the mount, recursive for ridmap; never mount(2) data. */
  idmap: 'none' | 'idmap' | 'ridmap';
  propagation: number[];
  attrSet: number;
  attrClr: number;
  data: string;
}

export function parseMountOptions(options: readonly string[] | undefined): ParsedOptions {
  let flags = 0;
  let attrSet = 0;
  let attrClr = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  let copyUp = false;
  let idmap: ParsedOptions['idmap'] = 'none';
  for (const opt of options ?? []) {
    if (opt === 'tmpcopyup') {
      copyUp = true;
      continue;
    }
    if (opt === 'idmap' || opt === 'ridmap') {
      if (idmap !== 'ridmap') idmap = opt;
      continue;
    }
    const f = FLAGS[opt];
    if (f) {
      flags = f[0] ? flags | f[1] : flags & ~f[1];
      continue;
    }
    const p = PROPAGATION[opt];
    if (p !== undefined) {
      propagation.push(p);
      continue;
    }
    const r = RECURSIVE[opt];
    if (r) {
      if (opt.endsWith('atime') && opt !== 'rnodiratime' && opt !== 'rdiratime') attrClr |= ATTR_ATIME_MASK;
      if (r[0]) {
        attrSet |= r[1];
        attrClr &= ~r[1];
      } else {
        attrClr |= r[1];
        attrSet &= ~r[1];
      }
      continue;
    }
    // Anything else is the filesystem's business (size=, mode=, newinstance, ptmxmode=, …).
    data.push(opt);
  }
  return { flags, copyUp, idmap, propagation, attrSet, attrClr, data: data.join(',') };
}

export function propagationFlag(name: string | undefined): number | undefined {
  return name ? PROPAGATION[name] : undefined;
}
