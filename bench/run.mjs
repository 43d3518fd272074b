#!/usr/bin/env node
// skiff's benchmark against runc and crun (issues 7 and 13): `node bench/run.mjs [--quick]`.
//
// Two skiff columns: "skiff" is build/skiff, what callers configure (a static launcher that execs
// build/Release/skiff-engine, the Bun-compiled single-file executable of the CLI); "skiff on Node"
// (skiff-node) is bin/skiff, the development entry point (Node.js loading dist/skiff.js). The
// ratios (skiff/runc, skiff/crun) and the targets of issue 13 are the executable's; the wall-time
// table adds Node/runc for the Node entry point.
//
// Every figure comes from the same run, on the same bundles, with the runtimes INTERLEAVED: each
// repetition runs skiff, skiff-node, runc and crun one after another (the order rotates by one
// runtime per repetition, so none is always first after the previous one's clean-up). Results: a
// markdown table on stdout and in bench/results/latest.md, a bar chart in
// bench/results/latest.svg (an SVG text file, bench/svg.mjs, that renders on any code host), the
// raw figures in bench/results/latest.json.
//
// How a call is measured: a tiny C helper (bench/helper.c, compiled here with gcc into the run's
// temp dir) forks and execs the command and reports the wall time from fork() to wait4() (so
// Node's spawn cost is not in the figure) and wait4()'s ru_maxrss (peak RSS; spawnSync does not
// expose it). Without gcc, or with --no-helper: Node's clock around spawnSync (adds ~1-2 ms to
// every call, for every runtime) and /usr/bin/time -f %M for the RSS, if present.
//
// NODE_EXTRA_CA_CERTS is removed from the environment of every measured process (it costs
// ~45 ms per Node start here). crun 1.8 refuses a hybrid cgroup host (v1 controllers + cgroup2
// at /sys/fs/cgroup/unified): on such a host every crun call runs in a private mount namespace
// where /sys/fs/cgroup/unified is covered by a tmpfs (--cgroup-manager=cgroupfs); the cost of
// that wrapper is measured on its own and subtracted from crun's figures.
//
// Everything is cleaned up: containers (delete --force with each runtime's private --root),
// cgroup directories under /skiff-bench-<pid> (only those), the temp dir.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { barChart } from './svg.mjs';

const ARGS = process.argv.slice(2);
const QUICK = ARGS.includes('--quick');
const NO_HELPER = ARGS.includes('--no-helper');
const outAt = ARGS.indexOf('--out');
const OUT_DIR = outAt >= 0 ? ARGS[outAt + 1] : undefined;
const known = (a, i) => ['--quick', '--no-helper', '--out'].includes(a) || (outAt >= 0 && i === outAt + 1);
if (ARGS.includes('--help') || !ARGS.every(known) || (outAt >= 0 && !OUT_DIR)) {
  console.log(
    [
      'usage: node bench/run.mjs [--quick] [--no-helper] [--out DIR]',
      '  --quick      5 repetitions per row, fewer containers (a smoke run)',
      "  --no-helper  time with Node's clock (and /usr/bin/time for RSS) instead of the C helper",
      '  --out DIR    write latest.md/.svg/.json there instead of bench/results',
    ].join('\n'),
  );
  process.exit(ARGS.includes('--help') ? 0 : 2);
}

const REPS = QUICK ? 5 : 25;
const CALIBRATION = QUICK ? 10 : 40;
const IN_A_ROW = QUICK ? { rounds: 2, batch: 10 } : { rounds: 4, batch: 25 };
const PARALLEL = { n: 20, rounds: QUICK ? 1 : 3 };

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SKIFF = path.join(ROOT, 'build/skiff'); // the executable: launcher + Bun engine
const SKIFF_NODE = path.join(ROOT, 'bin/skiff'); // the same CLI on Node.js
const ROOTFS = path.join(ROOT, 'build/rootfs');
const RESULTS = OUT_DIR ? path.resolve(OUT_DIR) : path.join(HERE, 'results');
const CG_PREFIX = `/skiff-bench-${process.pid}`;

const ENV = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

