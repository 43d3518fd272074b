// CRIU's RPC messages (criu/images/rpc.proto, proto2), encoded and decoded by hand: skiff needs
// one request type and one response type, so a field table here beats a protobuf runtime in every
// start of the executable. Only the fields skiff sends or reads are listed; unknown response
// fields are skipped, as protobuf requires.

/** criu_req_type. */
export const CRIU_REQ = {
  dump: 1,
  restore: 2,
  check: 3,
  preDump: 4,
  notify: 6,
  featureCheck: 9,
  version: 10,
} as const;

/** criu_cg_mode: --manage-cgroups-mode. */
export const CG_MODE = { ignore: 0, none: 1, props: 2, soft: 3, full: 4, strict: 5, default: 6 } as const;
export type CgMode = keyof typeof CG_MODE;

export interface ExtMount {
  key: string;
  val: string;
}
export interface InheritFd {
  key: string;
  fd: number;
}
export interface CgroupRoot {
  ctrl?: string;
  path: string;
}
export interface JoinNamespace {
  ns: string;
  nsFile: string;
}
export interface PageServer {
  address?: string;
  port?: number;
}

/** criu_opts: the fields skiff sets. */
export interface CriuOpts {
  imagesDirFd: number;
  pid?: number;
  leaveRunning?: boolean;
  extUnixSk?: boolean;
  tcpEstablished?: boolean;
  evasiveDevices?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  logLevel?: number;
  logFile?: string;
  ps?: PageServer;
  notifyScripts?: boolean;
  root?: string;
  parentImg?: string;
  trackMem?: boolean;
  autoDedup?: boolean;
  workDirFd?: number;
  extMnt?: ExtMount[];
  manageCgroups?: boolean;
  cgRoot?: CgroupRoot[];
  rstSibling?: boolean;
  inheritFd?: InheritFd[];
  manageCgroupsMode?: CgMode;
  external?: string[];
  emptyNs?: number;
  joinNs?: JoinNamespace[];
  freezeCgroup?: string;
  lazyPages?: boolean;
  statusFd?: number;
  orphanPtsMaster?: boolean;
  configFile?: string;
}

export interface CriuFeatures {
  memTrack?: boolean;
  lazyPages?: boolean;
}

export interface CriuReq {
  type: number;
  opts?: CriuOpts;
  notifySuccess?: boolean;
  features?: CriuFeatures;
}

export interface CriuResp {
  type: number;
  success: boolean;
  restoredPid?: number;
  notify?: { script: string; pid: number };
  crErrno?: number;
  crErrmsg?: string;
  features?: CriuFeatures;
  version?: { major: number; minor: number; sublevel?: number; gitid?: string };
}

// ------------------------------------------------------------------ encoding

class Writer {
  private parts: Buffer[] = [];

