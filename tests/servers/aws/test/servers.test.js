'use strict';
// The running servers (the ctest fixture's instance, AFT_AWS_STATE_DIR):
// proxy round trips, payload checks, error formats, faults, the request log
// and the credential servers' protocols. Nothing here changes global settings
// (clock, credential lifetime): private.test.js does that on its own instance.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const h = require('./helpers');

const STATE = process.env.AFT_AWS_STATE_DIR;
if (!STATE) throw new Error('AFT_AWS_STATE_DIR must name a running instance (tests/servers/aws/start.sh)');
const env = h.loadEnv(STATE);
const creds = h.staticCreds(env);
const BUCKET = env.AFT_AWS_ARTIFACTS_BUCKET;
const s3 = (o) => h.call({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, ...o });
const ddb = (target, payload, o = {}) =>
  h.call({
    endpoint: env.AWS_ENDPOINT_URL_DYNAMODB,
    service: 'dynamodb',
    method: 'POST',
    path: '/',
    creds,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
    body: JSON.stringify(payload),
    ...o,
  });
const sts = (params, o = {}) =>
  h.call({
    endpoint: env.AWS_ENDPOINT_URL_STS,
    service: 'sts',
    method: 'POST',
    path: '/',
    creds,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2011-06-15', ...params }).toString(),
    ...o,
  });
const prefix = h.uniq('node');

function xmlText(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (m, x) => String.fromCodePoint(parseInt(x, 16)))
    .replace(/&#(\d+);/g, (m, d) => String.fromCodePoint(+d))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

async function logFor(pathPart) {
  const log = await h.admin(env, 'GET', '/log');
  return log.filter((e) => e.path.includes(pathPart));
}

test('S3 keys with special characters round-trip and list back exactly', async () => {
  const keys = ['space key.txt', 'plus+sign', 'eq=amp&', 'percent%25%', 'tilde~x', 'ünïcödé-日本.bin', "quote'(paren)*!", 'a;b,c:d@e$f'];
  for (const k of keys) {
    const key = `${prefix}/special/${k}`;
    const body = crypto.randomBytes(1000);
    const put = await s3({ method: 'PUT', path: h.encodeKeyPath(BUCKET, key), body });
    assert.strictEqual(put.status, 200, `PUT ${k}: ${put.body}`);
    const get = await s3({ path: h.encodeKeyPath(BUCKET, key) });
    assert.strictEqual(get.status, 200, `GET ${k}: ${get.body}`);
    assert.ok(get.body.equals(body), `body of ${k}`);
  }
  const list = await s3({ path: `/${BUCKET}`, query: { 'list-type': '2', prefix: `${prefix}/special/` } });
  assert.strictEqual(list.status, 200);
  const listed = [...list.body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1]));
  assert.deepStrictEqual(listed.sort(), keys.map((k) => `${prefix}/special/${k}`).sort());
});

test('S3 rejects a wrong secret with SignatureDoesNotMatch and the canonical request', async () => {
  const r = await s3({ path: `/${BUCKET}`, query: { 'list-type': '2' }, creds: { ...creds, secretAccessKey: 'wrong' } });
  assert.strictEqual(r.status, 403);
  assert.strictEqual(h.xmlCode(r), 'SignatureDoesNotMatch');
  assert.match(r.body.toString(), /<CanonicalRequest>GET\n\/aftomato-build-artifacts\nlist-type=2\n/);
  assert.match(r.headers['content-type'], /xml/);
});

