'use strict';
// Fault injection (429/500 with Retry-After, cut streams), the request log,
// authentication (tokens, expiry, client certificates) and the RBAC switch.

const test = require('node:test');
const assert = require('node:assert');
const { start, simpleJob } = require('./helpers');

let k;
test.before(() => {
  k = start('faults', ['--start-delay-ms', '20']);
});
test.after(() => k.stop());

test('the next N matching requests get 429 with Retry-After, then normal answers', async () => {
  await k.admin('POST', '/faults/http', { method: 'GET', path: '/configmaps', status: 429, count: 2, retryAfterSeconds: 3 });
  const path = k.nsPath('configmaps');
  const other = await k.get(k.nsPath('secrets'));
  assert.strictEqual(other.status, 200, 'other paths are not affected');
  for (let i = 0; i < 2; i++) {
    const r = await k.get(path);
    assert.strictEqual(r.status, 429);
    assert.strictEqual(r.headers['retry-after'], '3');
    assert.strictEqual(r.json.kind, 'Status');
    assert.strictEqual(r.json.reason, 'TooManyRequests');
    assert.strictEqual(r.json.details.retryAfterSeconds, 3);
  }
  assert.strictEqual((await k.get(path)).status, 200);
  await k.admin('POST', '/faults/http', { path: '/jobs', status: 500 });
  const r = await k.post(k.nsPath('jobs', null, 'batch'), { metadata: { name: 'x' } });
  assert.strictEqual(r.status, 500);
  assert.strictEqual(r.json.reason, 'InternalError');
});

test('a cut log stream delivers exactly B bytes and then breaks the connection', async () => {
  await k.job('cutlog', simpleJob('seq 1 5000'));
  await k.jobDone('cutlog');
  const pod = (await k.podsOf('cutlog'))[0];
  await k.admin('POST', '/faults/cut', { kind: 'log', count: 1, afterBytes: 1000 });
  const s = k.stream(`${k.nsPath('pods', pod.metadata.name)}/log?follow=true`);
  const res = await s.done;
  assert.strictEqual(res.complete, false, 'the response must not end cleanly');
  assert.strictEqual(Buffer.concat(s.chunks).length, 1000);
  // the next stream is whole again
  const s2 = k.stream(`${k.nsPath('pods', pod.metadata.name)}/log?follow=true`);
  const res2 = await s2.done;
  assert.ok(res2.complete);
  assert.strictEqual(s2.text().split('\n').length, 5001);
});

test('a cut watch stream breaks mid-way', async () => {
  await k.admin('POST', '/faults/cut', { kind: 'watch', count: 1, afterBytes: 150 });
  for (let i = 0; i < 3; i++) await k.post(k.nsPath('configmaps'), { metadata: { name: `cw-${i}` }, data: { k: 'v' } });
  const s = k.stream(`${k.nsPath('configmaps')}?watch=1`);
  const res = await s.done;
  assert.strictEqual(res.complete, false);
  assert.strictEqual(Buffer.concat(s.chunks).length, 150);
});

