'use strict';
// The verifier (lib/sigv4.js) in-process, without servers: it must accept
// AWS's own signed test vectors (the aws-c-auth suite for non-S3 services and
// the S3 API reference examples), reject every tampered variant, and apply
// S3's canonical path rule (encode once, no normalisation) versus the other
// services' rule (normalise, encode again).

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const sigv4 = require('../lib/sigv4');
const util = require('../lib/util');
const { Registry } = require('../lib/registry');
const { signRequest } = require('./helpers');

const TESTDATA = process.env.AFT_TESTDATA_DIR || path.resolve(__dirname, '../../../../../shared/testdata');
const SUITE = path.join(TESTDATA, 'sigv4/aws-signing-test-suite/v4');

function setClock(iso) {
  util.clock.offsetMs = Date.parse(iso) - Date.now();
}

function sha(b) {
  return crypto.createHash('sha256').update(b).digest('hex');
}

// Parses a signed-request.txt of the suite: request line (split on the first
// and last space), "Name:value" headers with continuation lines, body.
function parseSigned(text) {
  const nl = text.indexOf('\n\n');
  const head = nl < 0 ? text : text.slice(0, nl);
  const body = nl < 0 ? '' : text.slice(nl + 2);
  const lines = head.split('\n');
  const first = lines.shift();
  const method = first.slice(0, first.indexOf(' '));
  const url = first.slice(first.indexOf(' ') + 1, first.lastIndexOf(' '));
  const raw = [];
  for (const l of lines) {
    if (/^\s/.test(l)) raw[raw.length - 1] += '\n' + l;
    else {
      const c = l.indexOf(':');
      raw.push(l.slice(0, c), l.slice(c + 1));
    }
  }
  return { method, url, rawHeaders: raw, body: Buffer.from(body) };
}

function suiteRegistry(ctx) {
  const r = new Registry();
  r.add({ accessKeyId: ctx.credentials.access_key_id, secretAccessKey: ctx.credentials.secret_access_key, sessionToken: ctx.credentials.token || null });
  return r;
}

function verifySuiteRequest(ctx, req, registry) {
  return sigv4.verify({ service: ctx.service, method: req.method, url: req.url, rawHeaders: req.rawHeaders, bodySha256: sha(req.body), registry, regions: [ctx.region] });
}

function tamperSignature(req) {
  const flip = (s) => s.replace(/([0-9a-f])(?=[0-9a-f]*$)/, (c) => (c === '0' ? '1' : '0'));
  const copy = { ...req, rawHeaders: [...req.rawHeaders] };
  const i = copy.rawHeaders.findIndex((h, k) => k % 2 === 0 && h.toLowerCase() === 'authorization');
  if (i >= 0) copy.rawHeaders[i + 1] = flip(copy.rawHeaders[i + 1]);
  else copy.url = copy.url.replace(/(X-Amz-Signature=[0-9a-f]*)([0-9a-f])/, (m, a, c) => a + (c === '0' ? '1' : '0'));
  return copy;
}

const cases = fs.existsSync(SUITE) ? fs.readdirSync(SUITE).filter((d) => fs.existsSync(path.join(SUITE, d, 'context.json'))) : [];

test('the AWS signing test suite is present', () => {
  assert.ok(cases.length >= 30, `expected the aws-c-auth v4 suite under ${SUITE}`);
});

