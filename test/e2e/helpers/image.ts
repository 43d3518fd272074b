// A busybox image built locally (there is no image registry here): one layer holding the static
// /bin/busybox with a symlink per applet, written as one tarball that is at the same time an OCI
// image layout (oci-layout, index.json, blobs/sha256/…: what `ctr image import` and `podman load`
// read) and a docker-archive (manifest.json pointing at the same blobs: what `docker load` reads).
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BUSYBOX = '/bin/busybox';
export const IMAGE_REF = 'docker.io/skiff-e2e/busybox:latest';

export interface Image {
  /** The image tarball (OCI layout + docker-archive). */
  tarball: string;
  /** The layer alone (a plain rootfs tar: `podman import`, `docker import`). */
  layer: string;
  ref: string;
  manifestDigest: string;
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
}

/** A minimal root filesystem: busybox and its applets, /etc/passwd and /etc/group, empty mount points. */
export function makeRootfs(dir: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'var', 'usr'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${BUSYBOX} --list failed`);
  for (const a of list.stdout.split('\n')) {
    if (!a || a === 'busybox' || a.includes('/')) continue;
    const link = path.join(dir, 'bin', a);
    if (!fs.existsSync(link)) fs.symlinkSync('busybox', link);
  }
  fs.symlinkSync('bin', path.join(dir, 'sbin'));
  fs.symlinkSync('../bin', path.join(dir, 'usr/bin'));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** A pod's infra image: the same layer, whose entrypoint sleeps forever. */
export const PAUSE_REF = 'docker.io/skiff-e2e/pause:latest';

/**
 * Builds an image under `dir` (rootfs/ and layer.tar once; <name>.tar and <name>/ per image):
 * by default busybox with `sh` as its command.
 */
export function buildBusyboxImage(dir: string, ref = IMAGE_REF, run: { entrypoint?: string[]; cmd?: string[] } = { cmd: ['sh'] }): Image {
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found (apt-get install busybox-static)`);
  const rootfs = path.join(dir, 'rootfs');
  const layer = path.join(dir, 'layer.tar');
  if (!fs.existsSync(layer)) {
    makeRootfs(rootfs);
    sh('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-cf', layer, '.']);
  }
  const name = ref.replace(/^.*\//, '').replace(/:.*$/, '');
  const layout = path.join(dir, name);
  const blobs = path.join(layout, 'blobs/sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer): string => {
    const d = sha256(data);
    fs.writeFileSync(path.join(blobs, d), data);
    return d;
  };
  const layerData = fs.readFileSync(layer);
  const layerDigest = put(layerData);
  const config = Buffer.from(
    JSON.stringify({
      created: '1970-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Entrypoint: run.entrypoint,
        Cmd: run.cmd,
        WorkingDir: '/',
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'skiff e2e: busybox-static' }],
    }),
  );
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configDigest}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layerData.length }],
    }),
  );
  const manifestDigest = put(manifest);
  const tag = ref.slice(ref.lastIndexOf(':') + 1);
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestDigest}`,
          size: manifest.length,
          annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  // docker-archive view of the same blobs (docker load reads manifest.json and ignores the rest)
  fs.writeFileSync(
    path.join(layout, 'manifest.json'),
    JSON.stringify([
      { Config: `blobs/sha256/${configDigest}`, RepoTags: [ref.replace(/^docker\.io\//, '')], Layers: [`blobs/sha256/${layerDigest}`] },
    ]),
  );
  const tarball = path.join(dir, `${name}.tar`);
  sh('tar', [
    '-C',
    layout,
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--sort=name',
    '--mtime=@0',
    '-cf',
    tarball,
    'oci-layout',
    'index.json',
    'manifest.json',
    'blobs',
  ]);
  return { tarball, layer, ref, manifestDigest: `sha256:${manifestDigest}` };
}
