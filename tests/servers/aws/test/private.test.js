'use strict';
// A private instance (start.sh in a fresh directory) with a 4-second
// credential lifetime: rotation, expiry as each service reports it, the admin
// clock offset and credential registry, counters, and stop.sh.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const path = require('path');
const h = require('./helpers');

const TTL_S = 4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Alive and not a zombie (this machine's init may reap exited children late).
function running(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    return false;
  }
}

// Streams BLOCKS copies of `block` as one PUT body; resolves the response.
async function bigPut(env, key, block, blocks, signed) {
  const hash = crypto.createHash('sha256');
  for (let i = 0; i < blocks; i++) hash.update(block);
  const r = await h.signRequest({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    service: 's3',
    method: 'PUT',
    path: h.encodeKeyPath(env.AFT_AWS_ARTIFACTS_BUCKET, key),
    creds: h.staticCreds(env),
    headers: { 'content-length': String(block.length * blocks) },
    payloadHash: signed ? hash.digest('hex') : 'UNSIGNED-PAYLOAD',
  });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: r.port, method: 'PUT', path: r.url, headers: r.headers, agent: false });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    let i = 0;
    const pump = () => {
      while (i < blocks) {
        i++;
        if (!req.write(block)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

// Streams a GET body through a hash; resolves [status, hex digest, bytes].
async function bigGet(env, key) {
  const r = await h.signRequest({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', path: h.encodeKeyPath(env.AFT_AWS_ARTIFACTS_BUCKET, key), creds: h.staticCreds(env) });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: r.port, method: 'GET', path: r.url, headers: r.headers, agent: false });
    req.on('response', (res) => {
      const hash = crypto.createHash('sha256');
      let n = 0;
      res.on('data', (c) => {
        hash.update(c);
        n += c.length;
      });
      res.on('end', () => resolve([res.statusCode, hash.digest('hex'), n]));
    });
    req.on('error', reject);
    req.end();
  });
}

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

test('private instance: 128 MB bodies stream through with bounded memory', async (t) => {
  const inst = h.startPrivate({ AFT_AWS_SKIP_RESOURCES: '0' });
  t.after(() => {
    inst.stop();
    fs.rmSync(inst.dir, { recursive: true, force: true });
  });
  const serverPid = Number(fs.readFileSync(path.join(inst.dir, 'pid'), 'utf8').trim().split('\n')[2]);
  const before = peakRssMb(serverPid);
  const block = crypto.randomBytes(1024 * 1024);
  const blocks = 128;
  const want = crypto.createHash('sha256');
  for (let i = 0; i < blocks; i++) want.update(block);
  const digest = want.digest('hex');
  for (const signed of [true, false]) {
    const key = `big/${signed ? 'signed' : 'unsigned'}.bin`;
    assert.strictEqual(await bigPut(inst.env, key, block, blocks, signed), 200);
    assert.deepStrictEqual(await bigGet(inst.env, key), [200, digest, block.length * blocks]);
  }
  const peak = peakRssMb(serverPid);
  t.diagnostic(`proxy peak RSS ${Math.round(before)} MB before, ${Math.round(peak)} MB after`);
  assert.ok(peak - before < 100, `proxy peak memory grew by ${Math.round(peak - before)} MB for 128 MB bodies (from ${Math.round(before)} MB)`);
  assert.deepStrictEqual(fs.readdirSync(path.join(inst.dir, 'spool')), []);
});

test('private instance: lifetimes, rotation, expiry, clock offset, registry, stop', async (t) => {
  const inst = h.startPrivate({ AFT_AWS_TTL_SECONDS: String(TTL_S) });
  const env = inst.env;
  t.after(() => {
    if (fs.existsSync(path.join(inst.dir, 'pid'))) inst.stop();
    fs.rmSync(inst.dir, { recursive: true, force: true });
  });
  const imdsPort = +new URL(env.AFT_AWS_IMDS_URL).port;
  const token = (await h.send({ port: imdsPort, method: 'PUT', url: '/latest/api/token', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '300' } })).body.toString();
  const fetchImds = async () => {
    const r = await h.send({ port: imdsPort, method: 'GET', url: '/latest/meta-data/iam/security-credentials/aftomato-instance-role', headers: { 'x-aws-ec2-metadata-token': token } });
    const c = JSON.parse(r.body);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token, expiration: c.Expiration };
  };
  const s3 = (creds) => h.call({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, path: '/' });
  const ddb = (creds) =>
    h.call({ endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, service: 'dynamodb', method: 'POST', path: '/', creds, body: '{}', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-type': 'application/x-amz-json-1.0' } });
  const stsWho = (creds) =>
    h.call({ endpoint: env.AWS_ENDPOINT_URL_STS, service: 'sts', method: 'POST', path: '/', creds, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });

  const first = await fetchImds();
  const lifetime = Date.parse(first.expiration) - Date.now();
  assert.ok(lifetime <= TTL_S * 1000 && lifetime > 1000, `issued for the configured lifetime (${lifetime} ms)`);
  assert.strictEqual((await fetchImds()).accessKeyId, first.accessKeyId, 'unchanged within the first half of the lifetime');
  assert.strictEqual((await s3(first)).status, 200);
  await sleep((TTL_S * 1000) / 2 + 300);
  const second = await fetchImds();
  assert.notStrictEqual(second.accessKeyId, first.accessKeyId, 'rotated after half the lifetime');
  assert.strictEqual((await s3(first)).status, 200, 'the old credentials stay valid until they expire');
  assert.deepStrictEqual(await h.admin(env, 'GET', '/counters'), { imds: { token: 1, credentials: 3 }, s3: { GET: 2 } });

  await sleep(Date.parse(first.expiration) - Date.now() + 1200);
  const s3Expired = await s3(first);
  assert.deepStrictEqual([s3Expired.status, h.xmlCode(s3Expired)], [400, 'ExpiredToken']);
  assert.strictEqual(h.ddbType(await ddb(first)), 'ExpiredTokenException');
  assert.strictEqual(h.xmlCode(await stsWho(first)), 'ExpiredToken');
  const log = await h.admin(env, 'GET', '/log?backend=dynamodb');
  assert.strictEqual(log[log.length - 1].verdict, 'expired-token');

  // The admin clock moves the servers' "now": real-time signatures are skewed.
  const creds = h.staticCreds(env);
  await h.admin(env, 'POST', '/config', { clock_offset_seconds: 1200 });
  const skewed = await s3(creds);
  assert.deepStrictEqual([skewed.status, h.xmlCode(skewed)], [403, 'RequestTimeTooSkewed']);
  const future = await h.call({ endpoint: env.AWS_ENDPOINT_URL_S3, service: 's3', creds, path: '/', signingDate: new Date(Date.now() + 1200 * 1000) });
  assert.strictEqual(future.status, 200, 'a client that corrects its clock is accepted');
  assert.ok(Math.abs(Date.parse(future.headers.date) - (Date.now() + 1200 * 1000)) < 5000, 'responses carry the server date');
  await h.admin(env, 'POST', '/config', { clock_offset_seconds: 0 });

  // Keys added and removed at run time.
  const extra = { accessKeyId: 'AKIAEXTRAKEY00000001', secretAccessKey: 'extra/secret+key' };
  await h.admin(env, 'POST', '/credentials', { access_key_id: extra.accessKeyId, secret_access_key: extra.secretAccessKey });
  assert.strictEqual((await s3(extra)).status, 200);
  await h.admin(env, 'DELETE', `/credentials/${extra.accessKeyId}`);
  assert.strictEqual(h.xmlCode(await s3(extra)), 'InvalidAccessKeyId');

  await h.admin(env, 'POST', '/reset');
  assert.deepStrictEqual(await h.admin(env, 'GET', '/counters'), {});
  assert.deepStrictEqual(await h.admin(env, 'GET', '/log'), []);

  const pids = fs.readFileSync(path.join(inst.dir, 'pid'), 'utf8').trim().split('\n').map(Number);
  assert.strictEqual(pids.length, 3);
  inst.stop();
  for (const pid of pids) assert.ok(!running(pid), `process ${pid} is gone`);
  assert.ok((await s3(creds)).error, 'nothing listens any more');
});
