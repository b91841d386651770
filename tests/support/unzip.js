'use strict';
/**
 * Extracts a zip archive (a .vsix) with Node's own zlib: reads the central directory, then
 * each entry, stored or deflated. Enough for tfx's output; not a general zip library.
 */

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/** Extracts `archive` into `target`; returns the entry names (folders end with `/`). */
function unzip(archive, target) {
  const zip = fs.readFileSync(archive);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end -= 1;
  if (end < 0) throw new Error(`${archive} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== CENTRAL_FILE_HEADER) throw new Error('broken central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;

    if (zip.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER) throw new Error(`broken entry ${name}`);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    const destination = path.resolve(target, name);
    if (!destination.startsWith(path.resolve(target))) throw new Error(`entry ${name} escapes the target`);
    names.push(name);
    if (name.endsWith('/')) {
      fs.mkdirSync(destination, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    if (method === 0) fs.writeFileSync(destination, data);
    else if (method === 8) fs.writeFileSync(destination, zlib.inflateRawSync(data));
    else throw new Error(`entry ${name} uses compression method ${method}`);
  }
  return names;
}

module.exports = { unzip };