test('S3 error codes: unknown key, missing auth, region, missing sha256, streaming, unsigned header', async () => {
  const unknown = await s3({ path: `/${BUCKET}`, creds: { ...creds, accessKeyId: 'AKIAUNKNOWN000000000' } });
  assert.deepStrictEqual([unknown.status, h.xmlCode(unknown)], [403, 'InvalidAccessKeyId']);
  const port = +new URL(env.AWS_ENDPOINT_URL_S3).port;
  const anon = await h.send({ port, method: 'GET', url: `/${BUCKET}`, headers: {} });
  assert.deepStrictEqual([anon.status, h.xmlCode(anon)], [403, 'AccessDenied']);
  const region = await s3({ path: `/${BUCKET}`, region: 'eu-central-1' });
  assert.deepStrictEqual([region.status, h.xmlCode(region)], [400, 'AuthorizationHeaderMalformed']);
  assert.match(region.body.toString(), /<Region>us-west-1<\/Region>/);
  const nosha = await s3({ path: `/${BUCKET}`, payloadHash: null });
  assert.deepStrictEqual([nosha.status, h.xmlCode(nosha)], [400, 'InvalidRequest']);
  const streaming = await s3({ method: 'PUT', path: h.encodeKeyPath(BUCKET, `${prefix}/chunked`), payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', body: 'x' });
  assert.deepStrictEqual([streaming.status, h.xmlCode(streaming)], [501, 'NotImplemented']);
  const signed = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, path: `/${BUCKET}` });
  signed.headers['x-amz-meta-added-later'] = '1';
  const unsigned = await h.send(signed);
  assert.deepStrictEqual([unsigned.status, h.xmlCode(unsigned)], [403, 'AccessDenied']);
  assert.match(unsigned.body.toString(), /<HeadersNotSigned>x-amz-meta-added-later<\/HeadersNotSigned>/);
});

test('S3 payload hash: a body that does not match x-amz-content-sha256 is refused and not stored', async () => {
  const key = h.encodeKeyPath(BUCKET, `${prefix}/liar`);
  const r = await s3({ method: 'PUT', path: key, body: 'the real body', payloadHash: h.sha256Hex('another body') });
  assert.deepStrictEqual([r.status, h.xmlCode(r)], [400, 'XAmzContentSHA256Mismatch']);
  const get = await s3({ path: key });
  assert.strictEqual(get.status, 404);
  const chunked = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', method: 'PUT', path: key, creds, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'transfer-encoding': 'chunked' } });
  const noLength = await h.send({ ...chunked, body: Buffer.from('streamed without a length') });
  assert.deepStrictEqual([noLength.status, h.xmlCode(noLength)], [411, 'MissingContentLength']);
  const unsignedPayload = await s3({ method: 'PUT', path: key, body: 'unsigned is fine', payloadHash: 'UNSIGNED-PAYLOAD' });
  assert.strictEqual(unsignedPayload.status, 200);
  assert.strictEqual((await s3({ path: key })).body.toString(), 'unsigned is fine');
});

test('S3 large bodies stream through: 16 MB signed part and a 24 MB single PUT', async () => {
  const key = `${prefix}/big`;
  const body = crypto.randomBytes(24 * 1024 * 1024);
  const put = await s3({ method: 'PUT', path: h.encodeKeyPath(BUCKET, key), body });
  assert.strictEqual(put.status, 200, put.body.toString());
  const get = await s3({ path: h.encodeKeyPath(BUCKET, key) });
  assert.ok(get.body.equals(body));
  const create = await s3({ method: 'POST', path: h.encodeKeyPath(BUCKET, `${key}-mp`), query: { uploads: '' } });
  const uploadId = /<UploadId>([^<]+)/.exec(create.body.toString())[1];
  const part = body.subarray(0, 16 * 1024 * 1024);
  const up = await s3({ method: 'PUT', path: h.encodeKeyPath(BUCKET, `${key}-mp`), query: { partNumber: '1', uploadId }, body: part });
  assert.strictEqual(up.status, 200, up.body.toString());
  const etag = up.headers.etag;
  const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
  const done = await s3({ method: 'POST', path: h.encodeKeyPath(BUCKET, `${key}-mp`), query: { uploadId }, body: xml });
  assert.strictEqual(done.status, 200, done.body.toString());
  assert.ok((await s3({ path: h.encodeKeyPath(BUCKET, `${key}-mp`) })).body.equals(part));
  const spool = path.join(STATE, 'spool');
  assert.deepStrictEqual(fs.existsSync(spool) ? fs.readdirSync(spool) : [], [], 'spool files are removed after use');
});

