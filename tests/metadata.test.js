'use strict';
/**
 * Every task.json and the manifest, as packaging stamps them, meet the task schema's and
 * tfx's rules; and the rules catch broken copies, so a bad file fails here and not at upload.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');
const { ROOT } = require('./support/agent');
const { taskProblems, manifestProblems } = require('./support/package-rules');
const { extensionVersion, stampedManifest, stampedTask } = require('../js-host/package');

const TASK_NAMES = [
  'akeyless-auth',
  'akeyless-get-secrets-value-task',
  'akeyless-get-dynamic-secret-value-task',
  'akeyless-get-rotated-secret-value-task',
  'akeyless-get-ssh-certificate',
  'akeyless-get-pki-certificate',
];

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function stampedTaskJson(name) {
  return stampedTask(readJson(path.join(ROOT, 'tasks', name, 'task.json')), extensionVersion());
}

function stampedManifestJson() {
  return stampedManifest(readJson(path.join(ROOT, 'vss-extension.json')), extensionVersion());
}

describe('metadata: the task.json files', () => {
  for (const name of TASK_NAMES) {
    it(`${name} meets every rule`, () => {
      const task = stampedTaskJson(name);
      assert.deepEqual(taskProblems(task, path.join(ROOT, 'tasks', name)), []);
      assert.equal(task.name, name);
    });
  }

  it('the tasks have distinct ids and carry the version from Cargo.toml', () => {
    const tasks = TASK_NAMES.map(stampedTaskJson);
    assert.equal(new Set(tasks.map((t) => t.id)).size, tasks.length);
    const [major, minor, patch] = extensionVersion().split('.').map(Number);
    for (const task of tasks) assert.deepEqual(task.version, { Major: major, Minor: minor, Patch: patch });
  });

  it('declares the outputs the SPEC names', () => {
    const outputs = (name) => (stampedTaskJson(name).outputVariables ?? []).map((o) => o.name);
    assert.deepEqual(outputs('akeyless-auth'), ['akeylessToken']);
    assert.deepEqual(outputs('akeyless-get-dynamic-secret-value-task'), ['dynamicSecretValue']);
    assert.deepEqual(outputs('akeyless-get-rotated-secret-value-task'), ['rotatedSecretValue']);
  });

  it('offers access-key as an alias of a schema-valid input', () => {
    const input = stampedTaskJson('akeyless-auth').inputs.find((i) => (i.aliases ?? []).includes('access-key'));
    assert.equal(input.name, 'accessKey');
  });
});

describe('metadata: the rules catch broken copies', () => {
  const good = () => structuredClone(stampedTaskJson('akeyless-auth'));

  it('a task without a required field fails', () => {
    const broken = good();
    delete broken.instanceNameFormat;
    assert.deepEqual(taskProblems(broken), ['instanceNameFormat is required']);
    const noLabel = good();
    delete noLabel.inputs[0].label;
    assert.deepEqual(taskProblems(noLabel), ["input 'connectedServiceName' needs label"]);
  });

  it('an input name outside the schema pattern fails', () => {
    const broken = good();
    broken.inputs[1].name = 'access-key';
    assert.ok(taskProblems(broken).includes("input 'access-key': name must match ^[A-Za-z][A-Za-z0-9]*$"));
  });

  it('an alias that repeats another input name fails', () => {
    const broken = good();
    broken.inputs[2].aliases = ['accesskey'];
    assert.ok(taskProblems(broken).some((p) => p.startsWith("'accesskey' names two inputs")));
  });

  it('an unknown input type or handler key fails', () => {
    const broken = good();
    broken.inputs[2].type = 'password';
    broken.execution.Node20 = { target: 'index.js' };
    const problems = taskProblems(broken);
    assert.ok(problems.includes("input 'jwt': type 'password' is not an input type"), problems.join('\n'));
    assert.ok(problems.includes("execution handler 'Node20' is not a handler key"), problems.join('\n'));
  });

  it('a missing handler target, a bad id and a long friendlyName fail', () => {
    const broken = good();
    broken.id = 'not-a-guid';
    broken.friendlyName = 'x'.repeat(41);
    broken.execution.Node20_1 = { target: 'missing.js' };
    broken.execution.Node24 = { target: 'missing.js' };
    const problems = taskProblems(broken, path.join(ROOT, 'tasks', 'akeyless-auth'));
    for (const expected of [
      'id must be a GUID',
      'friendlyName must be 1 to 40 characters',
      "execution.Node20_1.target 'missing.js' does not exist",
    ]) assert.ok(problems.includes(expected), `${expected}\n${problems.join('\n')}`);
  });
});

describe('metadata: the manifest', () => {
  it('meets tfx rules, with the service connection type and the six tasks', () => {
    const manifest = stampedManifestJson();
    assert.deepEqual(manifestProblems(manifest, ROOT), []);
    const endpoint = manifest.contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type');
    assert.equal(endpoint.properties.name, 'akeyless');
    const tasks = manifest.contributions.filter((c) => c.type === 'ms.vss-distributed-task.task');
    assert.deepEqual(tasks.map((t) => t.properties.name).sort(), TASK_NAMES.map((n) => `tasks/${n}`).sort());
    assert.deepEqual(manifest.categories, ['Azure Pipelines']);
  });

  it('keeps the Access ID readable and the Access Key confidential', () => {
    const endpoint = stampedManifestJson().contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type');
    const accessId = endpoint.properties.inputDescriptors.find((d) => d.id === 'accessId');
    assert.equal(accessId.isConfidential, false);
    const keys = endpoint.properties.authenticationSchemes.flatMap((s) => s.inputDescriptors ?? []);
    assert.ok(keys.length > 0 && keys.every((d) => d.isConfidential === true));
  });

  it('a manifest without a publisher, with a repeated contribution id or a long description fails', () => {
    const broken = stampedManifestJson();
    delete broken.publisher;
    broken.contributions.push({ ...broken.contributions[1] });
    broken.description = 'x'.repeat(201);
    const problems = manifestProblems(broken, ROOT);
    for (const expected of [
      'publisher must be letters, digits, _ and -',
      'contribution ids must be unique',
      'description must be 1 to 200 characters',
    ]) assert.ok(problems.includes(expected), `${expected}\n${problems.join('\n')}`);
  });

  it('a manifest naming a missing icon or task folder fails', () => {
    const broken = stampedManifestJson();
    broken.icons.default = 'images/missing.png';
    broken.contributions.find((c) => c.type === 'ms.vss-distributed-task.task').properties.name = 'tasks/missing';
    const problems = manifestProblems(broken, ROOT);
    assert.ok(problems.includes('icons.default must name an existing file'), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes("'tasks/missing/task.json' does not exist")), problems.join('\n'));
  });
});