function which(name) {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

if (process.getuid?.() !== 0) die('must run as root (containers need it)');
for (const f of [
  'build/skiff',
  'build/Release/skiff-engine',
  'bin/skiff',
  'dist/skiff.js',
  'build/Release/skiff.node',
  'build/Release/skiff-init',
  'build/rootfs/bin/busybox',
])
  if (!fs.existsSync(path.join(ROOT, f))) die(`${f} is missing: run \`npm run build\` first`);

const NODE = which('node') ?? process.execPath;
const RUNC = which('runc');
const CRUN = which('crun');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const MOUNTINFO = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
const CGROUP_MOUNTS = MOUNTINFO.map((l) => {
  const sep = l.indexOf(' - ');
  if (sep < 0) return undefined;
  const fstype = l.slice(sep + 3).split(' ')[0];
  return fstype === 'cgroup' || fstype === 'cgroup2' ? { dir: l.split(' ')[4], fstype } : undefined;
}).filter(Boolean);
const HYBRID =
  CGROUP_MOUNTS.some((m) => m.dir === '/sys/fs/cgroup/unified' && m.fstype === 'cgroup2') &&
  CGROUP_MOUNTS.some((m) => m.fstype === 'cgroup');

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-'));
fs.mkdirSync(path.join(TMP, 'bundles'));
fs.mkdirSync(path.join(TMP, 'pids'));
fs.mkdirSync(path.join(TMP, 'logs'));

// ---------------------------------------------------------------------------------------------
// The helper

let HELPER;
let helperNote;
if (!NO_HELPER && which('gcc')) {
  const out = path.join(TMP, 'helper');
  const r = spawnSync('gcc', ['-O2', '-o', out, path.join(HERE, 'helper.c')], { encoding: 'utf8' });
  if (r.status === 0) HELPER = out;
  else console.error(`bench: gcc could not build bench/helper.c (${r.stderr.trim()}); timing with Node's clock instead`);
}
if (HELPER)
  helperNote =
    "wall time from fork() to wait4() and peak RSS from wait4()'s ru_maxrss, by a C helper (bench/helper.c, compiled with gcc at run time)";
else
  helperNote = `wall time by Node's clock around spawnSync (includes ~1-2 ms of spawn cost per call, for every runtime); peak RSS ${TIME ? 'by /usr/bin/time -f %M' : 'not measured (no gcc, no /usr/bin/time)'}`;

// ---------------------------------------------------------------------------------------------
// Measuring one call

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const NS_SCRIPT = 'mount -t tmpfs none /sys/fs/cgroup/unified && exec "$0" "$@"';

/** Runs cmd (absolute path) once; stdout/stderr go to files (a container inherits them). */
function measure(cmd, args, { ns = false } = {}) {
  const outFile = path.join(TMP, 'io.out');
  const errFile = path.join(TMP, 'io.err');
  const outFd = fs.openSync(outFile, 'w');
  const errFd = fs.openSync(errFile, 'w');
  const res = { ms: NaN, rssKB: NaN, code: -1, out: '', err: '', realStartMs: NaN, realEndMs: NaN };
  try {
    if (HELPER) {
      const r = spawnSync(HELPER, [...(ns ? ['--ns'] : []), '--', cmd, ...args], {
        env: ENV,
        stdio: ['ignore', outFd, errFd, 'pipe'],
        timeout: 120_000,
      });
      const f = String(r.output?.[3] ?? '')
        .trim()
        .split(/\s+/);
      if (r.error || f.length < 5) {
        res.code = r.status ?? -1;
      } else {
        res.ms = Number(f[0]) / 1e6;
        res.rssKB = Number(f[1]);
        res.code = Number(f[2]);
        res.realStartMs = Number(BigInt(f[3]) / 1000n) / 1000;
        res.realEndMs = Number(BigInt(f[4]) / 1000n) / 1000;
      }
    } else {
      let c = cmd,
        a = args;
      if (ns) [c, a] = ['unshare', ['-m', 'sh', '-c', NS_SCRIPT, c, ...a]];
      const rssFile = path.join(TMP, 'io.rss');
      if (TIME) [c, a] = [TIME, ['-f', '%M', '-o', rssFile, c, ...a]];
      const r0 = Date.now();
      const t0 = nowMs();
      const r = spawnSync(c, a, { env: ENV, stdio: ['ignore', outFd, errFd], timeout: 120_000 });
      res.ms = nowMs() - t0;
      res.realStartMs = r0;
      res.realEndMs = r0 + res.ms;
      res.code = r.status ?? -1;
      if (TIME) {
        try {
          res.rssKB = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        } catch {
          // no figure
        }
      }
    }
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  }
  res.out = fs.readFileSync(outFile, 'utf8');
  res.err = fs.readFileSync(errFile, 'utf8');
  return res;
}

/** The same, asynchronously (for the parallel lifecycles): resolves to the exit code. */
function runAsync(cmd, args, { ns = false, errFile }) {
  return new Promise((resolve) => {
    const fd = fs.openSync(errFile, 'a');
    let c = cmd,
      a = args;
    if (HELPER) [c, a] = [HELPER, [...(ns ? ['--ns'] : []), '--', cmd, ...args]];
    else if (ns) [c, a] = ['unshare', ['-m', 'sh', '-c', NS_SCRIPT, cmd, ...args]];
    const p = spawn(c, a, { env: ENV, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    p.on('error', (e) => {
      fs.appendFileSync(errFile, `spawn: ${e.message}\n`);
      resolve(-1);
    });
    p.on('exit', (code, sig) => resolve(code ?? 128 + (os.constants.signals[sig] ?? 0)));
  });
}

// ---------------------------------------------------------------------------------------------
// Runtimes, bundles, processes

const RUNTIMES = [
  { name: 'skiff', cmd: SKIFF, global: [] },
  { name: 'skiff-node', cmd: SKIFF_NODE, global: [] },
  { name: 'runc', cmd: RUNC, global: [] },
  { name: 'crun', cmd: CRUN, global: ['--cgroup-manager=cgroupfs'], ns: HYBRID },
].filter((r) => r.cmd);
for (const rt of RUNTIMES) {
  rt.root = path.join(TMP, 'state', rt.name);
  fs.mkdirSync(rt.root, { recursive: true });
  rt.argv = (args) => [...rt.global, '--root', rt.root, ...args];
  rt.call = (args) => measure(rt.cmd, rt.argv(args), { ns: rt.ns });
}
const R = Object.fromEntries(RUNTIMES.map((r) => [r.name, r]));
if (!R.runc) console.error('bench: runc not found: its column stays empty');
if (!R.crun) console.error('bench: crun not found: its column stays empty');

let specTemplate;
/** skiff's own default config (`skiff spec`, runc's defaults) made to run `args` non-interactively. */
function baseConfig(args, cgroupsPath) {
  if (!specTemplate) {
    const d = fs.mkdtempSync(path.join(TMP, 'spec-'));
    const r = spawnSync(SKIFF, ['spec', '--bundle', d], { env: ENV, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`skiff spec: ${r.stderr}`);
    specTemplate = fs.readFileSync(path.join(d, 'config.json'), 'utf8');
    fs.rmSync(d, { recursive: true, force: true });
  }
  const c = JSON.parse(specTemplate);
  // crun 1.8 refuses an ociVersion newer than it knows ("unknown version specified"; skiff spec
  // writes 1.3.0): every runtime gets the same bundle, declared as 1.0.2 (runc's defaults fit it).
  c.ociVersion = '1.0.2';
  c.process.terminal = false;
  c.process.args = args;
  c.root = { path: ROOTFS, readonly: true };
  c.hostname = 'bench';
  delete c.linux.resources;
  c.linux.cgroupsPath = cgroupsPath;
  // `skiff spec` (like runc's) adds a cgroup namespace only on cgroup v2 hosts: the bench always has one.
  if (!c.linux.namespaces.some((n) => n.type === 'cgroup')) c.linux.namespaces.push({ type: 'cgroup' });
  return c;
}

const SLEEP = ['/bin/sleep', '3600'];
const TRUE = ['/bin/true'];

/** One bundle per container: each has its own cgroup, /skiff-bench-<pid>/<id>. */
function bundle(id, args) {
  const dir = path.join(TMP, 'bundles', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(baseConfig(args, `${CG_PREFIX}/${id}`)));
  return dir;
}

const containerPids = new Set();

function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}
const alive = (pid) => pid > 0 && ![undefined, 'Z', 'X'].includes(procState(pid));

function waitExit(pid, ms = 10_000) {
  const until = nowMs() + ms;
  while (alive(pid)) {
    if (nowMs() > until) return false;
    sleepMs(0.2);
  }
  return true;
}

async function waitExitAsync(pid, ms = 30_000) {
  const until = nowMs() + ms;
  while (alive(pid)) {
    if (nowMs() > until) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

function vmRssKB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function forceDelete(rt, id) {
  measure(rt.cmd, rt.argv(['delete', '--force', id]), { ns: rt.ns });
}

function cgroupDirsOf(id) {
  return CGROUP_MOUNTS.map((m) => path.join(m.dir, CG_PREFIX, id)).filter((d) => fs.existsSync(d));
}

// ---------------------------------------------------------------------------------------------
// Samples

const samples = {}; // samples[row][runtime] = [ms]
const rss = {}; // rss[row][runtime] = [KiB]
const failures = {}; // failures[row][runtime] = [messages]
const initRss = {}; // runtime -> [KiB]
const leftovers = []; // what a step left behind
const timeline = []; // per debug create: [{ step, at, dur }]

function push(table, row, rt, v) {
  ((table[row] ??= {})[rt] ??= []).push(v);
}

function record(row, rtName, r) {
  if (r.code !== 0) {
    push(failures, row, rtName, `exit ${r.code}: ${(r.err || r.out).trim().split('\n').slice(-1)[0] ?? ''}`);
    return false;
  }
  push(samples, row, rtName, r.ms);
  if (Number.isFinite(r.rssKB)) push(rss, row, rtName, r.rssKB);
  return true;
}

function rotated(i) {
  return RUNTIMES.map((_, k) => RUNTIMES[(k + i) % RUNTIMES.length]);
}

// ---------------------------------------------------------------------------------------------
// The rows

// `skiff exec --help` exits 0 once exec exists. (Before that, commander would print the
// program's help and exit 0 as well: so the help must be exec's own.)
const EXEC = (() => {
  const r = spawnSync(SKIFF, ['exec', '--help'], { env: ENV, encoding: 'utf8' });
  return r.status === 0 && /Usage: skiff exec\b/.test(r.stdout);
})();

/** create, state, start, [exec], kill (running), delete (stopped): each call measured alone. */
function singles(rt, i) {
  const id = `${rt.name}-s${i}`;
  const b = bundle(id, SLEEP);
  try {
    if (!record('create', rt.name, rt.call(['create', '--bundle', b, id]))) return;
    const st = rt.call(['state', id]);
    if (!record('state', rt.name, st)) return;
    const pid = JSON.parse(st.out).pid;
    containerPids.add(pid);
    const kb = vmRssKB(pid);
    if (Number.isFinite(kb)) push(initRss, 'created', rt.name, kb);
    if (!record('start', rt.name, rt.call(['start', id]))) return;
    if (EXEC) record('exec', rt.name, rt.call(['exec', id, '/bin/true']));
    if (!record('kill', rt.name, rt.call(['kill', id, 'KILL']))) return;
    if (!waitExit(pid)) push(failures, 'kill', rt.name, `init ${pid} still alive 10 s after kill`);
    record('delete', rt.name, rt.call(['delete', id]));
  } finally {
    if (fs.existsSync(path.join(rt.root, id))) forceDelete(rt, id);
  }
}

/** create + start + wait for /bin/true to exit + delete: the sum of the calls and the wait. */
function lifecycle(rt, i) {
  const id = `${rt.name}-l${i}`;
  const b = bundle(id, TRUE);
  const pidFile = path.join(TMP, 'pids', id);
  try {
    const c = rt.call(['create', '--bundle', b, '--pid-file', pidFile, id]);
    if (c.code !== 0) return void push(failures, 'lifecycle', rt.name, `create: ${c.err.trim()}`);
    const pid = readPid(pidFile);
    containerPids.add(pid);
    const s = rt.call(['start', id]);
    if (s.code !== 0) return void push(failures, 'lifecycle', rt.name, `start: ${s.err.trim()}`);
    const t0 = nowMs();
    if (!waitExit(pid)) return void push(failures, 'lifecycle', rt.name, `init ${pid} did not exit`);
    const wait = nowMs() - t0;
    const d = rt.call(['delete', id]);
    if (d.code !== 0) return void push(failures, 'lifecycle', rt.name, `delete: ${d.err.trim()}`);
    push(samples, 'lifecycle', rt.name, c.ms + s.ms + wait + d.ms);
    push(rss, 'lifecycle', rt.name, Math.max(c.rssKB, s.rssKB, d.rssKB));
  } finally {
    if (fs.existsSync(path.join(rt.root, id))) forceDelete(rt, id);
  }
}

/** `run` of /bin/true in the foreground: one call, the whole lifecycle. */
function runOnce(rt, id, row = 'run') {
  const b = bundle(id, TRUE);
  const r = rt.call(['run', '--bundle', b, id]);
  const ok = record(row, rt.name, r);
  if (fs.existsSync(path.join(rt.root, id))) {
    leftovers.push(`${rt.name} run ${id}: state left after run`);
    forceDelete(rt, id);
  }
  return ok ? r.ms : NaN;
}

/** skiff --debug --log F create: the timeline of create, step by step. */
function debugCreate(i) {
  const rt = R.skiff;
  const id = `skiff-d${i}`;
  const b = bundle(id, SLEEP);
  const log = path.join(TMP, 'logs', `${id}.log`);
  try {
    const r = measure(rt.cmd, ['--root', rt.root, '--debug', '--log', log, 'create', '--bundle', b, id]);
    if (!record('create --debug', 'skiff', r)) return;
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    const steps = [];
    let lo = -Infinity,
      hi = Infinity;
    for (const l of lines) {
      const m = /time="([^"]+)".*?msg="timing: (.*) at ([\d.]+) ms"/.exec(l);
      if (!m) continue;
      const iso = Date.parse(m[1]);
      const at = Number(m[3]);
      // The line's wall-clock time (ms resolution) minus its offset bounds the timeline's origin.
      if (Number.isFinite(iso)) {
        lo = Math.max(lo, iso - at);
        hi = Math.min(hi, iso + 1 - at);
      }
      steps.push({ step: m[2], at });
    }
    if (!steps.length) return void push(failures, 'create --debug', 'skiff', 'no "timing:" lines in the --log file');
    const origin = Number.isFinite(lo) ? (lo <= hi ? (lo + hi) / 2 : lo) : NaN;
    const out = [
      { step: 'engine start + loading the CLI, until its log module runs (origin of `at`)', at: 0, dur: origin - r.realStartMs },
    ];
    let prev = 0;
    for (const s of steps) {
      out.push({ step: s.step, at: s.at, dur: s.at - prev });
      prev = s.at;
    }
    out.push({ step: 'process exit (after the last step)', at: NaN, dur: r.realEndMs - (origin + prev) });
    out.push({ step: 'total (fork to exit)', at: NaN, dur: r.ms });
    timeline.push(out);
  } finally {
    forceDelete(rt, id);
  }
}

/** 20 lifecycles at once, each create → start → wait → delete; wall time, failures, leftovers. */
async function parallel(rt, round) {
  const ids = Array.from({ length: PARALLEL.n }, (_, k) => `${rt.name}-p${round}-${k}`);
  const pids = [];
  const errs = [];
  const one = async (id) => {
    const b = bundle(id, TRUE);
    const pidFile = path.join(TMP, 'pids', id);
    const errFile = path.join(TMP, 'logs', `${id}.err`);
    const call = (args) => runAsync(rt.cmd, rt.argv(args), { ns: rt.ns, errFile });
    if ((await call(['create', '--bundle', b, '--pid-file', pidFile, id])) !== 0) throw new Error('create failed');
    const pid = readPid(pidFile);
    pids.push(pid);
    containerPids.add(pid);
    if ((await call(['start', id])) !== 0) throw new Error('start failed');
    if (!(await waitExitAsync(pid))) throw new Error('init did not exit');
    if ((await call(['delete', id])) !== 0) throw new Error('delete failed');
  };
  const t0 = nowMs();
  const results = await Promise.allSettled(ids.map(one));
  const wall = nowMs() - t0;
  results.forEach((r, k) => {
    if (r.status === 'rejected') {
      let detail = '';
      try {
        detail =
          fs
            .readFileSync(path.join(TMP, 'logs', `${ids[k]}.err`), 'utf8')
            .trim()
            .split('\n')
            .slice(-1)[0] ?? '';
      } catch {
        // none
      }
      errs.push(`${ids[k]}: ${r.reason.message}${detail ? ` (${detail})` : ''}`);
    }
  });
  const left = [];
  for (const id of ids) {
    if (fs.existsSync(path.join(rt.root, id))) left.push(`state ${id}`);
    for (const d of cgroupDirsOf(id)) left.push(`cgroup ${d}`);
  }
  for (const pid of pids) if (alive(pid)) left.push(`process ${pid}`);
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n'))
    if (ids.some((id) => m.includes(path.join(TMP, 'bundles', id) + ' ') || m.includes(path.join(TMP, 'bundles', id) + '/')))
      left.push(`mount ${m.split(' ')[4]}`);
  // Clean what was left, so the next round starts from nothing.
  for (const id of ids) if (fs.existsSync(path.join(rt.root, id))) forceDelete(rt, id);
  for (const id of ids) for (const d of cgroupDirsOf(id)) rmTree(d);
  return { wall, failed: errs.length, errs, left };
}

// ---------------------------------------------------------------------------------------------
// Clean-up

function rmTree(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // busy: reported by the final check
  }
}

let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const rt of RUNTIMES) {
    let ids = [];
    try {
      ids = fs.readdirSync(rt.root);
    } catch {
      // none
    }
    for (const id of ids) forceDelete(rt, id);
  }
  // A container init that survived its runtime's delete --force: only pids this run created,
  // and only while they are still in a cgroup under this run's prefix.
  for (const pid of containerPids) {
    if (!alive(pid)) continue;
    let cg = '';
    try {
      cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    if (cg.includes(`${CG_PREFIX}/`)) {
      try {
        process.kill(pid, 'SIGKILL');
        waitExit(pid, 2000);
      } catch {
        // gone
      }
    }
  }
  for (const m of CGROUP_MOUNTS) rmTree(path.join(m.dir, CG_PREFIX));
  fs.rmSync(TMP, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    console.error(`\nbench: ${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function sorted(a) {
  return [...a].sort((x, y) => x - y);
}
function quantile(a, q) {
  const s = sorted(a);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (a) => quantile(a ?? [], 0.5);
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '–');
function cell(a, d = 1) {
  if (!a?.length) return '–';
  const m = median(a);
  const noisy = a.length >= 5 && (quantile(a, 0.75) - quantile(a, 0.25)) / m > 0.25;
  return `${fmt(m, d)} (${fmt(Math.min(...a), d)}–${fmt(Math.max(...a), d)})${noisy ? ' †' : ''}`;
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { env: ENV, encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim().split('\n')[0] ?? '?';
}

function progress(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = nowMs();
  const load0 = os.loadavg();
  progress(
    `${QUICK ? 'quick run' : 'full run'}: ${REPS} repetitions per row; runtimes ${RUNTIMES.map((r) => r.name).join(', ')}; temp ${TMP}`,
  );

  // Does crun work here, the way this run calls it?
  if (R.crun) {
    const id = 'crun-check';
    const r = R.crun.call(['run', '--bundle', bundle(id, TRUE), id]);
    if (r.code !== 0) {
      console.error(
        `bench: crun cannot run /bin/true here${HYBRID ? ' (even in a private mount namespace)' : ''}: ${r.err.trim()}; dropping crun`,
      );
      forceDelete(R.crun, id);
      RUNTIMES.splice(RUNTIMES.indexOf(R.crun), 1);
      delete R.crun;
    }
  }
  for (const rt of [R.skiff, R['skiff-node']]) {
    const id = `${rt.name}-check`;
    const r = rt.call(['run', '--bundle', bundle(id, TRUE), id]);
    if (r.code !== 0) die(`${rt.cmd} cannot run /bin/true: ${r.err.trim()}`);
  }

  // Calibration: the helper's own fork+exec floor and the cost of crun's mount-namespace wrapper.
  progress('calibrating (fork+exec of /bin/true, plain and in the mount-namespace wrapper)');
  for (let i = 0; i < CALIBRATION; i++) {
    record('/bin/true', 'plain', measure('/bin/true', []));
    if (HYBRID) record('/bin/true', 'ns', measure('/bin/true', [], { ns: true }));
  }
  const nsCost = HYBRID ? Math.max(0, median(samples['/bin/true'].ns) - median(samples['/bin/true'].plain)) : 0;
  progress(`wrapper cost ${fmt(nsCost, 2)} ms (subtracted from crun's figures)`);

  for (let i = 0; i < REPS; i++) {
    progress(`repetition ${i + 1}/${REPS}`);
    record('node -e 0', 'node', measure(NODE, ['-e', '0']));
    for (const rt of rotated(i)) record('--version', rt.name, rt.call(['--version']));
    for (const rt of rotated(i)) singles(rt, i);
    for (const rt of rotated(i)) lifecycle(rt, i);
    for (const rt of rotated(i)) runOnce(rt, `${rt.name}-r${i}`);
    debugCreate(i);
  }

  progress(
    `${IN_A_ROW.rounds * IN_A_ROW.batch} containers in a row per runtime (${IN_A_ROW.rounds} rounds of ${IN_A_ROW.batch}, interleaved)`,
  );
  const row100 = {};
  for (let round = 0; round < IN_A_ROW.rounds; round++) {
    for (const rt of rotated(round)) {
      const acc = (row100[rt.name] ??= { total: 0, ok: 0, failed: 0, per: [] });
      for (let k = 0; k < IN_A_ROW.batch; k++) {
        const ms = runOnce(rt, `${rt.name}-h${round}-${k}`, 'run (in a row)');
        if (Number.isFinite(ms)) {
          acc.total += ms;
          acc.ok++;
          acc.per.push(ms);
        } else acc.failed++;
      }
    }
  }

  progress(`${PARALLEL.n} lifecycles in parallel per runtime (${PARALLEL.rounds} round${PARALLEL.rounds > 1 ? 's' : ''})`);
  const par = {};
  for (let round = 0; round < PARALLEL.rounds; round++) {
    for (const rt of rotated(round)) {
      const r = await parallel(rt, round);
      const acc = (par[rt.name] ??= { walls: [], failed: 0, errs: [], left: [] });
      acc.walls.push(r.wall);
      acc.failed += r.failed;
      acc.errs.push(...r.errs);
      acc.left.push(...r.left);
    }
  }

  const load1 = os.loadavg();
  const elapsed = (nowMs() - started) / 1000;

  // crun figures net of the wrapper
  const net = (row, name) => {
    const a = samples[row]?.[name];
    if (!a) return undefined;
    return name === 'crun' ? a.map((v) => Math.max(0, v - nsCost)) : a;
  };
  for (const row of Object.keys(samples)) if (samples[row].crun) samples[row].crun = net(row, 'crun');
  if (row100.crun) {
    row100.crun.per = row100.crun.per.map((v) => Math.max(0, v - nsCost));
    row100.crun.total = row100.crun.per.reduce((s, v) => s + v, 0);
  }

  // -------------------------------------------------------------------------------------------
  // Report
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const skiffVersion = firstLine(SKIFF, ['--version']);
  const gitRev = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim() || '?';
  const runcVersion = R.runc ? firstLine(RUNC, ['--version']) : 'not installed';
  const crunVersion = R.crun ? firstLine(CRUN, ['--version']) : 'not installed';
  const cpu = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?').trim();
  const floor = median(samples['node -e 0']?.node);

  const md = [];
  md.push(`# skiff benchmark: skiff (executable and on Node) vs runc vs crun`);
  md.push('');
  md.push(`- date: ${date}${QUICK ? ' (--quick: a smoke run, too few samples for decisions)' : ''}`);
  md.push(
    `- kernel ${os.release()}, ${os.cpus().length} CPUs (${cpu}); load average ${load0.map((v) => v.toFixed(2)).join(' ')} at the start, ${load1.map((v) => v.toFixed(2)).join(' ')} at the end; run took ${elapsed.toFixed(0)} s`,
  );
  if (Math.max(load0[0], load1[0]) > os.cpus().length)
    md.push(
      `- **warning: the machine was busy** (1-minute load average above its ${os.cpus().length} CPUs): absolute figures are inflated and spread; the runtimes were interleaved, so the ratios suffer less. Re-run on a quiet machine for absolute numbers.`,
    );
  md.push(`- node ${process.version} (\`${NODE}\`); ${skiffVersion.replace(/\n/g, ' ')}, git ${gitRev}; ${runcVersion}; ${crunVersion}`);
  md.push(
    `- columns: **skiff** is \`build/skiff\`, what callers configure (a static launcher that execs \`build/Release/skiff-engine\`, the Bun-compiled single-file executable of the CLI); **skiff on Node** is \`bin/skiff\`, the development entry point (Node.js loading dist/skiff.js). Ratios and targets are the executable's; Node/runc is skiff on Node against runc`,
  );
  md.push(
    `- ${REPS} repetitions per row, runtimes interleaved (${RUNTIMES.map((r) => r.name).join(', ')}, rotating the first one); \`NODE_EXTRA_CA_CERTS\` removed from every measured process's environment`,
  );
  md.push(
    `- method: ${helperNote}; fork+exec of /bin/true costs ${fmt(median(samples['/bin/true']?.plain), 2)} ms here (a floor under every figure)`,
  );
  if (R.crun && HYBRID)
    md.push(
      `- **crun**: crun 1.8 refuses this hybrid cgroup host (v1 controllers + cgroup2 at /sys/fs/cgroup/unified), so every crun call runs in a private mount namespace where /sys/fs/cgroup/unified is covered by a tmpfs (crun --cgroup-manager=cgroupfs, v1 controllers only). That wrapper costs ${fmt(nsCost, 2)} ms per call (median of ${CALIBRATION} runs of /bin/true with and without it), already **subtracted** from every crun figure below.`,
    );
  md.push(
    `- bundles: busybox rootfs (build/rootfs, read-only), 6 namespaces (pid, net, ipc, uts, mount, cgroup), the default mounts of \`test/helpers/skiff.ts\` \`baseConfig()\`, cgroupsPath \`/skiff-bench-<pid>/<id>\`; /bin/sleep for the single commands, /bin/true for lifecycles`,
  );
  md.push(
    `- cells: median (min–max) in ms; † = noisy (interquartile range over 25 % of the median: other work was running on this machine)`,
  );
  md.push('');

  const names = RUNTIMES.map((r) => r.name);
  const has = (n) => names.includes(n);
  const COLS = ['skiff', 'skiff-node', 'runc', 'crun'];
  const HEAD = 'skiff | skiff on Node | runc | crun';
  const cells = (f) => COLS.map((n) => (has(n) ? f(n) : 'n/a')).join(' | ');
  md.push(`## Wall time per call (ms)`);
  md.push('');
  md.push(`| command | ${HEAD} | skiff/runc | skiff/crun | Node/runc | skiff/\`node -e 0\` |`);
  md.push(`|---|---|---|---|---|---|---|---|---|`);
  md.push(`| \`node -e 0\` (Node's start: the floor of skiff on Node) | | ${cell(samples['node -e 0']?.node)} | | | | | | |`);
  const rowsShown = [
    ['--version', '`--version` (process start)'],
    ['create', 'create'],
    ['start', 'start'],
    ['state', 'state (created)'],
    ...(EXEC ? [['exec', 'exec /bin/true (running)']] : []),
    ['kill', 'kill KILL (running)'],
    ['delete', 'delete (stopped)'],
    ['lifecycle', 'create+start+wait+delete of /bin/true'],
    ['run', '`run` of /bin/true (foreground)'],
  ];
  for (const [row, label] of rowsShown) {
    const s = samples[row] ?? {};
    const m = (n) => median(s[n]);
    md.push(
      `| ${label} | ${cells((n) => cell(s[n]))} | ${ratio(m('skiff'), m('runc'))} | ${ratio(m('skiff'), m('crun'))} | ${ratio(m('skiff-node'), m('runc'))} | ${ratio(m('skiff'), floor)} |`,
    );
  }
  {
    const s = samples['create --debug'] ?? {};
    md.push(`| create with \`--debug --log\` (skiff only) | ${cell(s.skiff)} | | | | – | – | – | ${ratio(median(s.skiff), floor)} |`);
  }
  if (!EXEC) md.push(`| exec | not implemented in skiff yet | | | | | | | |`);
  const n100 = IN_A_ROW.rounds * IN_A_ROW.batch;
  const tot = (n) => (row100[n] ? row100[n].total / 1000 : NaN);
  const totCell = (n) =>
    row100[n]
      ? `${fmt(tot(n), 2)} s (median ${fmt(median(row100[n].per))} ms/run${row100[n].failed ? `, **${row100[n].failed} failed**` : ''})`
      : 'n/a';
  md.push(
    `| ${n100} × \`run\` of /bin/true in a row (total) | ${cells(totCell)} | ${ratio(tot('skiff'), tot('runc'))} | ${ratio(tot('skiff'), tot('crun'))} | ${ratio(tot('skiff-node'), tot('runc'))} | |`,
  );
  const parCell = (n) => {
    const p = par[n];
    if (!p) return 'n/a';
    return `${cell(
      p.walls.map((v) => v / 1000),
      2,
    )} s, ${p.failed} failed, ${p.left.length} left over`;
  };
  const pm = (n) => median(par[n]?.walls);
  md.push(
    `| ${PARALLEL.n} lifecycles in parallel (wall, ${PARALLEL.rounds} round${PARALLEL.rounds > 1 ? 's' : ''}) | ${cells(parCell)} | ${ratio(pm('skiff'), pm('runc'))} | ${ratio(pm('skiff'), pm('crun'))} | ${ratio(pm('skiff-node'), pm('runc'))} | |`,
  );
  md.push('');
  if (n100 !== 100) md.push(`(--quick: ${n100} containers in a row instead of 100.)\n`);
  md.push(
    `In a row: ${IN_A_ROW.rounds} rounds of ${IN_A_ROW.batch} consecutive \`run\`s per runtime, interleaved by round; the total is the sum of the ${n100} calls. In parallel: Node starts ${PARALLEL.n} create → start → wait → delete chains at once (each call through the same helper) and waits for all; crun's wrapper is not subtracted there (≈ ${fmt(nsCost, 1)} ms per call).`,
  );
  md.push('');

  const mib = (a) => a?.map((v) => v / 1024);
  md.push(`## Peak RSS of each call (MiB, wait4 ru_maxrss)`);
  md.push('');
  if (!Object.keys(rss).length) md.push('Not measured (no gcc and no /usr/bin/time).');
  else {
    md.push(`| command | ${HEAD} | skiff/runc | skiff/crun |`);
    md.push(`|---|---|---|---|---|---|---|`);
    md.push(`| \`node -e 0\` | | ${cell(mib(rss['node -e 0']?.node))} | | | | |`);
    for (const [row, label] of rowsShown) {
      const s = rss[row] ?? {};
      md.push(
        `| ${label} | ${cells((n) => cell(mib(s[n])))} | ${ratio(median(s.skiff), median(s.runc))} | ${ratio(median(s.skiff), median(s.crun))} |`,
      );
    }
    {
      const s = rss['create --debug'] ?? {};
      md.push(`| create with \`--debug --log\` (skiff only) | ${cell(mib(s.skiff))} | | | | | |`);
    }
    md.push('');
    md.push(
      `ru_maxrss is the largest resident set over the images the call exec'd (skiff: the launcher, then skiff-engine; skiff on Node: /usr/bin/env, then node; crun: the helper's fork, then crun) and the children it reaped itself (\`run\` reaps the container's process). Lifecycle: the largest of its three calls. A container init that outlives the call (create) is not in it: see below.`,
    );
  }
  md.push('');
  md.push(`## RSS of a container's init while \`created\` (VmRSS, MiB)`);
  md.push('');
  md.push(`| | ${HEAD} | skiff/runc | skiff/crun |`);
  md.push(`|---|---|---|---|---|---|---|`);
  const ir = (n) => initRss.created?.[n]?.map((v) => v / 1024);
  md.push(
    `| init while created | ${cells((n) => cell(ir(n), 2))} | ${ratio(median(ir('skiff')), median(ir('runc')))} | ${ratio(median(ir('skiff')), median(ir('crun')))} |`,
  );
  md.push('');
  md.push(
    `The process waiting for \`start\`: skiff-init (from a sealed memfd; the same for both skiff columns), \`runc init\`, crun's own child.`,
  );
  md.push('');

  // Timeline of create
  md.push(`## Where skiff create's time goes (\`build/skiff --debug\` timeline, ${timeline.length} runs)`);
  md.push('');
  if (!timeline.length) md.push('No timeline (the --debug create failed, or wrote no `timing:` lines).');
  else {
    const keys = [];
    const byKey = new Map();
    for (const run of timeline) {
      const seen = new Map();
      for (const s of run) {
        const n = (seen.get(s.step) ?? 0) + 1;
        seen.set(s.step, n);
        const k = n > 1 ? `${s.step} (#${n})` : s.step;
        if (!byKey.has(k)) {
          byKey.set(k, { at: [], dur: [] });
          keys.push(k);
        }
        byKey.get(k).at.push(s.at);
        byKey.get(k).dur.push(s.dur);
      }
    }
    md.push(
      `| step (each ends when the line is logged) | at (ms since the bundle began to run), median | duration of the step (ms), median (min–max) | share of the total |`,
    );
    md.push(`|---|---|---|---|`);
    const total = median(byKey.get('total (fork to exit)')?.dur);
    for (const k of keys) {
      const v = byKey.get(k);
      const isTotal = k.startsWith('total');
      const at = v.at.filter(Number.isFinite);
      md.push(
        `| ${isTotal ? `**${k}**` : k} | ${at.length ? fmt(median(at), 1) : ''} | ${cell(v.dur)} | ${isTotal ? '' : `${fmt((100 * median(v.dur)) / total, 0)} %`} |`,
      );
    }
    md.push('');
    md.push(
      `The first step runs from fork() (the helper) to the moment the top level of skiff's log module runs (the origin of \`at\`), estimated from the log lines' wall-clock time (ms resolution): the launcher and its exec of skiff-engine, the engine's own start, then loading the bundled CLI and running its top level up to that module (the bundle may evaluate other modules before it). "arguments parsed" is the rest of the top level, the CLI's set-up and commander's parse. "process exit" is the rest, from the last step to wait4(). For comparison \`skiff --version\` is ${fmt(median(samples['--version']?.skiff))} ms (skiff on Node ${fmt(median(samples['--version']?.['skiff-node']))} ms, \`node -e 0\` ${fmt(floor)} ms); the timeline's medians need not add up to the total's median.`,
    );
  }
  md.push('');

  // Targets of issue 13
  md.push(`## Targets of issue 13 (skiff = build/skiff)`);
  md.push('');
  const mark = (ok) => (ok === undefined ? '?' : ok ? '**met**' : '**not met**');
  const fin = (...v) => v.every(Number.isFinite);
  const sm = (row, n = 'skiff') => median(samples[row]?.[n]);
  const x = (a, b) => fmt(a / b, 2);
  md.push(`| target | figure | |`);
  md.push(`|---|---|---|`);
  const vsRunc = (row, label, limit) => {
    const a = sm(row),
      b = sm(row, 'runc');
    md.push(
      `| ${label} ≤ ${limit.toFixed(1)} × runc | skiff ${fmt(a)} ms = ${x(a, b)} × runc ${fmt(b)} ms | ${mark(fin(a, b) ? a <= limit * b : undefined)} |`,
    );
  };
  for (const row of ['state', 'kill', 'start', 'delete']) vsRunc(row, row, 1.5);
  vsRunc('create', 'create', 1.0);
  if (EXEC) vsRunc('exec', 'exec /bin/true', 1.0);
  else md.push(`| exec /bin/true ≤ 1.0 × runc | exec not implemented | ${mark(undefined)} |`);
  vsRunc('run', '`run` of /bin/true', 1.0);
  {
    const a = sm('lifecycle'),
      b = sm('lifecycle', 'runc'),
      c = sm('lifecycle', 'crun');
    md.push(
      `| create+start+wait+delete ≤ 1.0 × runc and ≤ 2 × crun | skiff ${fmt(a)} ms = ${x(a, b)} × runc ${fmt(b)} ms, ${x(a, c)} × crun ${fmt(c)} ms | ${mark(fin(a, b, c) ? a <= b && a <= 2 * c : undefined)} |`,
    );
  }
  md.push(
    `| ${n100} \`run\`s in a row faster than runc | skiff ${fmt(tot('skiff'), 2)} s, runc ${fmt(tot('runc'), 2)} s | ${mark(fin(tot('skiff'), tot('runc')) ? tot('skiff') < tot('runc') : undefined)} |`,
  );
  {
    const v = median(mib(rss.state?.skiff));
    md.push(
      `| peak RSS of one \`state\` call ≤ 32 MiB | skiff ${fmt(v)} MiB (skiff on Node ${fmt(median(mib(rss.state?.['skiff-node'])))}, runc ${fmt(median(mib(rss.state?.runc)))}, crun ${fmt(median(mib(rss.state?.crun)))}) | ${mark(fin(v) ? v <= 32 : undefined)} |`,
    );
  }
  {
    const v = median(ir('skiff'));
    md.push(
      `| a \`created\` container's init ≤ 1 MiB RSS | skiff ${fmt(v, 2)} MiB (runc ${fmt(median(ir('runc')), 2)}, crun ${fmt(median(ir('crun')), 2)}) | ${mark(fin(v) ? v <= 1 : undefined)} |`,
    );
  }
  {
    // clone → ready: skiff's "launch plan built" → "container init ready" step.
    let kernel = NaN;
    if (timeline.length) {
      const d = timeline
        .map((run) => {
          const a = run.find((s) => s.step === 'launch plan built');
          const b = run.find((s) => s.step === 'container init ready');
          return a && b ? b.at - a.at : NaN;
        })
        .filter(Number.isFinite);
      kernel = median(d);
    }
    const crunKernel = sm('create', 'crun') - sm('--version', 'crun');
    md.push(
      `| create's kernel side (skiff: "launch plan built" → "container init ready") ≤ crun create − crun's own start (\`crun --version\`) | skiff ${fmt(kernel)} ms; crun ${fmt(sm('create', 'crun'))} − ${fmt(sm('--version', 'crun'))} = ${fmt(crunKernel)} ms | ${mark(fin(kernel, crunKernel) ? kernel <= crunKernel : undefined)} |`,
    );
  }
  {
    const p = par.skiff;
    md.push(
      `| ${PARALLEL.n} parallel lifecycles: no failure, no leftover | skiff: ${p ? `${p.failed} failed, ${p.left.length} left over in ${PARALLEL.rounds} round(s)` : '–'} | ${mark(p ? p.failed === 0 && p.left.length === 0 : undefined)} |`,
    );
  }
  md.push('');

  // Failures and leftovers
  const fl = [];
  for (const [row, byRt] of Object.entries(failures))
    for (const [n, msgs] of Object.entries(byRt))
      fl.push(`- ${n} ${row}: ${msgs.length} failed (${[...new Set(msgs)].slice(0, 3).join('; ')})`);
  for (const [n, p] of Object.entries(par)) {
    if (p.errs.length) fl.push(`- ${n} parallel: ${p.errs.slice(0, 3).join('; ')}`);
    if (p.left.length) fl.push(`- ${n} parallel left over: ${p.left.slice(0, 5).join('; ')}`);
  }
  for (const l of leftovers) fl.push(`- ${l}`);
  md.push(`## Failures and leftovers`);
  md.push('');
  md.push(fl.length ? fl.join('\n') : 'None: every call succeeded and nothing was left behind.');
  md.push('');
  md.push(`![median wall time per call](latest.svg)`);
  md.push('');

  const text = md.join('\n');
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'latest.md'), text);

  // Chart
  const chartRows = [
    ['--version', '--version'],
    ['create', 'create'],
    ['start', 'start'],
    ['state', 'state'],
    ...(EXEC ? [['exec', 'exec']] : []),
    ['kill', 'kill'],
    ['delete', 'delete'],
    ['lifecycle', 'lifecycle'],
    ['run', 'run'],
  ];
  const series = [
    { key: 'skiff', name: 'skiff', color: '#2b6cb0' },
    { key: 'skiff-node', name: 'skiff on Node', color: '#90bde6' },
    { key: 'runc', name: 'runc', color: '#dd8452' },
    { key: 'crun', name: 'crun', color: '#55a868' },
  ].filter((s) => has(s.key));
  const groups = [{ label: 'node -e 0', values: [...series.map(() => null), Number.isFinite(floor) ? floor : null] }];
  for (const [row, label] of chartRows)
    groups.push({ label, values: series.map((s) => (samples[row]?.[s.key] ? median(samples[row][s.key]) : null)).concat([null]) });
  const chart = barChart({
    title: 'skiff vs runc vs crun: median wall time per call (ms)',
    subtitle: `${date.slice(0, 10)}, kernel ${os.release()}, node ${process.version}, ${REPS} runs each${QUICK ? ' (--quick)' : ''}; skiff = build/skiff (launcher + Bun engine), skiff on Node = bin/skiff${HYBRID && R.crun ? `; crun in a private mount ns (wrapper cost ${fmt(nsCost, 1)} ms subtracted)` : ''}`,
    yLabel: 'ms (median)',
    groups,
    series: [...series.map(({ name, color }) => ({ name, color })), { name: 'node -e 0', color: '#999999' }],
    floor: Number.isFinite(floor) ? { label: 'node -e 0', value: floor } : undefined,
  });
  fs.writeFileSync(path.join(RESULTS, 'latest.svg'), chart);
  fs.writeFileSync(
    path.join(RESULTS, 'latest.json'),
    JSON.stringify(
      {
        date,
        quick: QUICK,
        reps: REPS,
        wrapperCostMs: nsCost,
        runtimes: Object.fromEntries(RUNTIMES.map((r) => [r.name, r.cmd])),
        samples,
        rss,
        initRss,
        row100,
        parallel: par,
        failures,
        timeline,
      },
      null,
      1,
    ),
  );

  process.stdout.write(text + '\n');
  cleanup();
  // The final check the brief asks for: nothing of ours is left.
  const leftCg = CGROUP_MOUNTS.map((m) => path.join(m.dir, CG_PREFIX)).filter((d) => fs.existsSync(d));
  const leftProcs = [...containerPids].filter(alive);
  if (leftCg.length || leftProcs.length) progress(`WARNING: left behind: ${[...leftCg, ...leftProcs.map((p) => `pid ${p}`)].join(', ')}`);
  progress(`wrote ${path.join(RESULTS, 'latest.md')}, latest.svg, latest.json in ${elapsed.toFixed(0)} s; cleaned up`);
}

main().catch((err) => {
  console.error(err.stack ?? String(err));
  cleanup();
  process.exit(1);
});
