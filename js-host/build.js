'use strict';
/**
 * Builds the Rust core for wasm and stages every task folder so it runs on its own.
 *
 *   node js-host/build.js [task folder name...]
 *
 * With task folder names (`akeyless-auth`...), only those folders are built and staged, for
 * quicker rounds while working on one task; without, all of them.
 *
 * 1. Makes sure the toolchain is there: the `wasm32-unknown-unknown` target and
 *    `wasm-bindgen-cli` at exactly the `wasm-bindgen` version in Cargo.lock (installed with
 *    `cargo install` when missing; `--locked` is tried first and fails on some registries).
 * 2. Per task, `cargo build --release --target wasm32-unknown-unknown` with only that task's
 *    cargo feature (`TASK_FEATURES`), so each task folder's module holds only the code its
 *    task runs and adding a task never slows another. Each feature builds in its own target
 *    directory (`target/tasks/<feature>`), because a cdylib's file name carries no feature
 *    hash: one shared directory would relink every module on every build. The build
 *    machine's paths are remapped (panic locations in dependencies would otherwise ship
 *    absolute paths such as `/root/.cargo/registry/...`) and reference types are off (for
 *    Node 16; see `withoutReferenceTypes`). Then `wasm-bindgen --target nodejs` without the
 *    name and producers sections (smaller, nothing lost at run time).
 * 3. Copies the host and the task's own bindgen output into every `tasks/<name>/`, because
 *    the agent downloads each task folder on its own.
 *
 * `js-host/package.js` reuses these steps to build the `.vsix`.
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const WASM_TARGET = 'wasm32-unknown-unknown';
const CRATE_FILE = 'akeyless_tasks';
const BINDGEN_OUT = path.join(ROOT, 'target', 'bindgen');

/** The cargo feature (Cargo.toml) that holds each task folder's code. */
const TASK_FEATURES = {
  'akeyless-auth': 'auth',
  'akeyless-get-secrets-value-task': 'get-secrets',
  'akeyless-get-dynamic-secret-value-task': 'get-dynamic',
  'akeyless-get-rotated-secret-value-task': 'get-rotated',
  'akeyless-get-ssh-certificate': 'ssh-certificate',
  'akeyless-get-pki-certificate': 'pki-certificate',
};

function run(command, args, options = {}) {
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
}

function output(command, args) {
  try {
    return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function ensureWasmTarget() {
  if (output('rustup', ['target', 'list', '--installed']).split('\n').includes(WASM_TARGET)) return;
  console.log(`Installing the Rust target ${WASM_TARGET}...`);
  run('rustup', ['target', 'add', WASM_TARGET]);
}

/** The `wasm-bindgen` version Cargo.lock resolved; the CLI must match it exactly. */
function lockedBindgenVersion() {
  const lock = fs.readFileSync(path.join(ROOT, 'Cargo.lock'), 'utf8');
  const match = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!match) throw new Error('Cargo.lock has no wasm-bindgen package; run `cargo generate-lockfile`.');
  return match[1];
}

function ensureBindgenCli() {
  const version = lockedBindgenVersion();
  if (output('wasm-bindgen', ['--version']).trim() === `wasm-bindgen ${version}`) return;
  console.log(`Installing wasm-bindgen-cli ${version} (a few minutes, once per machine)...`);
  const install = ['install', 'wasm-bindgen-cli', '--version', `=${version}`, '--force'];
  try {
    run('cargo', [...install, '--locked']);
  } catch {
    console.log('The locked install failed (a dependency missing from this registry); installing unlocked.');
    run('cargo', install);
  }
}

/**
 * RUSTFLAGS for the modules: the build machine's directories in the module's strings replaced
 * by neutral names (the cargo home, where dependencies' sources are, rustup's home, and this
 * checkout), reference types off, and LLVM's inlining threshold raised from opt-level "z"'s
 * near-zero to 25. V8 compiles each wasm function on its first call, at a cost per function:
 * small helpers (an iterator's `next`, a slice split) folded into their callers make a
 * get-secrets run compile 566 functions instead of 679, for 1 % more bytes, which the
 * benchmark shows as 1 to 2 ms less with 1,000 secrets. Any RUSTFLAGS already set are kept.
 */
function moduleRustflags() {
  const cargoHome = process.env.CARGO_HOME || path.join(os.homedir(), '.cargo');
  const rustupHome = process.env.RUSTUP_HOME || path.join(os.homedir(), '.rustup');
  const remaps = [[cargoHome, 'cargo'], [rustupHome, 'rustup'], [ROOT, 'akeyless-tasks']]
    .map(([from, to]) => `--remap-path-prefix=${path.resolve(from)}=${to}`);
  // Node 16 (V8 9.4) has no WebAssembly reference types; see withoutReferenceTypes.
  const inlining = '-C llvm-args=-inline-threshold=25';
  return [process.env.RUSTFLAGS, '-C target-feature=-reference-types', inlining, ...remaps].filter(Boolean).join(' ');
}

/** Reads an unsigned LEB128 number at `at`; returns [value, next offset]. */
function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at];
    at += 1;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function leb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

/**
 * The module with `reference-types` taken out of its `target_features` custom section.
 *
 * Node 16's V8 9.4 (the Node16 handler of Azure DevOps Server 2022 agents) rejects
 * `externref`. Our crate is compiled without reference types, but the prebuilt standard
 * library of stable Rust is compiled with them and says so in the section, and wasm-bindgen
 * then rewrites the module to pass JavaScript values through an `externref` table. Rebuilding
 * std without them needs nightly (`build-std`); saying what the code really needs lets
 * wasm-bindgen keep its heap of JavaScript values instead, which every Node runs. The tests
 * load and run the module on Node 16, 20 and 24.
 */
