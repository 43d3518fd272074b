// Validation's share of `skiff create` wall time (issue 3: target <= 10 %).
//
//   sudo node bench/validation.mjs [N=200] [RUNS=10]
//
// Needs root and a build (`bash scripts/build.sh`: dist/skiff.js, build/Release, build/rootfs).
// Not part of `npm test`. It measures, for the harness's config (makeBundle) and, when present,
// ../shared/callers/podman-create-config.json:
//   - warm: loadConfig(bundle) (read + parse + schema + MUST rules) N times in this process;
//   - fresh process: loading the validator module (src/spec/validate.ts bundled alone) plus the
//     first loadConfig in a new node process, which is what each `skiff create` pays; median of RUNS;
//   - in create: the interval "arguments parsed" → "config loaded and validated" of a real
//     `skiff --debug create` (the validator as above, plus create's own module initialisation and
//     the debug logging), median of RUNS;
//   - the median wall time of `bin/skiff create` and of `delete` (RUNS each, no --debug,
//     NODE_EXTRA_CA_CERTS removed from the child's environment: it makes node read a CA bundle
//     at start-up, which a runtime's callers do not set);
// and prints validation's share of create (each median / the create median).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildSync } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 200);
const RUNS = Number(process.argv[3] ?? 10);

if (process.getuid?.() !== 0) {
  console.error('bench/validation.mjs: run as root (it creates containers)');
  process.exit(1);
}

// The validator and the test harness, bundled from the sources (the harness finds the repo from
// its own location, so the bundle lives inside the repo).
const lib = path.join(ROOT, 'build/bench/validation-lib.js');
buildSync({
  stdin: {
    contents: [
      "export { loadConfig } from './src/spec/validate';",
      "export { makeBundle, cleanupAll, skiff } from './test/helpers/skiff';",
    ].join('\n'),
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: lib,
  logLevel: 'warning',
});
const { loadConfig, makeBundle, cleanupAll, skiff } = createRequire(import.meta.url)(lib);
// The validator alone, for the fresh-process measurement.
const validateOnly = path.join(ROOT, 'build/bench/validate-only.js');
buildSync({
  entryPoints: [path.join(ROOT, 'src/spec/validate.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: validateOnly,
  logLevel: 'warning',
});

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(2)} ms`);

/** One bin/skiff run through the harness (stdio to files: the container inherits skiff's stdio, so a pipe would not close). */
function skiffRun(args) {
  const t0 = process.hrtime.bigint();
  const r = skiff(args, { env });
  const wall = ms(t0);
  if (r.code !== 0) throw new Error(`skiff ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return wall;
}

function warm(bundleDir) {
  loadConfig(bundleDir); // first call: module already loaded by the require above
  const times = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    loadConfig(bundleDir);
    times.push(ms(t0));
  }
  return { median: median(times), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

/** In a fresh node process: loading the validator module + the first loadConfig (what create pays). */
function coldFresh(bundleDir) {
  const script = `
    const t0 = process.hrtime.bigint();
    const v = require(${JSON.stringify(validateOnly)});
    const t1 = process.hrtime.bigint();
    v.loadConfig(${JSON.stringify(bundleDir)}, { requireProcess: true });
    const t2 = process.hrtime.bigint();
    console.log(JSON.stringify({ load: Number(t1 - t0) / 1e6, first: Number(t2 - t1) / 1e6 }));`;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fresh-process validation: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** "arguments parsed" → "config loaded and validated" in one `skiff --debug create`, then delete. */
function coldInCreate(bundleDir, id) {
  const logFile = path.join(bundleDir, `bench-${id}.log`);
  skiffRun(['--debug', '--log', logFile, '--log-format', 'json', 'create', '--bundle', bundleDir, id]);
  skiffRun(['delete', '--force', id]);
  const at = {};
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean)) {
    const m = /^timing: (.*) at ([\d.]+) ms$/.exec(JSON.parse(line).msg ?? '');
    if (m) at[m[1]] ??= Number(m[2]);
  }
  fs.rmSync(logFile);
  const a = at['arguments parsed'];
  const b = at['config loaded and validated'];
  if (a === undefined || b === undefined) throw new Error(`no timing lines in ${logFile}`);
  return b - a;
}

function podmanBundle() {
  const file = path.resolve(ROOT, '../shared/callers/podman-create-config.json');
  if (!fs.existsSync(file)) return undefined;
  // Podman's config (with its seccomp profile) on the harness's rootfs and cgroup, and a command
  // that exits at once.
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const like = makeBundle();
  doc.root = { path: like.config.root.path, readonly: true };
  doc.process.args = ['/bin/true'];
  doc.process.terminal = false;
  doc.linux.cgroupsPath = like.config.linux.cgroupsPath;
  doc.mounts = (doc.mounts ?? []).filter((m) => m.type !== 'bind'); // podman's binds point into its own storage
  delete doc.hooks;
  fs.writeFileSync(path.join(like.dir, 'config.json'), JSON.stringify(doc, null, 2));
  return { ...like, size: fs.statSync(path.join(like.dir, 'config.json')).size };
}

try {
  const cases = [];
  const harness = makeBundle((c) => (c.process.args = ['/bin/true']));
  cases.push({
    name: 'harness makeBundle config',
    dir: harness.dir,
    id: harness.id,
    size: fs.statSync(path.join(harness.dir, 'config.json')).size,
  });
  const podman = podmanBundle();
  if (podman) cases.push({ name: 'podman create config', dir: podman.dir, id: podman.id, size: podman.size });

  console.log(`validation bench: N=${N} loadConfig calls per config, ${RUNS} create/delete runs (node ${process.version})`);
  for (const c of cases) {
    const w = warm(c.dir);
    const fresh = [];
    for (let i = 0; i < RUNS; i++) fresh.push(coldFresh(c.dir));
    const freshMed = median(fresh.map((f) => f.load + f.first));
    const cold = [];
    const create = [];
    const del = [];
    for (let i = 0; i < RUNS; i++) {
      cold.push(coldInCreate(c.dir, `${c.id}-d${i}`));
      create.push(skiffRun(['create', '--bundle', c.dir, `${c.id}-${i}`]));
      del.push(skiffRun(['delete', '--force', `${c.id}-${i}`]));
    }
    const createMed = median(create);
    const coldMed = median(cold);
    console.log(`\n${c.name} (${c.size} bytes)`);
    console.log(`  loadConfig, warm (in-process):         median ${fmt(w.median)}, mean ${fmt(w.mean)}`);
    console.log(
      `  fresh process: load module + 1st call: median ${fmt(freshMed)} (load ${fmt(median(fresh.map((f) => f.load)))}, first loadConfig ${fmt(median(fresh.map((f) => f.first)))})`,
    );
    console.log(
      `  in create (--debug timing):             median ${fmt(coldMed)} (min ${fmt(Math.min(...cold))}, max ${fmt(Math.max(...cold))})`,
    );
    console.log(
      `  skiff create wall:                     median ${fmt(createMed)} (min ${fmt(Math.min(...create))}, max ${fmt(Math.max(...create))})`,
    );
    console.log(`  skiff delete wall:                     median ${fmt(median(del))}`);
    const pct = (x) => `${((100 * x) / createMed).toFixed(1)} %`;
    console.log(`  share of create: fresh process ${pct(freshMed)}, in create ${pct(coldMed)}, warm ${pct(w.median)}  (target <= 10 %)`);
  }
} finally {
  cleanupAll();
}
