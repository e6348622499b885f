'use strict';
// Small helpers shared by the proxy, the credential servers and the admin API.

const crypto = require('crypto');

// The servers' notion of "now", shifted by the admin clock offset so tests
// can provoke clock skew and credential expiry without waiting.
const clock = { offsetMs: 0 };

function nowMs() {
  return Date.now() + clock.offsetMs;
}

// 20240101T000000Z
function amzDate(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

// 2024-01-01T00:00:00Z (the form STS and IMDS use for Expiration)
function isoSeconds(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Parses 20240101T000000Z; returns NaN when malformed.
function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function httpDate(ms) {
  return new Date(ms).toUTCString();
}

function randomId(alphabet, len) {
  const bytes = crypto.randomBytes(len);
  let out = '';
  for (let i = 0; i < len; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function requestId() {
  return randomId('0123456789ABCDEF', 16);
}

function uuid() {
  return crypto.randomUUID();
}

// Node keeps the received header lines in rawHeaders; this groups them by
// lower-case name, keeping every value in order (duplicates are joined with
// "," when signed, as SigV4 specifies).
function headerMap(rawHeaders) {
  const map = new Map();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!map.has(name)) map.set(name, []);
    map.get(name).push(rawHeaders[i + 1]);
  }
  return map;
}

function firstHeader(map, name) {
  const v = map.get(name);
  return v ? v[0] : undefined;
}

// Splits a request target into the path exactly as sent and the raw query.
function splitUrl(url) {
  const q = url.indexOf('?');
  if (q < 0) return { rawPath: url, rawQuery: '' };
  return { rawPath: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

// Raw query -> list of {rawName, rawValue, name, value}; throws on a bad
// percent escape. "+" stays a literal plus (SigV4 never treats it as space).
function parseQuery(rawQuery) {
  const out = [];
  if (!rawQuery) return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    out.push({
      rawName,
      rawValue,
      name: decodeURIComponent(rawName),
      value: decodeURIComponent(rawValue),
    });
  }
  return out;
}

// The query in the shape @smithy/signature-v4 signs: name -> value or array.
function queryObject(params) {
  const obj = {};
  for (const p of params) {
    if (!Object.prototype.hasOwnProperty.call(obj, p.name)) obj[p.name] = p.value;
    else if (Array.isArray(obj[p.name])) obj[p.name].push(p.value);
    else obj[p.name] = [obj[p.name], p.value];
  }
  return obj;
}

function queryGet(params, name) {
  const lower = name.toLowerCase();
  const p = params.find((x) => x.name.toLowerCase() === lower);
  return p ? p.value : undefined;
}

function xmlEscape(s) {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// Reads a whole (small) body into one Buffer, failing past maxBytes.
function readBody(stream, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    stream.on('data', (c) => {
      size += c.length;
      if (size > maxBytes) {
        stream.pause();
        reject(Object.assign(new Error('request body too large'), { tooLarge: true }));
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function sha256Hex(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

module.exports = {
  clock,
  nowMs,
  amzDate,
  isoSeconds,
  parseAmzDate,
  httpDate,
  randomId,
  UPPER_DIGITS,
  B64,
  requestId,
  uuid,
  headerMap,
  firstHeader,
  splitUrl,
  parseQuery,
  queryObject,
  queryGet,
  xmlEscape,
  readBody,
  sha256Hex,
};
