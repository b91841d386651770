'use strict';
/**
 * The rules a task.json and the extension manifest must meet before the marketplace sees
 * them, so a bad file fails the tests rather than the upload.
 *
 * Task rules come from the official task schema (azure-pipelines-task-lib `tasks.schema.json`:
 * closed sets of keys, required fields, name patterns, input types, handler keys), from what
 * tfx checks (GUID id, friendlyName of at most 40 characters, instanceNameFormat, handler
 * targets that exist), and from this extension's own standard (descriptions and help on
 * everything, both Node handlers, grouped advanced inputs). Manifest rules are tfx's
 * (`extension create` validation) and the service's endpoint-type checks.
 *
 * Each function returns a list of problems, empty when the file is good.
 */

const fs = require('node:fs');
const path = require('node:path');

const GUID = /^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;
const TASK_NAME = /^[A-Za-z0-9-]+$/;
const INPUT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const TASK_KEYS = new Set([
  '$schema', 'id', 'name', 'friendlyName', 'description', 'helpUrl', 'helpMarkDown', 'author', 'preview',
  'deprecated', 'deprecationMessage', 'removalDate', 'showEnvironmentVariables', 'runsOn', 'visibility',
  'category', 'groups', 'demands', 'minimumAgentVersion', 'version', 'instanceNameFormat', 'releaseNotes',
  'inputs', 'dataSourceBindings', 'sourceDefinitions', 'prejobexecution', 'execution', 'postjobexecution',
  'messages', 'outputVariables', 'restrictions',
]);
const CATEGORIES = new Set([
  'Build', 'Utility', 'Test', 'Package', 'Deploy',
  'Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts',
]);
const INPUT_KEYS = new Set([
  'name', 'aliases', 'label', 'type', 'defaultValue', 'required', 'helpMarkDown', 'groupName', 'visibleRule',
  'properties', 'options',
]);
const INPUT_TYPES = new Set([
  'boolean', 'filePath', 'multiLine', 'pickList', 'radio', 'secureFile', 'string', 'int', 'identities', 'querycontrol',
]);
const HANDLERS = new Set(['Node24', 'Node20_1', 'Node16', 'Node10', 'Node', 'PowerShell3', 'PowerShell']);
/** The first agent that runs Node20_1, the oldest handler these tasks declare. */
const MINIMUM_AGENT = '2.206.1';
const AUTH_SCHEMES = new Set([
  'basic', 'token', 'none', 'cert', 'jwt', 'oauth2', 'service-principal', 'managed-service-identity',
  'workload-identity-federation', 'azure-cert', 'azure-storage', 'publishprofile', 'kubernetes',
  'jiraconnectapp', 'installationtoken',
].map((scheme) => `ms.vss-endpoint.endpoint-auth-scheme-${scheme}`));
const MANIFEST_CATEGORIES = new Set(['Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts']);

function nonEmptyString(value) {
  return typeof value === 'string' && value.trim() !== '';
}