test('the request log records method, path, user and delete options', async () => {
  await k.admin('DELETE', '/requests');
  await k.job('logged', simpleJob('true'));
  await k.del(k.nsPath('jobs', 'logged', 'batch'), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  const r = await k.admin('GET', '/requests?method=DELETE&path=/jobs/');
  assert.strictEqual(r.json.length, 1);
  assert.strictEqual(r.json[0].user, 'tester');
  assert.strictEqual(r.json[0].status, 200);
  assert.strictEqual(r.json[0].path, `/apis/batch/v1/namespaces/${k.ns}/jobs/logged`);
  assert.strictEqual(r.json[0].body.propagationPolicy, 'Background');
});

test('bad and expired tokens get 401; added tokens work', async () => {
  const bad = await k.get('/api/v1/namespaces', { token: 'nope' });
  assert.strictEqual(bad.status, 401);
  assert.deepStrictEqual(bad.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  await k.admin('POST', '/tokens', { token: 'short-lived', user: 'plugin-user' });
  assert.strictEqual((await k.get('/api/v1/namespaces', { token: 'short-lived' })).status, 200);
  await k.admin('POST', '/tokens/expire', { token: 'short-lived' });
  assert.strictEqual((await k.get('/api/v1/namespaces', { token: 'short-lived' })).status, 401);
  assert.strictEqual((await k.get('/api/v1/namespaces')).status, 200, 'other tokens still work');
  const anon = await k.get('/version', { token: null });
  assert.strictEqual(anon.status, 200);
  assert.strictEqual(anon.json.gitVersion, 'v1.32.0');
  const anonList = await k.get(k.nsPath('pods'), { token: null });
  assert.strictEqual(anonList.status, 403);
  assert.strictEqual(anonList.json.message, `pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "${k.ns}"`);
});

test('client certificates authenticate as their CN', async () => {
  await k.admin('DELETE', '/requests');
  const r = await k.get(k.nsPath('pods'), { cert: true });
  assert.strictEqual(r.status, 200);
  const log = await k.admin('GET', '/requests');
  assert.strictEqual(log.json[0].user, 'certuser');
});

test('RBAC: forbidden verbs get the real 403 shape', async () => {
  await k.job('rbac', simpleJob('true'));
  await k.admin('POST', '/rbac/forbid', { user: 'tester', verb: 'delete', resource: 'jobs' });
  await k.admin('POST', '/rbac/forbid', { user: 'certuser', verb: 'get', resource: 'pods/log' });
  const r = await k.del(k.nsPath('jobs', 'rbac', 'batch'));
  assert.strictEqual(r.status, 403);
  assert.strictEqual(r.json.reason, 'Forbidden');
  assert.strictEqual(r.json.message, `jobs.batch "rbac" is forbidden: User "tester" cannot delete resource "jobs" in API group "batch" in the namespace "${k.ns}"`);
  assert.deepStrictEqual(r.json.details, { name: 'rbac', group: 'batch', kind: 'jobs' });
  const lg = await k.get(`${k.nsPath('pods', 'whatever')}/log`, { cert: true });
  assert.strictEqual(lg.json.message, `pods "whatever" is forbidden: User "certuser" cannot get resource "pods/log" in API group "" in the namespace "${k.ns}"`);
  // other users and verbs are unaffected
  assert.strictEqual((await k.get(k.nsPath('jobs', 'rbac', 'batch'))).status, 200);
  await k.admin('POST', '/rbac/reset');
  assert.strictEqual((await k.del(k.nsPath('jobs', 'rbac', 'batch'))).status, 200);
  const ns = await k.get('/api/v1/namespaces/nope', { token: null });
  assert.strictEqual(ns.json.message, 'namespaces "nope" is forbidden: User "system:anonymous" cannot get resource "namespaces" in API group "" at the cluster scope');
});

test('HTTP/2: a cut resets only its stream; the session keeps serving', async () => {
  const http2 = require('http2');
  await k.job('h2cut', simpleJob('seq 1 3000'));
  await k.jobDone('h2cut');
  const pod = (await k.podsOf('h2cut'))[0];
  const session = http2.connect(k.env.K8S_TEST_URL, { ca: k.ca });
  const get = (p) => new Promise((resolve) => {
    const st = session.request({ ':path': p, authorization: `Bearer ${k.token}` });
    const chunks = [];
    let status = 0;
    st.on('response', (h) => {
      status = h[':status'];
    });
    st.on('data', (d) => chunks.push(d));
    st.on('error', () => {}); // a reset stream reports its rstCode on close
    st.on('close', () => resolve({ status, body: Buffer.concat(chunks), rstCode: st.rstCode }));
    st.end();
  });
  try {
    await k.admin('POST', '/faults/cut', { kind: 'log', count: 1, afterBytes: 500 });
    const cut = await get(`${k.nsPath('pods', pod.metadata.name)}/log?follow=true`);
    assert.strictEqual(cut.status, 200);
    assert.strictEqual(cut.body.length, 500);
    assert.strictEqual(cut.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    const whole = await get(`${k.nsPath('pods', pod.metadata.name)}/log`);
    assert.strictEqual(whole.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    assert.strictEqual(whole.body.toString().split('\n').length, 3001);
    const v = await get('/version');
    assert.strictEqual(JSON.parse(v.body).gitVersion, 'v1.32.0');
  } finally {
    session.close();
  }
});