test('S3 presigned URLs: valid, tampered, expired, with a session token', async () => {
  const key = h.encodeKeyPath(BUCKET, `${prefix}/presigned obj+1`);
  await s3({ method: 'PUT', path: key, body: 'presigned content' });
  const url = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, path: key, presign: 300 });
  const ok = await h.send(url);
  assert.deepStrictEqual([ok.status, ok.body.toString()], [200, 'presigned content']);
  const tampered = await h.send({ ...url, url: url.url.replace('X-Amz-Expires=300', 'X-Amz-Expires=301') });
  assert.deepStrictEqual([tampered.status, h.xmlCode(tampered)], [403, 'SignatureDoesNotMatch']);
  const old = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, path: key, presign: 60, signingDate: new Date(Date.now() - 120000) });
  const expired = await h.send(old);
  assert.deepStrictEqual([expired.status, h.xmlCode(expired)], [403, 'AccessDenied']);
  assert.match(expired.body.toString(), /Request has expired/);
  const assumed = await sts({ Action: 'AssumeRole', RoleArn: env.AFT_AWS_ROLE_ARN, RoleSessionName: 'presign' });
  const c = parseStsCredentials(assumed.body.toString());
  const withToken = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds: c, path: key, presign: 300 });
  assert.match(withToken.url, /X-Amz-Security-Token=[^&]*%2B|X-Amz-Security-Token=[^&]*%2F/);
  const r = await h.send(withToken);
  assert.strictEqual(r.status, 200, r.body.toString());
});

test('s3rver limits are answered, not crashed on', async () => {
  const long = h.encodeKeyPath(BUCKET, `${prefix}/${'k'.repeat(250)}`);
  const r = await s3({ method: 'PUT', path: long, body: 'x' });
  assert.deepStrictEqual([r.status, h.xmlCode(r)], [501, 'NotImplemented']);
  const after = await s3({ path: `/${BUCKET}`, query: { 'list-type': '2', 'max-keys': '1' } });
  assert.strictEqual(after.status, 200, 's3rver still answers');
  const longest = h.encodeKeyPath(BUCKET, `${prefix}/${'d'.repeat(255)}/${'k'.repeat(233)}`);
  assert.strictEqual((await s3({ method: 'PUT', path: longest, body: 'y' })).status, 200, 'the longest names s3rver can hold');
  assert.strictEqual((await s3({ path: longest })).body.toString(), 'y');
  const dotted = await s3({ method: 'PUT', path: `/${BUCKET}/${prefix}/../escape`, body: 'x' });
  assert.strictEqual(h.xmlCode(dotted), 'NotImplemented');
});

