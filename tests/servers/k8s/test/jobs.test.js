'use strict';
// Job and Pod simulation: pod naming and labels, status transitions,
// failures (BackoffLimitExceeded, DeadlineExceeded, OOMKilled), env and
// volumes from Secrets/ConfigMaps, sidecars, garbage collection and the
// Status error shapes.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const { start, sleep, simpleJob } = require('./helpers');

let k;
test.before(() => {
  k = start('jobs', ['--start-delay-ms', '50']);
});
test.after(() => k.stop());

function cond(obj, type) {
  return (obj.status.conditions || []).find((c) => c.type === type);
}

test('a Job creates a labelled, owned pod and reports Complete', async () => {
  const job = await k.job('ok', simpleJob('echo hello; exit 0', { template: { metadata: { labels: { team: 'a' } }, spec: simpleJob('echo hello').template.spec } }));
  assert.strictEqual(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], job.metadata.uid);
  assert.strictEqual(job.metadata.generation, 1);
  assert.ok(job.metadata.creationTimestamp && job.metadata.resourceVersion && job.metadata.uid);
  const done = await k.jobDone('ok');
  assert.ok(cond(done, 'Complete'));
  assert.ok(cond(done, 'SuccessCriteriaMet'));
  assert.strictEqual(done.status.succeeded, 1);
  assert.strictEqual(done.status.active, undefined);
  assert.ok(done.status.startTime && done.status.completionTime);
  const [pod] = await k.podsOf('ok');
  assert.match(pod.metadata.name, /^ok-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const l = pod.metadata.labels;
  assert.strictEqual(l['job-name'], 'ok');
  assert.strictEqual(l['batch.kubernetes.io/job-name'], 'ok');
  assert.strictEqual(l['controller-uid'], job.metadata.uid);
  assert.strictEqual(l.team, 'a');
  assert.deepStrictEqual(pod.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'ok', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.strictEqual(pod.status.phase, 'Succeeded');
  const t = pod.status.containerStatuses[0].state.terminated;
  assert.strictEqual(t.exitCode, 0);
  assert.strictEqual(t.reason, 'Completed');
  assert.ok(t.startedAt && t.finishedAt);
});

test('pod status passes Pending/ContainerCreating -> Running -> Failed', async () => {
  const seen = [];
  const w = k.stream(`${k.nsPath('pods')}?watch=1&labelSelector=job-name%3Dphases`, {
    onData: () => {},
  });
  await k.job('phases', simpleJob('sleep 0.5; echo bye; exit 3'));
  const done = await k.jobDone('phases');
  await sleep(200);
  w.abort();
  for (const line of w.text().split('\n').filter(Boolean)) {
    const p = JSON.parse(line).object;
    const cs = (p.status.containerStatuses || [])[0];
    const state = cs ? Object.keys(cs.state)[0] + ':' + (cs.state.waiting ? cs.state.waiting.reason : cs.state.terminated ? cs.state.terminated.reason : '') : '-';
    const s = `${p.status.phase}/${state}`;
    if (seen[seen.length - 1] !== s) seen.push(s);
  }
  assert.deepStrictEqual(seen, ['Pending/-', 'Pending/waiting:ContainerCreating', 'Running/running:', 'Failed/terminated:Error']);
  const f = cond(done, 'Failed');
  assert.strictEqual(f.reason, 'BackoffLimitExceeded');
  assert.strictEqual(done.status.failed, 1);
  const [pod] = await k.podsOf('phases');
  assert.strictEqual(pod.status.containerStatuses[0].state.terminated.exitCode, 3);
});

test('backoffLimit retries failed pods before failing', async () => {
  const done = await k.jobDone((await k.job('retry', simpleJob('exit 1', { backoffLimit: 1 }))).metadata.name, 20000);
  assert.strictEqual(cond(done, 'Failed').reason, 'BackoffLimitExceeded');
  assert.strictEqual(done.status.failed, 2);
  assert.strictEqual((await k.podsOf('retry')).length, 2);
});

test('activeDeadlineSeconds kills the pod and fails the Job with DeadlineExceeded', async () => {
  await k.job('deadline', simpleJob('sleep 30', { activeDeadlineSeconds: 1 }));
  const done = await k.jobDone('deadline', 15000);
  const f = cond(done, 'Failed');
  assert.strictEqual(f.reason, 'DeadlineExceeded');
  assert.strictEqual(f.message, 'Job was active longer than specified deadline');
  await k.until(async () => (await k.podsOf('deadline')).length === 0, 10000, 'pod removal');
});

test('an oom image is killed with OOMKilled / 137', async () => {
  const spec = simpleJob('sleep 10');
  spec.template.spec.containers[0].image = 'example/oom:1';
  await k.job('oom', spec);
  await k.jobDone('oom');
  const t = (await k.podsOf('oom'))[0].status.containerStatuses[0].state.terminated;
  assert.strictEqual(t.reason, 'OOMKilled');
  assert.strictEqual(t.exitCode, 137);
});

test('env from Secrets and ConfigMaps; a missing Secret is CreateContainerConfigError until it exists', async () => {
  const spec = simpleJob('echo "$TOKEN $MODE $PFX_color $NAME $(echo ok)"');
  spec.template.spec.containers[0].env = [
    { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'later', key: 'token' } } },
    { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
    { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ];
  spec.template.spec.containers[0].envFrom = [{ prefix: 'PFX_', configMapRef: { name: 'settings' } }];
  await k.post(k.nsPath('configmaps'), { metadata: { name: 'settings' }, data: { mode: 'fast', color: 'blue' } });
  await k.job('envs', spec);
  const pod = await k.until(async () => {
    const p = (await k.podsOf('envs'))[0];
    const w = p && p.status.containerStatuses && p.status.containerStatuses[0].state.waiting;
    return w && w.reason === 'CreateContainerConfigError' ? p : null;
  }, 5000, 'CreateContainerConfigError');
  assert.strictEqual(pod.status.containerStatuses[0].state.waiting.message, 'secret "later" not found');
  await k.post(k.nsPath('secrets'), { metadata: { name: 'later' }, stringData: { token: 's3cr3t' } });
  await k.jobDone('envs');
  const log = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log`);
  assert.strictEqual(log.text, `s3cr3t fast blue ${pod.metadata.name} ok\n`);
});

test('configMap/secret/emptyDir volumes are materialised and mountPaths rewritten', async () => {
  await k.post(k.nsPath('configmaps'), { metadata: { name: 'scripts' }, data: { 'build.sh': 'echo "from script $ARTIFACTS_DIR" > "$ARTIFACTS_DIR/out.txt"; cat "$CREDS/x.txt"\n', other: 'skip' } });
  await k.post(k.nsPath('secrets'), { metadata: { name: 'creds' }, data: { key: Buffer.from('AKIA').toString('base64') } });
  const spec = simpleJob('');
  const c = spec.template.spec.containers[0];
  c.command = ['/bin/sh', '/scripts/build.sh'];
  c.env = [{ name: 'ARTIFACTS_DIR', value: '/artifacts' }, { name: 'CREDS', value: '/config/sub' }];
  c.volumeMounts = [
    { name: 'scripts', mountPath: '/scripts' },
    { name: 'artifacts', mountPath: '/artifacts' },
    { name: 'creds', mountPath: '/config/sub' },
  ];
  spec.template.spec.volumes = [
    { name: 'scripts', configMap: { name: 'scripts', items: [{ key: 'build.sh', path: 'build.sh', mode: 0o755 }] } },
    { name: 'artifacts', emptyDir: {} },
    { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'key', path: 'x.txt' }], defaultMode: 0o400 } },
  ];
  await k.job('vols', spec);
  const done = await k.jobDone('vols');
  assert.ok(cond(done, 'Complete'), JSON.stringify(done.status));
  const [pod] = await k.podsOf('vols');
  const st = (await k.admin('GET', '/state')).json;
  const dir = st.pods.find((p) => p.uid === pod.metadata.uid).dir;
  assert.strictEqual(fs.readFileSync(`${dir}/volumes/artifacts/out.txt`, 'utf8'), `from script ${dir}/volumes/artifacts\n`);
  assert.strictEqual(fs.statSync(`${dir}/volumes/scripts/build.sh`).mode & 0o777, 0o755);
  assert.strictEqual(fs.statSync(`${dir}/volumes/creds/x.txt`).mode & 0o777, 0o400);
  assert.ok(!fs.existsSync(`${dir}/volumes/scripts/other`), 'items select keys');
  assert.strictEqual((await k.get(`${k.nsPath('pods', pod.metadata.name)}/log`)).text, 'AKIA\n');
});

test('sidecars run beside build and are stopped when build ends', async () => {
  const spec = simpleJob('sleep 0.5; echo built');
  spec.template.spec.containers.push({ name: 'db', image: 'postgres:16', command: ['/bin/sh', '-c', 'echo db up; exec sleep 60'] });
  await k.job('side', spec);
  const done = await k.jobDone('side', 10000);
  assert.ok(cond(done, 'Complete'));
  const [pod] = await k.podsOf('side');
  assert.strictEqual(pod.status.phase, 'Succeeded');
  const db = pod.status.containerStatuses.find((c) => c.name === 'db');
  assert.ok(db.state.terminated, 'sidecar terminated');
  assert.strictEqual((await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?container=db`)).text, 'db up\n');
});