for (const name of cases) {
  const ctx = JSON.parse(fs.readFileSync(path.join(SUITE, name, 'context.json'), 'utf8'));
  // Services other than S3 always normalise the path (as AWS's signers and
  // servers do); the suite's "unnormalized" variants describe a signer option.
  const skip = ctx.normalize === false ? 'unnormalised paths are not how AWS services canonicalise' : false;
  for (const mode of ['header', 'query']) {
    // A token appended to the query after signing is outside the canonical
    // query, which every AWS service that reads it from the query refuses.
    const skipMode = skip || (mode === 'query' && ctx.omit_session_token ? 'unsigned query token' : false);
    test(`suite ${name} (${mode}) is accepted, and rejected when tampered`, { skip: skipMode }, async () => {
      setClock(ctx.timestamp);
      const req = parseSigned(fs.readFileSync(path.join(SUITE, name, `${mode}-signed-request.txt`), 'utf8'));
      const reg = suiteRegistry(ctx);
      const ok = await verifySuiteRequest(ctx, req, reg);
      assert.strictEqual(ok.verdict, 'ok', `${name}: ${ok.message}\n${ok.canonicalRequest}`);
      const expected = fs.readFileSync(path.join(SUITE, name, `${mode}-canonical-request.txt`), 'utf8');
      assert.strictEqual(ok.canonicalRequest, expected);
      const bad = await verifySuiteRequest(ctx, tamperSignature(req), reg);
      assert.strictEqual(bad.verdict, 'mismatch');
      const wrongSecret = new Registry();
      wrongSecret.add({ accessKeyId: ctx.credentials.access_key_id, secretAccessKey: 'x' + ctx.credentials.secret_access_key, sessionToken: ctx.credentials.token || null });
      assert.strictEqual((await verifySuiteRequest(ctx, req, wrongSecret)).verdict, 'mismatch');
    });
  }
}