/** Problems of a task.json; `taskDir` (optional) is checked for the handlers' target files. */
function taskProblems(task, taskDir) {
  const problems = [];
  const need = (condition, problem) => { if (!condition) problems.push(problem); };

  for (const key of Object.keys(task)) need(TASK_KEYS.has(key), `unknown top-level key '${key}'`);
  need(typeof task.id === 'string' && GUID.test(task.id), 'id must be a GUID');
  need(typeof task.name === 'string' && TASK_NAME.test(task.name), 'name must match ^[A-Za-z0-9-]+$');
  need(nonEmptyString(task.friendlyName) && task.friendlyName.length <= 40, 'friendlyName must be 1 to 40 characters');
  need(nonEmptyString(task.description), 'description is required');
  need(nonEmptyString(task.helpMarkDown), 'helpMarkDown is required');
  need(nonEmptyString(task.author), 'author is required');
  need(nonEmptyString(task.instanceNameFormat), 'instanceNameFormat is required');
  need(CATEGORIES.has(task.category), `category must be one of ${[...CATEGORIES].join(', ')}`);
  need(task.minimumAgentVersion === MINIMUM_AGENT, `minimumAgentVersion must be ${MINIMUM_AGENT}, the first agent with Node16`);
  const version = task.version ?? {};
  need(
    Object.keys(version).sort().join() === 'Major,Minor,Patch'
      && ['Major', 'Minor', 'Patch'].every((part) => Number.isInteger(version[part])),
    'version must be { Major, Minor, Patch } numbers',
  );
  need(version.Major === 0, 'the major version must be 0 (pipelines reference @0)');

  const groups = new Set();
  for (const group of task.groups ?? []) {
    need(nonEmptyString(group.name) && nonEmptyString(group.displayName), 'a group needs name and displayName');
    for (const key of Object.keys(group)) need(['name', 'displayName', 'isExpanded', 'visibleRule'].includes(key), `group has unknown key '${key}'`);
    groups.add(group.name);
  }

  need(Array.isArray(task.inputs) && task.inputs.length > 0, 'inputs must be a non-empty list');
  const spellings = new Map();
  for (const input of task.inputs ?? []) {
    const label = `input '${input.name}'`;
    for (const key of Object.keys(input)) need(INPUT_KEYS.has(key), `${label} has unknown key '${key}'`);
    for (const key of ['name', 'label', 'type']) need(nonEmptyString(input[key]), `${label} needs ${key}`);
    need(typeof input.name === 'string' && INPUT_NAME.test(input.name), `${label}: name must match ^[A-Za-z][A-Za-z0-9]*$`);
    need(
      INPUT_TYPES.has(input.type) || /^connectedService:.+$/.test(input.type ?? ''),
      `${label}: type '${input.type}' is not an input type`,
    );
    need(nonEmptyString(input.helpMarkDown), `${label} needs helpMarkDown`);
    need(input.required === undefined || typeof input.required === 'boolean', `${label}: required must be a boolean`);
    need(['undefined', 'string', 'boolean'].includes(typeof input.defaultValue), `${label}: defaultValue must be a string or boolean`);
    need(input.groupName === undefined || groups.has(input.groupName), `${label}: group '${input.groupName}' is not defined`);
    need(input.required !== true || input.groupName === undefined, `${label}: a required input belongs in the main section, not a group`);
    if (input.type === 'pickList' || input.type === 'radio') {
      need(input.options && Object.keys(input.options).length > 0, `${label}: a ${input.type} needs options`);
      need(input.defaultValue === undefined || input.defaultValue in (input.options ?? {}), `${label}: defaultValue is not an option`);
    }
    const properties = input.properties ?? {};
    need(properties.rows === undefined || /^\d+$/.test(properties.rows), `${label}: properties.rows must be a string of digits`);
    need(properties.resizable === undefined || typeof properties.resizable === 'boolean', `${label}: properties.resizable must be a boolean`);
    need(input.aliases === undefined || (Array.isArray(input.aliases) && input.aliases.every(nonEmptyString)), `${label}: aliases must be strings`);
    for (const spelling of [input.name, ...(input.aliases ?? [])]) {
      if (typeof spelling !== 'string') continue;
      const key = spelling.toLowerCase();
      need(!spellings.has(key), `'${spelling}' names two inputs (${spellings.get(key)} and ${input.name})`);
      spellings.set(key, input.name);
    }
  }

  // The main step, and the post-job step that takes back what it left (SPEC section 8).
  for (const phase of ['execution', 'postjobexecution']) {
    const execution = task[phase] ?? {};
    for (const key of Object.keys(execution)) need(HANDLERS.has(key), `${phase} handler '${key}' is not a handler key`);
    need(execution.Node16 && execution.Node20_1 && execution.Node24, `${phase} needs Node16, Node20_1 and Node24`);
    need(JSON.stringify(execution.Node20_1) === JSON.stringify(execution.Node24)
      && JSON.stringify(execution.Node20_1) === JSON.stringify(execution.Node16), `${phase}: Node16, Node20_1 and Node24 must run the same target`);
    for (const [handler, entry] of Object.entries(execution)) {
      need(nonEmptyString(entry?.target), `${phase}.${handler} needs a target`);
      if (taskDir && nonEmptyString(entry?.target)) {
        need(fs.existsSync(path.join(taskDir, entry.target)), `${phase}.${handler}.target '${entry.target}' does not exist`);
      }
    }
  }

  for (const output of task.outputVariables ?? []) {
    need(typeof output.name === 'string' && INPUT_NAME.test(output.name), `output variable '${output.name}' must match ^[A-Za-z][A-Za-z0-9]*$`);
    need(nonEmptyString(output.description), `output variable '${output.name}' needs a description`);
    for (const key of Object.keys(output)) need(['name', 'description'].includes(key), `output variable has unknown key '${key}'`);
  }
  return problems;
}