test('delete propagation: Background, Foreground, Orphan and the batch/v1 default', async () => {
  const mk = async (name) => {
    await k.job(name, simpleJob('sleep 30'));
    await k.until(async () => (await k.podsOf(name)).length === 1, 5000, 'pod');
    const job = (await k.get(k.nsPath('jobs', name, 'batch'))).json;
    await k.post(k.nsPath('configmaps'), { metadata: { name: `${name}-cm`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid }] }, data: {} });
    return job;
  };
  await mk('bg');
  const r = await k.del(k.nsPath('jobs', 'bg', 'batch'), { propagationPolicy: 'Background' });
  assert.strictEqual(r.json.kind, 'Status');
  assert.strictEqual(r.json.status, 'Success');
  assert.strictEqual((await k.get(k.nsPath('jobs', 'bg', 'batch'))).status, 404);
  await k.until(async () => (await k.podsOf('bg')).length === 0, 10000, 'bg pod gone');
  await k.until(async () => (await k.get(k.nsPath('configmaps', 'bg-cm'))).status === 404, 5000, 'owned configmap gone');

  await mk('fg');
  const f = await k.request('DELETE', `${k.nsPath('jobs', 'fg', 'batch')}?propagationPolicy=Foreground`);
  assert.strictEqual(f.json.kind, 'Job');
  assert.ok(f.json.metadata.deletionTimestamp);
  assert.deepStrictEqual(f.json.metadata.finalizers, ['foregroundDeletion']);
  await k.until(async () => (await k.get(k.nsPath('jobs', 'fg', 'batch'))).status === 404, 10000, 'fg job gone');
  assert.strictEqual((await k.podsOf('fg')).length, 0, 'dependents went first');

  await mk('orph');
  await k.del(k.nsPath('jobs', 'orph', 'batch')); // no policy: batch/v1 orphans
  await k.until(async () => (await k.get(k.nsPath('jobs', 'orph', 'batch'))).status === 404, 5000, 'orphaning job gone');
  await sleep(300);
  const pods = await k.podsOf('orph');
  assert.strictEqual(pods.length, 1);
  assert.strictEqual(pods[0].metadata.ownerReferences, undefined);
  assert.strictEqual((await k.get(k.nsPath('configmaps', 'orph-cm'))).status, 200);
  await k.del(k.nsPath('pods', pods[0].metadata.name), { gracePeriodSeconds: 0 });
});

