'use strict';
// Decoder for the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown)
// for the simple objects kubectl's imperative commands send as protobuf
// (Namespace, ConfigMap, Secret, ServiceAccount, and a Job with the fields
// `kubectl create job` sets). Unknown fields are skipped.

const { errors } = require('./util');

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

// Reads all fields of a message: [{no, wire, value}] (value: Buffer for
// length-delimited, BigInt for varint, Buffer for fixed).
function fields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw errors.badRequest('truncated protobuf');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      value = buf.subarray(i, i + 8);
      i += 8;
    } else if (wire === 5) {
      value = buf.subarray(i, i + 4);
      i += 4;
    } else throw errors.badRequest(`unsupported protobuf wire type ${wire}`);
    out.push({ no, wire, value });
  }
  return out;
}

// A schema maps field numbers to [jsonName, type]; type is 'string',
// 'bytes' (base64 in JSON), 'int', 'bool', 'strings' (repeated), 'map'
// (string->string), 'bmap' (string->bytes), a schema object (message) or
// [schema] (repeated message).
function decode(buf, schema) {
  const obj = {};
  for (const f of fields(buf)) {
    const spec = schema[f.no];
    if (!spec) continue;
    const [name, type] = spec;
    if (type === 'string') {
      if (f.value.length) obj[name] = f.value.toString('utf8'); // like omitempty
    }
    else if (type === 'bytes') obj[name] = Buffer.from(f.value).toString('base64');
    else if (type === 'int') obj[name] = Number(BigInt.asIntN(64, f.value));
    else if (type === 'bool') obj[name] = f.value !== 0n;
    else if (type === 'strings') (obj[name] = obj[name] || []).push(f.value.toString('utf8'));
    else if (type === 'map' || type === 'bmap') {
      const e = {};
      for (const g of fields(f.value)) e[g.no] = g.value;
      obj[name] = obj[name] || {};
      const v = e[2] || Buffer.alloc(0);
      obj[name][(e[1] || Buffer.alloc(0)).toString('utf8')] = type === 'bmap' ? Buffer.from(v).toString('base64') : v.toString('utf8');
    } else if (Array.isArray(type)) (obj[name] = obj[name] || []).push(decode(f.value, type[0]));
    else obj[name] = decode(f.value, type);
  }
  return obj;
}

const OWNER_REF = { 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] };
const META = {
  1: ['name', 'string'], 2: ['generateName', 'string'], 3: ['namespace', 'string'], 5: ['uid', 'string'],
  6: ['resourceVersion', 'string'], 11: ['labels', 'map'], 12: ['annotations', 'map'],
  13: ['ownerReferences', [OWNER_REF]], 14: ['finalizers', 'strings'],
};
const QUANTITY_MAP = 'map'; // map<string, Quantity{string=1}> decoded below
const RESOURCES = { 1: ['limits', QUANTITY_MAP], 2: ['requests', QUANTITY_MAP] };
const ENV_VAR = { 1: ['name', 'string'], 2: ['value', 'string'] };
const CONTAINER = {
  1: ['name', 'string'], 2: ['image', 'string'], 3: ['command', 'strings'], 4: ['args', 'strings'],
  5: ['workingDir', 'string'], 7: ['env', [ENV_VAR]], 8: ['resources', RESOURCES], 14: ['imagePullPolicy', 'string'],
};
const POD_SPEC = {
  2: ['containers', [CONTAINER]], 3: ['restartPolicy', 'string'], 4: ['terminationGracePeriodSeconds', 'int'],
  5: ['activeDeadlineSeconds', 'int'], 8: ['serviceAccountName', 'string'],
};
const POD_TEMPLATE = { 1: ['metadata', META], 2: ['spec', POD_SPEC] };
const JOB_SPEC = {
  1: ['parallelism', 'int'], 2: ['completions', 'int'], 3: ['activeDeadlineSeconds', 'int'], 6: ['template', POD_TEMPLATE],
  7: ['backoffLimit', 'int'], 8: ['ttlSecondsAfterFinished', 'int'], 10: ['suspend', 'bool'],
};

const SCHEMAS = {
  Namespace: { 1: ['metadata', META], 2: ['spec', { 1: ['finalizers', 'strings'] }] },
  ConfigMap: { 1: ['metadata', META], 2: ['data', 'map'], 3: ['binaryData', 'bmap'], 4: ['immutable', 'bool'] },
  Secret: { 1: ['metadata', META], 2: ['data', 'bmap'], 3: ['type', 'string'], 4: ['stringData', 'map'], 5: ['immutable', 'bool'] },
  ServiceAccount: { 1: ['metadata', META] },
  Job: { 1: ['metadata', META], 2: ['spec', JOB_SPEC] },
};

// Quantities arrive as map entries whose value is a message {string=1}.
function fixQuantities(obj) {
  if (!obj || typeof obj !== 'object') return;
  for (const [k, v] of Object.entries(obj)) {
    if ((k === 'limits' || k === 'requests') && v && typeof v === 'object') {
      for (const q of Object.keys(v)) {
        const inner = fields(Buffer.from(v[q], 'utf8')).find((f) => f.no === 1);
        v[q] = inner ? inner.value.toString('utf8') : v[q];
      }
    } else fixQuantities(v);
  }
}

// Decodes a protobuf request body for resource kind; throws 415 when the
// kind is not supported here.
function decodeObject(buf, kind) {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) throw errors.badRequest('protobuf body without the k8s envelope');
  const env = decode(buf.subarray(4), { 1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }], 2: ['raw', 'bytes'] });
  const schema = SCHEMAS[kind];
  if (!schema) return null;
  const obj = decode(Buffer.from(env.raw || '', 'base64'), schema);
  fixQuantities(obj);
  if (env.typeMeta) Object.assign(obj, env.typeMeta);
  return obj;
}

module.exports = { decodeObject, fields };