test('DynamoDB: signed calls pass, errors come as JSON with __type', async () => {
  const ok = await ddb('DescribeTable', { TableName: env.AFT_AWS_TABLE });
  assert.strictEqual(ok.status, 200, ok.body.toString());
  assert.strictEqual(JSON.parse(ok.body).Table.GlobalSecondaryIndexes[0].IndexName, env.AFT_AWS_INDEX);
  const wrong = await ddb('ListTables', {}, { creds: { ...creds, secretAccessKey: 'nope' } });
  assert.deepStrictEqual([wrong.status, h.ddbType(wrong)], [400, 'InvalidSignatureException']);
  assert.match(JSON.parse(wrong.body).message, /The Canonical String for this request should have been/);
  assert.strictEqual(wrong.headers['content-type'], 'application/x-amz-json-1.0');
  const unknown = await ddb('ListTables', {}, { creds: { ...creds, accessKeyId: 'AKIAUNKNOWN000000000' } });
  assert.strictEqual(h.ddbType(unknown), 'UnrecognizedClientException');
  const skew = await ddb('ListTables', {}, { signingDate: new Date(Date.now() - 20 * 60000) });
  assert.strictEqual(h.ddbType(skew), 'InvalidSignatureException');
  assert.match(JSON.parse(skew.body).message, /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  const signed = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, service: 'dynamodb', method: 'POST', path: '/', creds, headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
  const swapped = await h.send({ ...signed, body: Buffer.from('{"Limit":1}'), headers: { ...signed.headers, 'content-length': '11' } });
  assert.strictEqual(h.ddbType(swapped), 'InvalidSignatureException', 'the body is part of the signature');
});

test('S3 skew answers RequestTimeTooSkewed', async () => {
  const r = await s3({ path: `/${BUCKET}`, signingDate: new Date(Date.now() + 30 * 60000) });
  assert.deepStrictEqual([r.status, h.xmlCode(r)], [403, 'RequestTimeTooSkewed']);
  assert.match(r.body.toString(), /<MaxAllowedSkewMilliseconds>900000</);
});

test('faults: canned S3 errors, redirects, HTML pages, truncation, reset, drop; counted and logged', async () => {
  const key = `${prefix}/faulty`;
  const p = h.encodeKeyPath(BUCKET, key);
  await s3({ method: 'PUT', path: p, body: 'x'.repeat(5000) });
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const add = (f) => h.admin(env, 'POST', '/faults', { backend: 's3', path: esc(p) + '$', ...f });
  const { ids } = await add({ method: 'GET', error: { code: 'SlowDown' }, count: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await s3({ path: p });
    assert.deepStrictEqual([r.status, h.xmlCode(r)], [503, 'SlowDown']);
  }
  assert.strictEqual((await s3({ path: p })).status, 200, 'the fault is used up after count requests');
  await add({ error: { code: 'PermanentRedirect', region: 'eu-west-1', bucket: BUCKET, endpoint: `${BUCKET}.s3.eu-west-1.amazonaws.com` } });
  const moved = await s3({ path: p });
  assert.deepStrictEqual([moved.status, h.xmlCode(moved), moved.headers['x-amz-bucket-region']], [301, 'PermanentRedirect', 'eu-west-1']);
  await add({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
  const html = await s3({ path: p });
  assert.deepStrictEqual([html.status, html.headers['content-type']], [502, 'text/html']);
  await add({ truncate_after_bytes: 1000 });
  const cut = await s3({ path: p });
  assert.strictEqual(cut.status, 200);
  assert.strictEqual(cut.body.length, 1000);
  assert.ok(cut.error, 'the client sees the body end early');
  await add({ reset_after_bytes: 10 });
  const reset = await s3({ path: p });
  assert.ok(reset.error && reset.body.length <= 10, 'reset mid-body');
  await add({ drop: true });
  const dropped = await s3({ path: p });
  assert.ok(dropped.error && dropped.status === undefined, 'no response at all');
  const entries = await logFor(p);
  const faulted = entries.filter((e) => e.fault !== null);
  assert.ok(faulted.length >= 7, JSON.stringify(entries));
  assert.ok(faulted.some((e) => e.fault === ids[0] && e.status === 503 && e.verdict === 'ok'));
  assert.ok(entries.every((e) => e.verdict === 'ok' && e.access_key_id === creds.accessKeyId));
});

test('faults: DynamoDB throttling by operation, then success', async () => {
  await h.admin(env, 'POST', '/faults', { backend: 'dynamodb', target: `DescribeTable$`, error: { code: 'ProvisionedThroughputExceededException' } });
  const r = await ddb('DescribeTable', { TableName: env.AFT_AWS_TABLE });
  assert.deepStrictEqual([r.status, h.ddbType(r)], [400, 'ProvisionedThroughputExceededException']);
  assert.strictEqual(JSON.parse(r.body).__type, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException');
  assert.ok(r.headers['x-amz-crc32']);
  assert.strictEqual((await ddb('DescribeTable', { TableName: env.AFT_AWS_TABLE })).status, 200);
});

function parseStsCredentials(xml) {
  const get = (n) => new RegExp(`<${n}>([^<]*)</${n}>`).exec(xml)[1].replace(/&amp;/g, '&');
  return { accessKeyId: get('AccessKeyId'), secretAccessKey: get('SecretAccessKey'), sessionToken: get('SessionToken'), expiration: get('Expiration') };
}

test('STS: AssumeRole credentials work on S3 and DynamoDB; bad calls answer STS errors', async () => {
  const r = await sts({ Action: 'AssumeRole', RoleArn: env.AFT_AWS_ROLE_ARN, RoleSessionName: 'node-test', DurationSeconds: '900' });
  assert.strictEqual(r.status, 200, r.body.toString());
  const xml = r.body.toString();
  assert.match(xml, /^<AssumeRoleResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/);
  const c = parseStsCredentials(xml);
  assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  const ttl = Date.parse(c.expiration) - Date.now();
  assert.ok(ttl > 800000 && ttl <= 900000, `DurationSeconds honoured (${ttl} ms)`);
  assert.strictEqual((await s3({ path: `/${BUCKET}`, query: { 'list-type': '2', 'max-keys': '1' }, creds: c })).status, 200);
  assert.strictEqual((await ddb('ListTables', {}, { creds: c })).status, 200);
  const who = await sts({ Action: 'GetCallerIdentity' }, { creds: c });
  assert.match(who.body.toString(), /<Arn>arn:aws:sts::123456789012:assumed-role\/aftomato-test\/node-test<\/Arn>/);
  const noToken = await s3({ path: `/${BUCKET}`, creds: { ...c, sessionToken: undefined } });
  assert.strictEqual(h.xmlCode(noToken), 'InvalidToken');
  const unknownRole = await sts({ Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/nobody', RoleSessionName: 'x1' });
  assert.deepStrictEqual([unknownRole.status, h.xmlCode(unknownRole)], [403, 'AccessDenied']);
  const wrong = await sts({ Action: 'GetCallerIdentity' }, { creds: { ...creds, secretAccessKey: 'bad' } });
  assert.deepStrictEqual([wrong.status, h.xmlCode(wrong)], [403, 'SignatureDoesNotMatch']);
  assert.match(wrong.body.toString(), /<ErrorResponse xmlns=.*<Type>Sender<\/Type>/s);
  const badWeb = await h.send({ port: +new URL(env.AWS_ENDPOINT_URL_STS).port, method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(env.AFT_AWS_WEB_IDENTITY_ROLE_ARN)}&RoleSessionName=w1&WebIdentityToken=forged`) });
  assert.deepStrictEqual([badWeb.status, h.xmlCode(badWeb)], [400, 'InvalidIdentityToken']);
});

test('IMDSv2: token required, role listing, credentials JSON', async () => {
  const port = +new URL(env.AFT_AWS_IMDS_URL).port;
  const req = (method, url, headers = {}) => h.send({ port, method, url, headers });
  assert.strictEqual((await req('PUT', '/latest/api/token')).status, 400, 'TTL header required');
  assert.strictEqual((await req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '21601' })).status, 400);
  assert.strictEqual((await req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '1.2.3.4' })).status, 403);
  assert.strictEqual((await req('GET', '/latest/meta-data/iam/security-credentials/')).status, 401, 'IMDSv1 refused');
  const t = await req('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
  assert.strictEqual(t.headers['x-aws-ec2-metadata-token-ttl-seconds'], '60');
  const tok = { 'x-aws-ec2-metadata-token': t.body.toString() };
  assert.strictEqual((await req('GET', '/latest/meta-data/iam/security-credentials/', { 'x-aws-ec2-metadata-token': 'forged' })).status, 401);
  const role = (await req('GET', '/latest/meta-data/iam/security-credentials/', tok)).body.toString();
  const c = JSON.parse((await req('GET', `/latest/meta-data/iam/security-credentials/${role}`, tok)).body);
  assert.deepStrictEqual(Object.keys(c).sort(), ['AccessKeyId', 'Code', 'Expiration', 'LastUpdated', 'SecretAccessKey', 'Token', 'Type']);
  assert.strictEqual(c.Code, 'Success');
  assert.match(c.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = JSON.parse((await req('GET', `/latest/meta-data/iam/security-credentials/${role}`, tok)).body);
  assert.strictEqual(again.AccessKeyId, c.AccessKeyId, 'the same credentials until rotation');
  const r = await s3({ path: `/${BUCKET}`, query: { 'list-type': '2', 'max-keys': '1' }, creds: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token } });
  assert.strictEqual(r.status, 200);
  assert.strictEqual((await req('GET', '/latest/meta-data/iam/security-credentials/other-role', tok)).status, 404);
});

test('container credentials: authorization token, path, JSON shape', async () => {
  const u = new URL(env.AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI);
  const req = (url, headers = {}) => h.send({ port: +u.port, method: 'GET', url, headers });
  assert.strictEqual((await req(u.pathname)).status, 401);
  assert.strictEqual((await req(u.pathname, { authorization: 'wrong' })).status, 401);
  const auth = { authorization: env.AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN };
  assert.strictEqual((await req('/v2/credentials/other', auth)).status, 404);
  const before = (await h.admin(env, 'GET', '/counters')).container?.credentials || 0;
  const r = await req(u.pathname, auth);
  assert.strictEqual(r.status, 200);
  const c = JSON.parse(r.body);
  for (const k of ['AccessKeyId', 'SecretAccessKey', 'Token', 'Expiration', 'RoleArn']) assert.ok(c[k], k);
  const after = (await h.admin(env, 'GET', '/counters')).container.credentials;
  assert.ok(after >= before + 1);
  assert.strictEqual((await ddb('ListTables', {}, { creds: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token } })).status, 200);
});
