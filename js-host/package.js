'use strict';
/**
 * Builds the marketplace package: `npm run package` writes dist/<publisher>.<id>-<version>.vsix.
 *
 * The version lives in one place, Cargo.toml: the Rust core sends it to Akeyless as
 * `akeylessclientversion`, and this script stamps it into the manifest and into every
 * task.json (their sources carry none), so the extension, its tasks and the header agree.
 * Only what ships is staged, into dist/package: the manifest, overview.md, the icon, and per
 * task its task.json, index.js, post.js, host.js, icon.png and the wasm module with its glue. Then
 * `tfx extension create` packs that folder; any tfx warning fails the build.
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, build, taskFolders, stageRuntime } = require('./build');

const DIST = path.join(ROOT, 'dist');
const STAGE = path.join(DIST, 'package');

/** The version in Cargo.toml's [package] table. */
function extensionVersion() {
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const match = cargo.match(/\[package\][^[]*?^version\s*=\s*"(\d+\.\d+\.\d+)"/m);
  if (!match) throw new Error('Cargo.toml has no [package] version of the form x.y.z');
  return match[1];
}

/** The manifest with `version` set. */
function stampedManifest(manifest, version) {
  return { ...manifest, version };
}

/** A task.json with `version` set from `x.y.z`, placed after `author` for readability. */
function stampedTask(taskJson, version) {
  const [Major, Minor, Patch] = version.split('.').map(Number);
  const stamped = {};
  for (const [key, value] of Object.entries(taskJson)) {
    if (key === 'version') continue;
    stamped[key] = value;
    if (key === 'author') stamped.version = { Major, Minor, Patch };
  }
  stamped.version ??= { Major, Minor, Patch };
  return stamped;
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Stages exactly what ships into dist/package. */
function stage(version) {
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(path.join(STAGE, 'images'), { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'vss-extension.json'), 'utf8'));
  writeJson(path.join(STAGE, 'vss-extension.json'), stampedManifest(manifest, version));
  fs.copyFileSync(path.join(ROOT, 'overview.md'), path.join(STAGE, 'overview.md'));
  fs.copyFileSync(path.join(ROOT, 'images', 'extension-icon.png'), path.join(STAGE, 'images', 'extension-icon.png'));
  for (const source of taskFolders()) {
    const target = path.join(STAGE, 'tasks', path.basename(source));
    fs.mkdirSync(target, { recursive: true });
    const taskJson = JSON.parse(fs.readFileSync(path.join(source, 'task.json'), 'utf8'));
    writeJson(path.join(target, 'task.json'), stampedTask(taskJson, version));
    for (const entry of ['index.js', 'post.js']) fs.copyFileSync(path.join(source, entry), path.join(target, entry));
    fs.copyFileSync(path.join(ROOT, 'images', 'task-icon.png'), path.join(target, 'icon.png'));
    stageRuntime(path.basename(source), target);
  }
}

/** Runs `tfx extension create` on the staged folder; returns the .vsix path. */
function createVsix() {
  for (const old of fs.readdirSync(DIST).filter((name) => name.endsWith('.vsix'))) {
    fs.rmSync(path.join(DIST, old));
  }
  const tfxPackage = require.resolve('tfx-cli/package.json');
  const tfx = path.join(path.dirname(tfxPackage), require(tfxPackage).bin.tfx);
  const output = execFileSync(process.execPath, [
    tfx, 'extension', 'create', '--root', STAGE, '--manifest-globs', 'vss-extension.json',
    '--output-path', DIST, '--no-prompt', '--no-color',
  ], { encoding: 'utf8' });
  if (/warning/i.test(output)) throw new Error(`tfx reported a problem:\n${output}`);
  const [vsix] = fs.readdirSync(DIST).filter((name) => name.endsWith('.vsix'));
  if (!vsix) throw new Error(`tfx wrote no .vsix:\n${output}`);
  return path.join(DIST, vsix);
}

/** Stages and packs; the wasm must be built already. Returns the .vsix path. */
function packageExtension() {
  const version = extensionVersion();
  stage(version);
  return createVsix();
}

module.exports = { extensionVersion, stampedManifest, stampedTask, packageExtension };

if (require.main === module) {
  build();
  const vsix = packageExtension();
  console.log(`Wrote ${path.relative(ROOT, vsix)} (${fs.statSync(vsix).size} bytes)`);
}
