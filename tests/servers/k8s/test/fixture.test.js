'use strict';
// The shared ctest fixture instance: env, kubeconfig and a live API.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { Instance } = require('./helpers');

test('the fixture instance serves the API with the advertised credentials', async () => {
  const dir = process.env.K8S_STATE_DIR;
  assert.ok(dir, 'K8S_STATE_DIR is set');
  for (const f of ['env', 'env.json', 'kubeconfig', 'kubeconfig-inline', 'pid', 'ca.crt', 'client.crt', 'client.key', 'tokens.csv']) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} exists`);
  }
  const env = fs.readFileSync(path.join(dir, 'env'), 'utf8');
  for (const v of ['K8S_TEST_URL', 'K8S_TEST_ADMIN_URL', 'K8S_TEST_TOKEN', 'KUBECONFIG']) assert.match(env, new RegExp(`^export ${v}=`, 'm'));
  const k = new Instance(dir);
  const v = await k.get('/version');
  assert.strictEqual(v.json.gitVersion, 'v1.32.0');
  const ns = await k.get(`/api/v1/namespaces/${k.ns}`);
  assert.strictEqual(ns.status, 200);
  assert.strictEqual(ns.json.status.phase, 'Active');
  const health = await k.admin('GET', '/healthz');
  assert.strictEqual(health.json, 'ok');
});