function withoutReferenceTypes(wasm) {
  const parts = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at];
    const [size, contentStart] = readLeb(wasm, at + 1);
    const end = contentStart + size;
    const [nameLength, nameStart] = id === 0 ? readLeb(wasm, contentStart) : [0, contentStart];
    const name = wasm.subarray(nameStart, nameStart + nameLength).toString('utf8');
    if (id === 0 && name === 'target_features') {
      let [count, p] = readLeb(wasm, nameStart + nameLength);
      const kept = [];
      for (; count > 0; count -= 1) {
        const entryStart = p;
        const [length, featureStart] = readLeb(wasm, p + 1);
        p = featureStart + length;
        if (wasm.subarray(featureStart, p).toString('utf8') !== 'reference-types') kept.push(wasm.subarray(entryStart, p));
      }
      const body = Buffer.concat([leb(nameLength), Buffer.from(name, 'utf8'), leb(kept.length), ...kept]);
      parts.push(Buffer.from([0]), leb(body.length), body);
    } else {
      parts.push(wasm.subarray(start, end));
    }
    at = end;
  }
  return Buffer.concat(parts);
}

/** Builds the module of one task folder into target/bindgen/<task>. */
function buildTaskWasm(task) {
  const feature = TASK_FEATURES[task];
  if (!feature) throw new Error(`tasks/${task} has no cargo feature; add it to TASK_FEATURES in js-host/build.js and to Cargo.toml`);
  const targetDir = path.join(ROOT, 'target', 'tasks', feature);
  console.log(`Building the module of ${task} (feature ${feature})...`);
  run('cargo', [
    'build', '--release', '--lib', '--target', WASM_TARGET,
    '--no-default-features', '--features', feature, '--target-dir', targetDir,
  ], { env: { ...process.env, RUSTFLAGS: moduleRustflags() } });
  const built = path.join(targetDir, WASM_TARGET, 'release', `${CRATE_FILE}.wasm`);
  const portable = path.join(targetDir, 'portable', `${CRATE_FILE}.wasm`);
  fs.mkdirSync(path.dirname(portable), { recursive: true });
  fs.writeFileSync(portable, withoutReferenceTypes(fs.readFileSync(built)));
  const out = bindgenDir(task);
  fs.rmSync(out, { recursive: true, force: true });
  run('wasm-bindgen', [
    '--target', 'nodejs',
    '--no-typescript',
    '--remove-name-section',
    '--remove-producers-section',
    '--out-dir', out,
    portable,
  ]);
}

/** Where the bindgen output of one task folder's module goes. */
function bindgenDir(task) {
  return path.join(BINDGEN_OUT, task);
}

/** The task folders: every directory under tasks/ holding a task.json. */
function taskFolders() {
  const tasksDir = path.join(ROOT, 'tasks');
  return fs.readdirSync(tasksDir)
    .map((name) => path.join(tasksDir, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'task.json')));
}

/**
 * host.js with its one dependency, hpagent, bundled in: the module's source wrapped in a
 * function that gives it `module` and `exports`, with its licence, in place of the
 * `require('hpagent')` call. hpagent is a single CommonJS file needing only Node's own modules.
 */
function bundledHost() {
  const source = fs.readFileSync(path.join(__dirname, 'host.js'), 'utf8');
  const call = "require('hpagent')";
  if (source.split(call).length !== 2) throw new Error(`js-host/host.js must contain ${call} exactly once`);
  const hpagentDir = path.dirname(require.resolve('hpagent'));
  const { version } = JSON.parse(fs.readFileSync(path.join(hpagentDir, 'package.json'), 'utf8'));
  const licence = fs.readFileSync(path.join(hpagentDir, 'LICENSE'), 'utf8').trim().replace(/\*\//g, '* /');
  const module = fs.readFileSync(path.join(hpagentDir, 'index.js'), 'utf8');
  const bundle = [
    `/* hpagent ${version}, bundled by js-host/build.js.`,
    licence,
    '*/',
    'function bundledHpagent() {',
    '  const module = { exports: {} };',
    '  const exports = module.exports;',
    module,
    '  return module.exports;',
    '}',
    '',
  ].join('\n');
  return source.replace(call, 'bundledHpagent()') + '\n' + bundle;
}

/**
 * Copies what the task `task` needs at run time, beside its task.json and index.js, into
 * `dir`: its own module and the host.
 */
function stageRuntime(task, dir) {
  const pkg = path.join(dir, 'pkg');
  fs.rmSync(pkg, { recursive: true, force: true });
  fs.cpSync(bindgenDir(task), pkg, { recursive: true });
  fs.writeFileSync(path.join(dir, 'host.js'), bundledHost());
}

/**
 * The whole build: toolchain, wasm, and every task folder under tasks/ (or only those named
 * in `only`) staged in place.
 */
function build(only = []) {
  const unknown = only.filter((name) => !TASK_FEATURES[name]);
  if (unknown.length) throw new Error(`No task folder called ${unknown.join(', ')}; use ${Object.keys(TASK_FEATURES).join(', ')}`);
  ensureWasmTarget();
  ensureBindgenCli();
  for (const dir of taskFolders()) {
    const task = path.basename(dir);
    if (only.length && !only.includes(task)) continue;
    buildTaskWasm(task);
    stageRuntime(task, dir);
    console.log(`Staged ${path.relative(ROOT, dir)}`);
  }
}

module.exports = { ROOT, build, taskFolders, stageRuntime };

if (require.main === module) build(process.argv.slice(2));
