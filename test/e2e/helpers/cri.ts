// A minimal CRI client (runtime.v1.RuntimeService over gRPC on a unix socket), enough to run a
// pod sandbox and containers through containerd's CRI plugin with a runtime handler declared in
// config.toml. Protobuf is encoded and decoded by hand for the few messages used (field numbers
// from k8s.io/cri-api/pkg/apis/runtime/v1/api.proto); gRPC framing over node:http2.
import * as http2 from 'node:http2';
import * as net from 'node:net';

// ---- protobuf encoding -------------------------------------------------------------------------

type Field = [number, 'string' | 'bytes', string | Buffer] | [number, 'varint', number | bigint | boolean] | [number, 'message', Field[]];

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

export function encode(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const [no, kind, value] = f;
    if (kind === 'varint') {
      parts.push(varint(no << 3), varint(typeof value === 'boolean' ? (value ? 1 : 0) : value));
    } else {
      const body = kind === 'message' ? encode(value as Field[]) : Buffer.isBuffer(value) ? value : Buffer.from(value as string);
      parts.push(varint((no << 3) | 2), varint(body.length), body);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes one message level: field number → raw values (varints as bigint, length-delimited as Buffer). */
export function decode(buf: Buffer): Map<number, (bigint | Buffer)[]> {
  const out = new Map<number, (bigint | Buffer)[]>();
  let i = 0;
  const readVarint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const no = key >> 3;
    const wt = key & 7;
    let val: bigint | Buffer;
    if (wt === 0) val = readVarint();
    else if (wt === 2) {
      const len = Number(readVarint());
      val = buf.subarray(i, i + len);
      i += len;
    } else if (wt === 1) {
      val = buf.readBigUInt64LE(i);
      i += 8;
    } else if (wt === 5) {
      val = BigInt(buf.readUInt32LE(i));
      i += 4;
    } else throw new Error(`protobuf: wire type ${wt}`);
    if (!out.has(no)) out.set(no, []);
    out.get(no)!.push(val);
  }
  return out;
}

const str = (m: Map<number, (bigint | Buffer)[]>, no: number): string => (m.get(no)?.[0] as Buffer | undefined)?.toString('utf8') ?? '';
const num = (m: Map<number, (bigint | Buffer)[]>, no: number): number =>
  Number(BigInt.asIntN(64, (m.get(no)?.[0] as bigint | undefined) ?? 0n));
const sub = (m: Map<number, (bigint | Buffer)[]>, no: number) => decode((m.get(no)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));

// ---- gRPC --------------------------------------------------------------------------------------

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`grpc status ${code}: ${message}`);
  }
}

export class CriClient {
  private session: http2.ClientHttp2Session;

  constructor(socket: string) {
    this.session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
    this.session.on('error', () => {
      /* reported by the calls */
    });
  }

  close(): void {
    this.session.close();
  }

  call(method: string, body: Buffer, timeoutMs = 60_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = this.session.request({
        ':method': 'POST',
        ':path': `/runtime.v1.RuntimeService/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: number | undefined;
      let message = '';
      const timer = setTimeout(() => {
        req.close();
        reject(new Error(`${method}: timed out`));
      }, timeoutMs);
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          status = Number(h['grpc-status']);
          message = decodeURIComponent(String(h['grpc-message'] ?? ''));
        }
      };
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('end', () => {
        clearTimeout(timer);
        if (status !== 0) return reject(new GrpcError(status ?? -1, message || `${method} failed`));
        const all = Buffer.concat(chunks);
        resolve(all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : Buffer.alloc(0));
      });
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(body.length, 1);
      req.end(Buffer.concat([frame, body]));
    });
  }

  // ---- the RuntimeService calls used by the tests ----

  async version(): Promise<{ runtimeName: string; runtimeVersion: string }> {
    const m = decode(await this.call('Version', encode([[1, 'string', 'v1']])));
    return { runtimeName: str(m, 2), runtimeVersion: str(m, 3) };
  }

  static sandboxConfig(p: { name: string; uid: string; namespace: string; logDir: string; cgroupParent: string }): Field[] {
    return [
      [
        1,
        'message',
        [
          [1, 'string', p.name],
          [2, 'string', p.uid],
          [3, 'string', p.namespace],
          [4, 'varint', 0],
        ],
      ],
      // no hostname: like kubelet for a host-network pod (the host's UTS namespace is kept, and
      // a hostname without a UTS namespace of its own is an error in runc and skiff alike)
      [3, 'string', p.logDir],
      // linux: cgroup_parent; security_context.namespace_options.network = NODE (no CNI needed)
      [
        8,
        'message',
        [
          [1, 'string', p.cgroupParent],
          [2, 'message', [[1, 'message', [[1, 'varint', 2]]]]],
        ],
      ],
    ];
  }

  async runPodSandbox(config: Field[], runtimeHandler: string): Promise<string> {
    return str(
      decode(
        await this.call(
          'RunPodSandbox',
          encode([
            [1, 'message', config],
            [2, 'string', runtimeHandler],
          ]),
          120_000,
        ),
      ),
      1,
    );
  }

  async createContainer(
    sandboxId: string,
    sandboxConfig: Field[],
    c: { name: string; image: string; command: string[]; logPath: string },
  ): Promise<string> {
    const config: Field[] = [
      [
        1,
        'message',
        [
          [1, 'string', c.name],
          [2, 'varint', 0],
        ],
      ],
      [2, 'message', [[1, 'string', c.image]]],
      ...c.command.map((a): Field => [3, 'string', a]),
      [11, 'string', c.logPath],
    ];
    return str(
      decode(
        await this.call(
          'CreateContainer',
          encode([
            [1, 'string', sandboxId],
            [2, 'message', config],
            [3, 'message', sandboxConfig],
          ]),
        ),
      ),
      1,
    );
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', encode([[1, 'string', id]]));
  }

  /** state: 0 created, 1 running, 2 exited, 3 unknown. */
  async containerStatus(id: string): Promise<{ state: number; exitCode: number; reason: string; message: string }> {
    const s = sub(decode(await this.call('ContainerStatus', encode([[1, 'string', id]]))), 1);
    return { state: num(s, 3), exitCode: num(s, 7), reason: str(s, 10), message: str(s, 11) };
  }

  async execSync(id: string, cmd: string[], timeoutSec = 30): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const m = decode(
      await this.call('ExecSync', encode([[1, 'string', id], ...cmd.map((a): Field => [2, 'string', a]), [3, 'varint', timeoutSec]])),
    );
    return { stdout: str(m, 1), stderr: str(m, 2), exitCode: num(m, 3) };
  }

  async updateContainerResources(id: string, r: { cpuShares?: number; memoryLimitInBytes?: number }): Promise<void> {
    const linux: Field[] = [];
    if (r.cpuShares !== undefined) linux.push([3, 'varint', r.cpuShares]);
    if (r.memoryLimitInBytes !== undefined) linux.push([4, 'varint', r.memoryLimitInBytes]);
    await this.call(
      'UpdateContainerResources',
      encode([
        [1, 'string', id],
        [2, 'message', linux],
      ]),
    );
  }

  async stopContainer(id: string, timeoutSec = 10): Promise<void> {
    await this.call(
      'StopContainer',
      encode([
        [1, 'string', id],
        [2, 'varint', timeoutSec],
      ]),
      (timeoutSec + 30) * 1000,
    );
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('RemoveContainer', encode([[1, 'string', id]]));
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', encode([[1, 'string', id]]));
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', encode([[1, 'string', id]]));
  }
}
