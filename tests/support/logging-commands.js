'use strict';
/**
 * Parses task output the way the Azure Pipelines agent does (Command.cs `TryParse`):
 * the `##vso[` prefix may appear anywhere in a line, the command ends at the first `]`,
 * `area.event` is the text up to the first space, properties are split on `;` and then on
 * the first `=` (items without a value are dropped, keys are not trimmed and compare
 * case-insensitively), and property values and data are unescaped: `%3B %0D %0A %5D` first,
 * `%AZP25` last.
 */

const PREFIX = '##vso[';

function unescape(text) {
  return text
    .replaceAll('%3B', ';')
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%5D', ']')
    .replaceAll('%AZP25', '%');
}

/**
 * The command in `line`: `{ name, properties, data }` with `name` lower-cased
 * (`task.setvariable`) and property keys lower-cased; `{ invalid: true }` when the line
 * holds the prefix but no legal command; `null` for a plain line.
 */
function parseCommand(line) {
  const start = line.indexOf(PREFIX);
  if (start < 0) return null;
  const end = line.indexOf(']', start + PREFIX.length);
  if (end < 0) return { invalid: true };
  const info = line.slice(start + PREFIX.length, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  const parts = name.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { invalid: true };
  const properties = {};
  if (space >= 0) {
    for (const item of info.slice(space + 1).split(';')) {
      const equals = item.indexOf('=');
      if (equals <= 0 || equals === item.length - 1) continue;
      properties[item.slice(0, equals).toLowerCase()] = unescape(item.slice(equals + 1));
    }
  }
  return { name: name.toLowerCase(), properties, data: unescape(line.slice(end + 1)) };
}

/** .NET `Boolean.TryParse`: `true` in any letter case. */
function isTrue(value) {
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

module.exports = { parseCommand, unescape, isTrue };
