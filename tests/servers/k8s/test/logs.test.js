'use strict';
// Pod logs: follow to the end, timestamps, sinceTime with one-second
// resolution (resume stern's way), sinceSeconds, tailLines, limitBytes and
// the 400 answers while a container is waiting.

const test = require('node:test');
const assert = require('node:assert');
const { start, sleep, simpleJob } = require('./helpers');

let k;
test.before(() => {
  k = start('logs', ['--start-delay-ms', '50']);
});
test.after(() => k.stop());

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z (.*)$/;

async function runningPod(job) {
  return k.until(async () => {
    const pods = await k.podsOf(job);
    const p = pods[0];
    const cs = p && p.status.containerStatuses && p.status.containerStatuses[0];
    return cs && !cs.state.waiting ? p : null;
  }, 15000, `pod of ${job} to start`);
}

test('follow returns every line and ends when the container exits', async () => {
  await k.job('follow', simpleJob('i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i"; [ $((i % 50)) -eq 0 ] && sleep 0.2; done; printf "no newline at end"'));
  const pod = await runningPod('follow');
  const s = k.stream(`${k.nsPath('pods', pod.metadata.name)}/log?follow=true`);
  const res = await s.done;
  assert.strictEqual(res.status, 200);
  assert.ok(res.complete, 'stream ended normally');
  const lines = s.text().split('\n');
  assert.strictEqual(lines.length, 302);
  for (let i = 0; i < 300; i++) assert.strictEqual(lines[i], `line ${i + 1}`);
  assert.strictEqual(lines[300], 'no newline at end');
  const job = await k.jobDone('follow');
  assert.strictEqual(job.status.succeeded, 1);
});

test('timestamps and sinceTime resume without losing lines (one-second resolution)', async () => {
  // ~2.5 s of output, lines in several distinct seconds
  await k.job('since', simpleJob('i=0; while [ $i -lt 25 ]; do i=$((i+1)); echo "n $i"; sleep 0.1; done'));
  const pod = await runningPod('since');
  await k.jobDone('since');
  const all = (await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?timestamps=true`)).text.trim().split('\n');
  assert.strictEqual(all.length, 25);
  const parsed = all.map((l) => TS.exec(l));
  parsed.forEach((m, i) => {
    assert.ok(m, `timestamped line: ${all[i]}`);
    assert.strictEqual(m[3], `n ${i + 1}`);
  });
  // resume from the second of line 12: the server returns every line at or
  // after that second, the client skips the ones it already saw in it
  const sec = parsed[11][1];
  const seenInSec = parsed.slice(0, 12).filter((m) => m[1] === sec).length;
  const firstInSec = parsed.findIndex((m) => m[1] === sec);
  const r = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?timestamps=true&sinceTime=${encodeURIComponent(sec + 'Z')}`);
  const got = r.text.trim().split('\n');
  assert.strictEqual(got[0], all[firstInSec], 'starts with the first line of that second');
  assert.deepStrictEqual(got, all.slice(firstInSec));
  const resumed = got.slice(seenInSec);
  assert.deepStrictEqual(resumed, all.slice(12));
  // a fractional sinceTime still has second resolution
  const r2 = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?sinceTime=${encodeURIComponent(sec + '.999999Z')}`);
  assert.strictEqual(r2.text.trim().split('\n').length, got.length);
});

test('tailLines, limitBytes and sinceSeconds', async () => {
  await k.job('tail', simpleJob('seq 1 1000; sleep 3; echo late'));
  const pod = await runningPod('tail');
  await k.jobDone('tail');
  const base = `${k.nsPath('pods', pod.metadata.name)}/log`;
  assert.strictEqual((await k.get(`${base}?tailLines=3`)).text, '999\n1000\nlate\n');
  assert.strictEqual((await k.get(`${base}?tailLines=0`)).text, '');
  assert.strictEqual((await k.get(`${base}?limitBytes=7`)).text, '1\n2\n3\n4');
  assert.strictEqual((await k.get(`${base}?tailLines=2&limitBytes=6`)).text, '1000\nl');
  const recent = (await k.get(`${base}?sinceSeconds=2`)).text;
  assert.strictEqual(recent, 'late\n');
  const both = await k.get(`${base}?sinceSeconds=1&sinceTime=2020-01-01T00:00:00Z`);
  assert.strictEqual(both.status, 422);
});

test('a waiting container answers 400 with the kubelet message', async () => {
  await k.job('slow', Object.assign(simpleJob('echo hi'), {}));
  const slowSpec = simpleJob('echo created late');
  slowSpec.template.spec.containers[0].image = 'example.com/slow-create:1';
  await k.job('slowc', slowSpec);
  const pod = await k.until(async () => {
    const p = (await k.podsOf('slowc'))[0];
    return p && p.status.containerStatuses ? p : null;
  }, 5000, 'pod status');
  const r = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?follow=true`);
  assert.strictEqual(r.status, 400);
  assert.strictEqual(r.json.kind, 'Status');
  assert.strictEqual(r.json.reason, 'BadRequest');
  assert.strictEqual(r.json.message, `container "build" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
  await k.jobDone('slowc');
  assert.strictEqual((await k.get(`${k.nsPath('pods', pod.metadata.name)}/log`)).text, 'created late\n');

  const pullSpec = simpleJob('echo never');
  pullSpec.template.spec.containers[0].image = 'registry.example/pull-error:1';
  await k.job('pull', pullSpec);
  const pp = await k.until(async () => {
    const p = (await k.podsOf('pull'))[0];
    const w = p && p.status.containerStatuses && p.status.containerStatuses[0].state.waiting;
    return w && w.reason === 'ImagePullBackOff' ? p : null;
  }, 5000, 'ImagePullBackOff');
  const r2 = await k.get(`${k.nsPath('pods', pp.metadata.name)}/log`);
  assert.strictEqual(r2.status, 400);
  assert.strictEqual(r2.json.message, `container "build" in pod "${pp.metadata.name}" is waiting to start: trying and failing to pull image`);
  await sleep(1500);
  const still = (await k.podsOf('pull'))[0];
  assert.strictEqual(still.status.containerStatuses[0].state.waiting.reason, 'ImagePullBackOff');
  assert.strictEqual(still.status.phase, 'Pending');
});

test('multi-container pods need a container name', async () => {
  const spec = simpleJob('echo main');
  spec.template.spec.containers.push({ name: 'db', image: 'postgres:16' });
  await k.job('multi', spec);
  const pod = await runningPod('multi');
  const r = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log`);
  assert.strictEqual(r.status, 400);
  assert.strictEqual(r.json.message, `a container name must be specified for pod ${pod.metadata.name}, choose one of: [build db]`);
  const bad = await k.get(`${k.nsPath('pods', pod.metadata.name)}/log?container=nope`);
  assert.strictEqual(bad.json.message, `container nope is not valid for pod ${pod.metadata.name}`);
});