// The five worked examples of the S3 API reference (sigv4-s3/README.md).
const S3_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const S3_KEY = 'AKIAIOSFODNN7EXAMPLE';
const EMPTY = sigv4.EMPTY_SHA256;
const scope = `${S3_KEY}/20130524/us-east-1/s3/aws4_request`;
const S3_EXAMPLES = [
  {
    name: 'GET object with Range',
    method: 'GET',
    url: '/test.txt',
    headers: ['Host', 'examplebucket.s3.amazonaws.com', 'Range', 'bytes=0-9', 'x-amz-content-sha256', EMPTY, 'x-amz-date', '20130524T000000Z'],
    signed: 'host;range;x-amz-content-sha256;x-amz-date',
    signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
  {
    name: 'PUT object with $ in the key, sent unencoded',
    method: 'PUT',
    url: '/test$file.text',
    headers: [
      'Host', 'examplebucket.s3.amazonaws.com',
      'Date', 'Fri, 24 May 2013 00:00:00 GMT',
      'x-amz-date', '20130524T000000Z',
      'x-amz-storage-class', 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256', '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    ],
    signed: 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
    signature: '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
  },
  {
    name: 'GET ?lifecycle',
    method: 'GET',
    url: '/?lifecycle',
    headers: ['Host', 'examplebucket.s3.amazonaws.com', 'x-amz-date', '20130524T000000Z', 'x-amz-content-sha256', EMPTY],
    signed: 'host;x-amz-content-sha256;x-amz-date',
    signature: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
  },
  {
    name: 'GET ?max-keys=2&prefix=J',
    method: 'GET',
    url: '/?max-keys=2&prefix=J',
    headers: ['Host', 'examplebucket.s3.amazonaws.com', 'x-amz-date', '20130524T000000Z', 'x-amz-content-sha256', EMPTY],
    signed: 'host;x-amz-content-sha256;x-amz-date',
    signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
  },
];

function s3Registry() {
  const r = new Registry();
  r.add({ accessKeyId: S3_KEY, secretAccessKey: S3_SECRET });
  return r;
}

for (const ex of S3_EXAMPLES) {
  test(`S3 reference example: ${ex.name}`, async () => {
    setClock('2013-05-24T00:05:00Z');
    const auth = `AWS4-HMAC-SHA256 Credential=${scope},SignedHeaders=${ex.signed},Signature=${ex.signature}`;
    const rawHeaders = [...ex.headers, 'Authorization', auth];
    const ok = await sigv4.verify({ service: 's3', method: ex.method, url: ex.url, rawHeaders, registry: s3Registry(), regions: ['us-east-1'] });
    assert.strictEqual(ok.verdict, 'ok', ok.message);
    const tampered = rawHeaders.map((v) => (v === ex.headers[1] ? 'other.s3.amazonaws.com' : v));
    const bad = await sigv4.verify({ service: 's3', method: ex.method, url: ex.url, rawHeaders: tampered, registry: s3Registry(), regions: ['us-east-1'] });
    assert.strictEqual(bad.verdict, 'mismatch');
  });
}

test('S3 reference example: presigned GET, valid for a day, expired after it', async () => {
  const url =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const rawHeaders = ['Host', 'examplebucket.s3.amazonaws.com'];
  setClock('2013-05-24T12:00:00Z');
  const ok = await sigv4.verify({ service: 's3', method: 'GET', url, rawHeaders, registry: s3Registry(), regions: ['us-east-1'] });
  assert.strictEqual(ok.verdict, 'ok', ok.message);
  setClock('2013-05-25T00:00:01Z');
  const late = await sigv4.verify({ service: 's3', method: 'GET', url, rawHeaders, registry: s3Registry(), regions: ['us-east-1'] });
  assert.strictEqual(late.verdict, 'expired-url');
});

// Keys that S3 clients get wrong: each must verify when signed the S3 way and
// fail when signed the way other services canonicalise paths.
const KEYS = ['a b', 'a+b', 'x=y&z', '100%', 'tilde~', 'ünïcödé/日本', 'paren(1)*!\'', 'dir//double', 'dot/./seg', 'semi;colon,comma'];

test('S3 paths: single encoding verifies, the non-S3 rule does not', async () => {
  setClock(new Date().toISOString());
  const reg = new Registry();
  const creds = { accessKeyId: 'AKIDPATHTEST', secretAccessKey: 'secret/with+chars' };
  reg.add(creds);
  for (const key of KEYS) {
    const encoded = '/bucket/' + key.split('/').map(util_escape).join('/');
    for (const uriEscapePath of [false, true]) {
      const r = await signRequest({ endpoint: 'http://127.0.0.1:9', service: 's3', method: 'GET', path: encoded, creds, uriEscapePath });
      const v = await sigv4.verify({ service: 's3', method: 'GET', url: r.url, rawHeaders: flat(r.headers), registry: reg, regions: ['us-west-1'] });
      const needsEncoding = encoded !== '/bucket/' + key || /\/\.\/|\/\//.test(encoded);
      if (!uriEscapePath) assert.strictEqual(v.verdict, 'ok', `${key}: ${v.message}`);
      else if (needsEncoding) assert.strictEqual(v.verdict, 'mismatch', `${key} signed with double encoding must fail`);
    }
  }
});

test('DynamoDB-style services: double encoding and normalisation verify, single encoding does not', async () => {
  setClock(new Date().toISOString());
  const reg = new Registry();
  const creds = { accessKeyId: 'AKIDPATHTEST', secretAccessKey: 'secret' };
  reg.add(creds);
  for (const p of ['/', '/a%20b', '/x/./y', '/x//y']) {
    for (const uriEscapePath of [true, false]) {
      const r = await signRequest({ endpoint: 'http://127.0.0.1:9', service: 'dynamodb', method: 'POST', path: p, creds, uriEscapePath, body: '{}' });
      const v = await sigv4.verify({ service: 'dynamodb', method: 'POST', url: r.url, rawHeaders: flat(r.headers), bodySha256: sha('{}'), registry: reg, regions: ['us-west-1'] });
      const differs = p !== '/';
      if (uriEscapePath) assert.strictEqual(v.verdict, 'ok', `${p}: ${v.message}`);
      else if (differs) assert.strictEqual(v.verdict, 'mismatch', `${p} signed S3-style must fail`);
    }
  }
});

test('duplicate headers are joined with commas; an unsigned x-amz header is refused on S3', async () => {
  setClock(new Date().toISOString());
  const reg = new Registry();
  const creds = { accessKeyId: 'AKIDHDR', secretAccessKey: 'secret' };
  reg.add(creds);
  const r = await signRequest({ endpoint: 'http://127.0.0.1:9', service: 's3', path: '/b/k', creds, headers: { 'x-amz-meta-list': 'a,b' } });
  const raw = flat(r.headers).flatMap((v, i, all) => (i % 2 === 0 && v === 'x-amz-meta-list' ? [] : i % 2 === 1 && all[i - 1] === 'x-amz-meta-list' ? [] : [v]));
  raw.push('x-amz-meta-list', 'a', 'x-amz-meta-list', 'b');
  const v = await sigv4.verify({ service: 's3', method: 'GET', url: r.url, rawHeaders: raw, registry: reg, regions: ['us-west-1'] });
  assert.strictEqual(v.verdict, 'ok', v.message);
  const extra = [...flat(r.headers), 'x-amz-meta-sneaky', '1'];
  const u = await sigv4.verify({ service: 's3', method: 'GET', url: r.url, rawHeaders: extra, registry: reg, regions: ['us-west-1'] });
  assert.strictEqual(u.verdict, 'unsigned-headers');
});

test('scope, key, token and clock checks', async () => {
  setClock(new Date().toISOString());
  const reg = new Registry();
  const creds = { accessKeyId: 'AKIDSCOPE', secretAccessKey: 'secret' };
  reg.add(creds);
  const temp = reg.issue({ roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 's', ttlSeconds: 60, source: 'test' });
  const tempCreds = { accessKeyId: temp.accessKeyId, secretAccessKey: temp.secretAccessKey, sessionToken: temp.sessionToken };
  const run = async (o, regions = ['us-west-1']) => {
    const r = await signRequest({ endpoint: 'http://127.0.0.1:9', service: 'dynamodb', method: 'POST', path: '/', body: '{}', ...o });
    return sigv4.verify({ service: 'dynamodb', method: 'POST', url: r.url, rawHeaders: flat(r.headers), bodySha256: sha('{}'), registry: reg, regions });
  };
  assert.strictEqual((await run({ creds })).verdict, 'ok');
  assert.strictEqual((await run({ creds, region: 'eu-west-1' })).verdict, 'wrong-region');
  assert.strictEqual((await run({ creds: { ...creds, accessKeyId: 'AKIDNOBODY' } })).verdict, 'unknown-key');
  assert.strictEqual((await run({ creds, signingDate: new Date(util.nowMs() - 16 * 60000) })).verdict, 'skewed');
  assert.strictEqual((await run({ creds, signingDate: new Date(util.nowMs() + 16 * 60000) })).verdict, 'skewed');
  assert.strictEqual((await run({ creds, signingDate: new Date(util.nowMs() - 14 * 60000) })).verdict, 'ok');
  assert.strictEqual((await run({ creds: tempCreds })).verdict, 'ok');
  assert.strictEqual((await run({ creds: { ...tempCreds, sessionToken: undefined } })).verdict, 'bad-token');
  assert.strictEqual((await run({ creds: { ...tempCreds, sessionToken: tempCreds.sessionToken + 'x' } })).verdict, 'bad-token');
  temp.expirationMs = util.nowMs() - 1;
  assert.strictEqual((await run({ creds: tempCreds })).verdict, 'expired-token');
  const body = await signRequest({ endpoint: 'http://127.0.0.1:9', service: 'dynamodb', method: 'POST', path: '/', body: '{}', creds });
  const other = await sigv4.verify({ service: 'dynamodb', method: 'POST', url: body.url, rawHeaders: flat(body.headers), bodySha256: sha('{"x":1}'), registry: reg, regions: ['us-west-1'] });
  assert.strictEqual(other.verdict, 'mismatch', 'a changed body must not verify');
});

function util_escape(s) {
  return require('@smithy/core/protocols').escapeUri(s);
}

function flat(headers) {
  const out = [];
  for (const [k, v] of Object.entries(headers)) out.push(k, String(v));
  return out;
}
