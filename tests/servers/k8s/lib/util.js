'use strict';
// Small helpers shared by the test API server: clocks, names, Status errors.

const crypto = require('crypto');

// Wall clock with nanosecond resolution: Date.now() at start plus the
// monotonic hrtime delta, so successive values never go backwards.
const s_base_ns = BigInt(Date.now()) * 1000000n;
const s_base_hr = process.hrtime.bigint();

function nowNs() {
  return s_base_ns + (process.hrtime.bigint() - s_base_hr);
}

// RFC3339 with nanoseconds, trailing zeros trimmed (Go's time.RFC3339Nano).
function rfc3339Nano(ns) {
  const sec = ns / 1000000000n;
  const frac = ns % 1000000000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const f = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return base + (f ? '.' + f : '') + 'Z';
}

// RFC3339 with second resolution (metav1.Time).
function rfc3339(ms) {
  if (ms === undefined) ms = Date.now();
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

// Parses RFC3339 (with optional fraction) into nanoseconds since the epoch.
// Returns null when the text is not a timestamp.
function parseTimeNs(text) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text || '');
  if (!m) return null;
  const ms = Date.parse(m[1] + m[3]);
  if (Number.isNaN(ms)) return null;
  const frac = BigInt((m[2] || '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1000000n + frac;
}

// The alphabet Kubernetes uses for generated name suffixes (no vowels).
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n) {
  let s = '';
  const bytes = crypto.randomBytes(n);
  for (let i = 0; i < n; i++) s += NAME_ALPHABET[bytes[i] % NAME_ALPHABET.length];
  return s;
}

// generateName semantics: base truncated so the result fits in 63 chars.
function generateName(base) {
  const max = 63 - 5;
  return (base.length > max ? base.slice(0, max) : base) + randomSuffix(5);
}

function uid() {
  return crypto.randomUUID();
}

function clone(obj) {
  return obj === undefined ? undefined : JSON.parse(JSON.stringify(obj));
}

// Small seeded PRNG (mulberry32) so chunk splitting is reproducible.
function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// An error that is answered as a metav1.Status.
class ApiError extends Error {
  constructor(code, reason, message, details) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = {};
  }

  status() {
    const s = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    if (this.reason === '' || this.reason === undefined) delete s.reason;
    return s;
  }
}

// "jobs.batch" or "pods": how Status messages name a group-resource.
function groupResource(res) {
  return res.group ? `${res.resource}.${res.group}` : res.resource;
}

const errors = {
  notFound(res, name) {
    return new ApiError(404, 'NotFound', `${groupResource(res)} "${name}" not found`, {
      name,
      group: res.group || undefined,
      kind: res.resource,
    });
  },
  namespaceNotFound(ns) {
    return new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
  },
  alreadyExists(res, name) {
    return new ApiError(409, 'AlreadyExists', `${groupResource(res)} "${name}" already exists`, {
      name,
      group: res.group || undefined,
      kind: res.resource,
    });
  },
  conflict(res, name) {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupResource(res)} "${name}": the object has been modified; ` +
        'please apply your changes to the latest version and try again',
      { name, group: res.group || undefined, kind: res.resource },
    );
  },
  // causes: [{field, type, detail}] where type is e.g. "Required value".
  invalid(res, name, causes) {
    const kindName = res.group ? `${res.kind}.${res.group}` : res.kind;
    const parts = causes.map((c) => `${c.field}: ${c.type}${c.detail ? ': ' + c.detail : ''}`);
    const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    const reasonOf = {
      'Required value': 'FieldValueRequired',
      'Invalid value': 'FieldValueInvalid',
      'Unsupported value': 'FieldValueNotSupported',
      'Duplicate value': 'FieldValueDuplicate',
      'Forbidden': 'FieldValueForbidden',
      'Too long': 'FieldValueTooLong',
    };
    return new ApiError(422, 'Invalid', `${kindName} "${name}" is invalid: ${body}`, {
      name,
      group: res.group || undefined,
      kind: res.kind,
      causes: causes.map((c) => ({
        reason: reasonOf[c.type] || 'FieldValueInvalid',
        message: `${c.type}${c.detail ? ': ' + c.detail : ''}`,
        field: c.field,
      })),
    });
  },
  badRequest(message) {
    return new ApiError(400, 'BadRequest', message);
  },
  forbidden(message, details) {
    return new ApiError(403, 'Forbidden', message, details);
  },
  unauthorized() {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  expired(message) {
    return new ApiError(410, 'Expired', message);
  },
  methodNotAllowed() {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  },
  pathNotFound() {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  tooLarge() {
    return new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
  },
  unsupportedMedia(type) {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);
  },
};

// Reason texts for status codes that fault injection may answer with.
const REASON_OF_CODE = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

// kubectl's duration.HumanDuration, used for AGE columns.
function humanDuration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (h < 24 * 365 * 8) {
    const d = Math.floor(h / 24) % 365;
    return d === 0 ? `${y}y` : `${y}y${d}d`;
  }
  return `${y}y`;
}

module.exports = {
  nowNs,
  rfc3339Nano,
  rfc3339,
  parseTimeNs,
  randomSuffix,
  generateName,
  uid,
  clone,
  prng,
  ApiError,
  errors,
  groupResource,
  REASON_OF_CODE,
  humanDuration,
};
