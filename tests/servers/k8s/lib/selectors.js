'use strict';
// Label and field selectors as the API server parses them.

const { errors } = require('./util');

// Splits on commas that are not inside parentheses.
function splitTopLevel(text) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key, text) {
  if (!LABEL_KEY.test(key) || key.length > 317) {
    throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in "${text}"`);
  }
}

function checkValue(value, text) {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw errors.badRequest(`unable to parse requirement: invalid label value: "${value}" in "${text}"`);
  }
}

// Parses a label selector into requirements {key, op, values}.
// op: exists, notexists, eq, neq, in, notin, gt, lt.
function parseLabelSelector(text) {
  const reqs = [];
  if (!text) return reqs;
  for (const part of splitTopLevel(text)) {
    let m;
    if ((m = /^!\s*([^\s!=<>(),]+)$/.exec(part))) {
      checkKey(m[1], text);
      reqs.push({ key: m[1], op: 'notexists', values: [] });
    } else if ((m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      checkKey(m[1], text);
      const values = m[3].split(',').map((v) => v.trim());
      values.forEach((v) => checkValue(v, text));
      reqs.push({ key: m[1], op: m[2], values });
    } else if ((m = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s,()]*)$/.exec(part))) {
      checkKey(m[1], text);
      const opOf = { '=': 'eq', '==': 'eq', '!=': 'neq', '>': 'gt', '<': 'lt' };
      if (m[2] === '>' || m[2] === '<') {
        if (!/^-?\d+$/.test(m[3])) {
          throw errors.badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        }
      } else {
        checkValue(m[3], text);
      }
      reqs.push({ key: m[1], op: opOf[m[2]], values: [m[3]] });
    } else if ((m = /^([^\s!=<>(),]+)$/.exec(part))) {
      checkKey(m[1], text);
      reqs.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw errors.badRequest(`unable to parse requirement: found '${part}', expected: identifier`);
    }
  }
  return reqs;
}

function matchLabels(reqs, labels) {
  labels = labels || {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'eq':
        if (!has || v !== r.values[0]) return false;
        break;
      case 'neq':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'gt':
        if (!has || !(Number(v) > Number(r.values[0]))) return false;
        break;
      case 'lt':
        if (!has || !(Number(v) < Number(r.values[0]))) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// Converts a metav1.LabelSelector (matchLabels/matchExpressions) to requirements.
function fromLabelSelectorObject(sel) {
  const reqs = [];
  if (!sel) return reqs;
  for (const [k, v] of Object.entries(sel.matchLabels || {})) reqs.push({ key: k, op: 'eq', values: [v] });
  for (const e of sel.matchExpressions || []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' }[e.operator];
    reqs.push({ key: e.key, op, values: e.values || [] });
  }
  return reqs;
}

function labelSelectorString(sel) {
  const parts = [];
  for (const [k, v] of Object.entries((sel && sel.matchLabels) || {})) parts.push(`${k}=${v}`);
  for (const e of (sel && sel.matchExpressions) || []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

// Splits on unescaped separators; field selector values escape \ , =.
function splitEscaped(text, sep) {
  const out = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      cur += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += text[i];
    }
  }
  out.push(cur);
  return out;
}

function unescapeField(v) {
  return v.replace(/\\(.)/g, '$1');
}

// Parses a field selector into {field, op: eq|neq, value}; checks the
// field against the resource's supported list (like the real server).
function parseFieldSelector(text, res) {
  const reqs = [];
  if (!text) return reqs;
  for (const raw of splitEscaped(text, ',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([^=!]+?)(==|=|!=)(.*)$/.exec(part);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1].trim();
    const allowed = res.fields || ['metadata.name', 'metadata.namespace'];
    if (!allowed.includes(field)) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    reqs.push({ field, op: m[2] === '!=' ? 'neq' : 'eq', value: unescapeField(m[3]) });
  }
  return reqs;
}

function fieldValue(obj, field) {
  let cur = obj;
  for (const p of field.split('.')) {
    if (cur === null || cur === undefined) return '';
    cur = cur[p];
  }
  if (cur === null || cur === undefined) return '';
  return String(cur);
}

function matchFields(reqs, obj) {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if (r.op === 'eq' && v !== r.value) return false;
    if (r.op === 'neq' && v === r.value) return false;
  }
  return true;
}

module.exports = {
  parseLabelSelector,
  matchLabels,
  fromLabelSelectorObject,
  labelSelectorString,
  parseFieldSelector,
  matchFields,
};