test('Status errors: NotFound, AlreadyExists, Invalid with causes, Conflict', async () => {
  const nf = await k.get(k.nsPath('jobs', 'nope', 'batch'));
  assert.deepStrictEqual(nf.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'jobs.batch "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'batch', kind: 'jobs' }, code: 404 });
  await k.post(k.nsPath('configmaps'), { metadata: { name: 'dup' } });
  const ae = await k.post(k.nsPath('configmaps'), { metadata: { name: 'dup' } });
  assert.strictEqual(ae.status, 409);
  assert.strictEqual(ae.json.reason, 'AlreadyExists');
  assert.strictEqual(ae.json.message, 'configmaps "dup" already exists');
  const inv = await k.post(k.nsPath('jobs', null, 'batch'), { metadata: { name: 'bad' }, spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'build' }] } } } });
  assert.strictEqual(inv.status, 422);
  assert.strictEqual(inv.json.reason, 'Invalid');
  assert.strictEqual(inv.json.message, 'Job.batch "bad" is invalid: [spec.template.spec.containers[0].image: Required value, spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"]');
  assert.deepStrictEqual(inv.json.details.causes.map((c) => c.field), ['spec.template.spec.containers[0].image', 'spec.template.spec.restartPolicy']);
  assert.strictEqual(inv.json.details.causes[1].reason, 'FieldValueNotSupported');
  const cur = (await k.get(k.nsPath('configmaps', 'dup'))).json;
  await k.request('PUT', k.nsPath('configmaps', 'dup'), { body: Object.assign({}, cur, { data: { a: '1' } }) });
  const conflict = await k.request('PUT', k.nsPath('configmaps', 'dup'), { body: Object.assign({}, cur, { data: { a: '2' } }) });
  assert.strictEqual(conflict.status, 409);
  assert.strictEqual(conflict.json.reason, 'Conflict');
  assert.strictEqual(conflict.json.message, 'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again');
  const nons = await k.post('/api/v1/namespaces/missing/configmaps', { metadata: { name: 'x' } });
  assert.strictEqual(nons.json.message, 'namespaces "missing" not found');
});