/** Problems of vss-extension.json, whose files are looked up under `root`. */
function manifestProblems(manifest, root) {
  const problems = [];
  const need = (condition, problem) => { if (!condition) problems.push(problem); };
  const exists = (relative) => nonEmptyString(relative) && fs.existsSync(path.join(root, relative));

  need(manifest.manifestVersion === 1, 'manifestVersion must be 1');
  need(typeof manifest.id === 'string' && /^[A-Za-z0-9_-]+$/.test(manifest.id), 'id must be letters, digits, _ and -');
  need(typeof manifest.publisher === 'string' && /^[A-Za-z0-9_-]+$/.test(manifest.publisher), 'publisher must be letters, digits, _ and -');
  need(typeof manifest.version === 'string' && /^\d+\.\d+\.\d+$/.test(manifest.version), 'version must be x.y.z');
  need(nonEmptyString(manifest.name), 'name is required');
  need(nonEmptyString(manifest.description) && manifest.description.length <= 200, 'description must be 1 to 200 characters');
  need(
    Array.isArray(manifest.categories) && manifest.categories.length > 0 && manifest.categories.every((c) => MANIFEST_CATEGORIES.has(c)),
    'categories must be a non-empty list of Azure DevOps categories',
  );
  need(Array.isArray(manifest.targets) && manifest.targets.length > 0, 'targets is required');
  need(exists(manifest.icons?.default), 'icons.default must name an existing file');
  need(exists(manifest.content?.details?.path), 'content.details.path must name an existing file');
  need(Array.isArray(manifest.files) && manifest.files.length > 0, 'files is required');
  for (const file of manifest.files ?? []) need(exists(file.path), `files entry '${file.path}' does not exist`);

  const contributions = manifest.contributions ?? [];
  need(contributions.length > 0, 'contributions is required');
  const ids = contributions.map((c) => c.id);
  need(new Set(ids).size === ids.length, 'contribution ids must be unique');
  const filePaths = new Set((manifest.files ?? []).map((f) => f.path));
  for (const contribution of contributions) {
    const label = `contribution '${contribution.id}'`;
    need(nonEmptyString(contribution.id) && nonEmptyString(contribution.type), `${label} needs id and type`);
    need(Array.isArray(contribution.targets) && contribution.targets.length > 0, `${label} needs targets`);
    const properties = contribution.properties ?? {};
    if (contribution.type === 'ms.vss-distributed-task.task') {
      need(exists(path.join(properties.name ?? '', 'task.json')), `${label}: '${properties.name}/task.json' does not exist`);
      need(filePaths.has(properties.name), `${label}: '${properties.name}' is not listed in files`);
    }
    if (contribution.type === 'ms.vss-endpoint.service-endpoint-type') {
      need(nonEmptyString(properties.name) && nonEmptyString(properties.displayName), `${label} needs name and displayName`);
      const schemes = properties.authenticationSchemes ?? [];
      need(schemes.length > 0, `${label} needs an authentication scheme`);
      for (const scheme of schemes) need(AUTH_SCHEMES.has(scheme.type), `${label}: '${scheme.type}' is not an authentication scheme`);
    }
  }
  return problems;
}

module.exports = { taskProblems, manifestProblems };