  private varint(v: bigint): void {
    const out: number[] = [];
    // int32 negatives are sign-extended to 64 bits (protobuf's rule): ten bytes.
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      out.push(b);
    } while (x);
    this.parts.push(Buffer.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.key(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    return v === undefined ? this : this.int(field, v ? 1 : 0);
  }

  bytes(field: number, v: Buffer | undefined): this {
    if (v === undefined) return this;
    this.key(field, 2);
    this.varint(BigInt(v.length));
    this.parts.push(v);
    return this;
  }

  string(field: number, v: string | undefined): this {
    return v === undefined ? this : this.bytes(field, Buffer.from(v, 'utf8'));
  }

  strings(field: number, vs: readonly string[] | undefined): this {
    for (const v of vs ?? []) this.string(field, v);
    return this;
  }

  messages<T>(field: number, vs: readonly T[] | undefined, enc: (w: Writer, v: T) => void): this {
    for (const v of vs ?? []) this.message(field, v, enc);
    return this;
  }

  message<T>(field: number, v: T | undefined, enc: (w: Writer, v: T) => void): this {
    if (v === undefined) return this;
    const w = new Writer();
    enc(w, v);
    return this.bytes(field, w.done());
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function encodeOpts(w: Writer, o: CriuOpts): void {
  w.int(1, o.imagesDirFd)
    .int(2, o.pid)
    .bool(3, o.leaveRunning)
    .bool(4, o.extUnixSk)
    .bool(5, o.tcpEstablished)
    .bool(6, o.evasiveDevices)
    .bool(7, o.shellJob)
    .bool(8, o.fileLocks)
    .int(9, o.logLevel)
    .string(10, o.logFile)
    .message(11, o.ps, (m, p) => m.string(1, p.address).int(2, p.port))
    .bool(12, o.notifyScripts)
    .string(13, o.root)
    .string(14, o.parentImg)
    .bool(15, o.trackMem)
    .bool(16, o.autoDedup)
    .int(17, o.workDirFd)
    .messages(23, o.extMnt, (m, e) => m.string(1, e.key).string(2, e.val))
    .bool(24, o.manageCgroups)
    .messages(25, o.cgRoot, (m, c) => m.string(1, c.ctrl).string(2, c.path))
    .bool(26, o.rstSibling)
    .messages(27, o.inheritFd, (m, i) => m.string(1, i.key).int(2, i.fd))
    .int(34, o.manageCgroupsMode === undefined ? undefined : CG_MODE[o.manageCgroupsMode])
    .strings(37, o.external)
    .int(38, o.emptyNs)
    .messages(39, o.joinNs, (m, j) => m.string(1, j.ns).string(2, j.nsFile))
    .string(44, o.freezeCgroup)
    .bool(48, o.lazyPages)
    .int(49, o.statusFd)
    .bool(50, o.orphanPtsMaster)
    .string(51, o.configFile);
}

export function encodeRequest(req: CriuReq): Buffer {
  return new Writer()
    .int(1, req.type)
    .message(2, req.opts, encodeOpts)
    .bool(3, req.notifySuccess)
    .message(5, req.features, (m, f) => m.bool(1, f.memTrack).bool(2, f.lazyPages))
    .done();
}

// ------------------------------------------------------------------ decoding

type Field = { field: number; wire: number; int?: bigint; bytes?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (i < buf.length) {
    const k = varint();
    const field = Number(k >> 3n);
    const wire = Number(k & 7n);
    switch (wire) {
      case 0:
        out.push({ field, wire, int: varint() });
        break;
      case 1:
      case 5: {
        const n = wire === 1 ? 8 : 4;
        if (i + n > buf.length) throw new Error('truncated fixed field');
        i += n;
        break;
      }
      case 2: {
        const len = Number(varint());
        if (i + len > buf.length) throw new Error('truncated field');
        out.push({ field, wire, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

const int32 = (v: bigint | undefined): number => Number(BigInt.asIntN(32, v ?? 0n));

function last(fs: Field[], n: number): Field | undefined {
  for (let i = fs.length - 1; i >= 0; i--) if (fs[i]!.field === n) return fs[i];
  return undefined;
}

/** A criu_resp; throws (with what is wrong) on bytes that are not one. */
export function decodeResponse(buf: Buffer): CriuResp {
  const f = fields(buf);
  const type = last(f, 1);
  const success = last(f, 2);
  if (!type || !success) throw new Error('criu_resp without type or success');
  const resp: CriuResp = { type: int32(type.int), success: success.int !== 0n };
  const restore = last(f, 4)?.bytes;
  if (restore) resp.restoredPid = int32(last(fields(restore), 1)?.int);
  const notify = last(f, 5)?.bytes;
  if (notify) {
    const n = fields(notify);
    resp.notify = { script: last(n, 1)?.bytes?.toString('utf8') ?? '', pid: int32(last(n, 2)?.int) };
  }
  const errno = last(f, 7);
  if (errno) resp.crErrno = int32(errno.int);
  const features = last(f, 8)?.bytes;
  if (features) {
    const n = fields(features);
    resp.features = {};
    const mem = last(n, 1);
    if (mem) resp.features.memTrack = mem.int !== 0n;
    const lazy = last(n, 2);
    if (lazy) resp.features.lazyPages = lazy.int !== 0n;
  }
  const msg = last(f, 9)?.bytes;
  if (msg) resp.crErrmsg = msg.toString('utf8');
  const version = last(f, 10)?.bytes;
  if (version) {
    const n = fields(version);
    resp.version = { major: int32(last(n, 1)?.int), minor: int32(last(n, 2)?.int) };
    const sub = last(n, 4);
    if (sub) resp.version.sublevel = int32(sub.int);
    const git = last(n, 3)?.bytes;
    if (git) resp.version.gitid = git.toString('utf8');
  }
  return resp;
}

/** For tests: a criu_resp as CRIU would send it. */
export function encodeResponse(r: CriuResp): Buffer {
  return new Writer()
    .int(1, r.type)
    .bool(2, r.success)
    .message(4, r.restoredPid, (m, pid) => m.int(1, pid))
    .message(5, r.notify, (m, n) => m.string(1, n.script).int(2, n.pid))
    .int(7, r.crErrno)
    .message(8, r.features, (m, x) => m.bool(1, x.memTrack).bool(2, x.lazyPages))
    .string(9, r.crErrmsg)
    .message(10, r.version, (m, v) => m.int(1, v.major).int(2, v.minor).string(3, v.gitid).int(4, v.sublevel))
    .done();
}
