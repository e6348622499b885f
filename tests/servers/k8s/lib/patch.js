'use strict';
// Patch formats: JSON merge patch (RFC 7386, also used for strategic merge
// patches, whose list merge keys are not modelled) and JSON patch (RFC 6902).

const { errors } = require('./util');

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergePatch(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? Object.assign({}, target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder') || k.startsWith('$retainKeys') || k.startsWith('$deleteFromPrimitiveList')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(p) {
  if (p === '') return [];
  if (!p.startsWith('/')) throw errors.badRequest(`invalid JSON pointer "${p}"`);
  return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc, parts) {
  let cur = doc;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') throw errors.badRequest(`doc is missing path: /${parts.join('/')}`);
    cur = Array.isArray(cur) ? cur[Number(p)] : cur[p];
  }
  return cur;
}

function setAt(doc, parts, value, insert) {
  const parent = walk(doc, parts.slice(0, -1));
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (Number.isNaN(i) || i < 0 || i > parent.length) throw errors.badRequest(`invalid array index ${last}`);
    if (insert) parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (parent && typeof parent === 'object') {
    if (!insert && !(last in parent)) throw errors.badRequest(`replace operation does not apply: doc is missing key: /${parts.join('/')}: missing value`);
    parent[last] = value;
  } else {
    throw errors.badRequest(`doc is missing path: /${parts.join('/')}: missing value`);
  }
}

function removeAt(doc, parts) {
  const parent = walk(doc, parts.slice(0, -1));
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (parent && typeof parent === 'object' && last in parent) delete parent[last];
  else throw errors.badRequest(`remove operation does not apply: doc is missing path: /${parts.join('/')}: missing value`);
}

function jsonPatch(doc, ops) {
  if (!Array.isArray(ops)) throw errors.badRequest('json patch must be an array of operations');
  let out = JSON.parse(JSON.stringify(doc));
  for (const op of ops) {
    const parts = decodePointer(op.path || '');
    switch (op.op) {
      case 'add':
        if (parts.length === 0) out = op.value;
        else setAt(out, parts, op.value, true);
        break;
      case 'replace':
        if (parts.length === 0) out = op.value;
        else setAt(out, parts, op.value, false);
        break;
      case 'remove':
        removeAt(out, parts);
        break;
      case 'test':
        if (JSON.stringify(walk(out, parts)) !== JSON.stringify(op.value)) {
          throw errors.badRequest(`testing value /${parts.join('/')} failed: test failed`);
        }
        break;
      case 'copy':
      case 'move': {
        const from = decodePointer(op.from || '');
        const v = JSON.parse(JSON.stringify(walk(out, from)));
        if (op.op === 'move') removeAt(out, from);
        setAt(out, parts, v, true);
        break;
      }
      default:
        throw errors.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return out;
}

module.exports = { mergePatch, jsonPatch };
