'use strict';
// Test helpers: read a running instance's env file, sign requests with
// @smithy/signature-v4 (the client side of the same SDK) and send them.

const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { escapeUri } = require('@smithy/core/protocols');

const HERE = path.resolve(__dirname, '..');

function loadEnv(stateDir) {
  const env = {};
  const text = fs.readFileSync(path.join(stateDir, 'env'), 'utf8');
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

// Starts a private instance (its own servers) in a fresh directory.
function startPrivate(extraEnv = {}) {
  const dir = fs.mkdtempSync(path.join(process.env.AFT_TEST_TMP || os.tmpdir(), 'aws-private-'));
  execFileSync(path.join(HERE, 'start.sh'), [dir], { env: { ...process.env, AFT_AWS_SKIP_RESOURCES: '1', ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir, env: loadEnv(dir), stop: () => execFileSync(path.join(HERE, 'stop.sh'), [dir], { stdio: 'inherit' }) };
}

function encodeKeyPath(bucket, key) {
  return '/' + bucket + (key === undefined ? '' : '/' + key.split('/').map(escapeUri).join('/'));
}

function queryString(query) {
  const parts = [];
  for (const [k, v] of Object.entries(query || {})) {
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${escapeUri(k)}=${escapeUri(x)}`);
  }
  return parts.length ? '?' + parts.join('&') : '';
}

function sha256Hex(b) {
  return crypto.createHash('sha256').update(b).digest('hex');
}

// o: {endpoint, service, method, path (already encoded as sent), query,
//     headers, body, creds {accessKeyId, secretAccessKey, sessionToken},
//     region, signingDate, presign: expiresIn, uriEscapePath, payloadHash}
async function signRequest(o) {
  const u = new URL(o.endpoint);
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.from(o.body);
  const headers = { host: u.host, ...(o.headers || {}) };
  if (o.service === 's3' && o.payloadHash !== null && !o.presign) {
    headers['x-amz-content-sha256'] = o.payloadHash || sha256Hex(body);
  }
  const signer = new SignatureV4({
    service: o.service,
    region: o.region || 'us-west-1',
    credentials: o.creds,
    sha256: Sha256,
    uriEscapePath: o.uriEscapePath === undefined ? o.service !== 's3' : o.uriEscapePath,
    applyChecksum: o.payloadHash !== null,
  });
  // An S3 presigned URL signs UNSIGNED-PAYLOAD; the signer uses that for a
  // body it cannot hash (a stream), so it gets a stand-in object here.
  const signBody = o.service === 's3' && o.presign ? {} : body;
  const request = { method: o.method || 'GET', protocol: 'http:', hostname: u.hostname, port: +u.port, path: o.path, query: { ...(o.query || {}) }, headers, body: signBody };
  const signed = o.presign
    ? await signer.presign(request, { expiresIn: o.presign, signingDate: o.signingDate })
    : await signer.sign(request, { signingDate: o.signingDate });
  return { port: +u.port, method: request.method, url: signed.path + queryString(signed.query), headers: signed.headers, body };
}

// Sends {port, method, url, headers, body}; resolves {status, headers, body}
// or {error} when the connection fails.
function send(r) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: r.port, method: r.method, path: r.url, headers: r.headers, agent: false });
    const chunks = [];
    let res = null;
    const done = (error) =>
      resolve(res ? { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error } : { error });
    req.on('response', (response) => {
      res = response;
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done(undefined));
      res.on('error', (e) => done(e));
    });
    // A reset after the response started is reported here first.
    req.on('error', (e) => done(e));
    req.end(r.body && r.body.length ? r.body : undefined);
  });
}

async function call(o) {
  return send(await signRequest(o));
}

function xmlCode(res) {
  const m = /<Code>([^<]*)<\/Code>/.exec(res.body.toString());
  return m ? m[1] : null;
}

function ddbType(res) {
  try {
    return JSON.parse(res.body.toString()).__type.split('#')[1];
  } catch (e) {
    return null;
  }
}

async function admin(env, method, p, body) {
  const u = new URL(env.AFT_AWS_ADMIN_URL + p);
  const r = await send({ port: +u.port, method, url: u.pathname + u.search, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) });
  return JSON.parse(r.body.toString());
}

function staticCreds(env) {
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
}

function uniq(prefix) {
  return `${prefix}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

module.exports = { loadEnv, startPrivate, encodeKeyPath, queryString, sha256Hex, signRequest, send, call, xmlCode, ddbType, admin, staticCreds, uniq, escapeUri };
