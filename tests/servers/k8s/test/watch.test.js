'use strict';
// Watch semantics: event order and types, arbitrary chunk boundaries,
// bookmarks, selector transitions, 410 Expired in-band, timeouts, Tables.

const test = require('node:test');
const assert = require('node:assert');
const { start, sleep } = require('./helpers');

let k;
test.before(() => {
  k = start('watch', ['--split-probability', '0.7', '--bookmark-interval-ms', '200', '--seed', '42']);
});
test.after(() => k.stop());

function events(text) {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function cm(name, labels, data) {
  const r = await k.post(k.nsPath('configmaps'), { metadata: { name, labels }, data: data || { a: '1' } });
  assert.strictEqual(r.status, 201, r.text);
  return r.json;
}

test('events are newline-delimited JSON split at arbitrary byte boundaries', async () => {
  const list = await k.get(k.nsPath('configmaps'));
  const rv = list.json.metadata.resourceVersion;
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${rv}&labelSelector=chunk%3Dyes`);
  await sleep(100);
  for (let i = 0; i < 40; i++) await cm(`chunk-${i}`, { chunk: 'yes' }, { text: 'x'.repeat(50 + i) });
  for (let i = 0; i < 10; i++) {
    await k.request('PATCH', k.nsPath('configmaps', `chunk-${i}`), { body: { data: { more: String(i) } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  }
  for (let i = 0; i < 5; i++) await k.del(k.nsPath('configmaps', `chunk-${i}`));
  await k.until(() => (w.text().match(/\n/g) || []).length >= 55, 10000, '55 events');
  w.abort();
  const evs = events(w.text());
  assert.deepStrictEqual(evs.map((e) => e.type), Array(40).fill('ADDED').concat(Array(10).fill('MODIFIED'), Array(5).fill('DELETED')));
  assert.strictEqual(evs[0].object.kind, 'ConfigMap');
  assert.strictEqual(evs[0].object.apiVersion, 'v1');
  // resourceVersions strictly increase
  const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
  for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i] > rvs[i - 1]);
  // at least one chunk ends inside an event (not at a newline)
  const midEvent = w.chunks.filter((c) => c[c.length - 1] !== 10).length;
  assert.ok(midEvent > 0, `expected chunks split inside events, got ${w.chunks.length} chunks`);
});

test('bookmarks arrive periodically and carry the current resourceVersion', async () => {
  const list = await k.get(k.nsPath('configmaps'));
  const w = k.stream(`${k.nsPath('configmaps')}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.json.metadata.resourceVersion}`);
  await sleep(1200);
  w.abort();
  const bms = events(w.text()).filter((e) => e.type === 'BOOKMARK');
  assert.ok(bms.length >= 2, `bookmarks: ${bms.length}`);
  assert.strictEqual(bms[0].object.kind, 'ConfigMap');
  assert.ok(Number(bms[0].object.metadata.resourceVersion) >= Number(list.json.metadata.resourceVersion));
});

test('watch without resourceVersion starts with ADDED for existing objects; selector changes give ADDED/DELETED', async () => {
  await cm('sel-a', { tier: 'one' });
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&labelSelector=tier%20in%20(one,two)`);
  await k.until(() => w.text().includes('sel-a'), 5000, 'initial ADDED');
  // relabel out of the selector -> DELETED for this watch, back in -> ADDED
  const patch = (labels) => k.request('PATCH', k.nsPath('configmaps', 'sel-a'), { body: { metadata: { labels } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
  await patch({ tier: 'three' });
  await patch({ tier: 'two' });
  await k.until(() => events(w.text().replace(/[^\n]*$/, '')).length >= 3, 5000, '3 events');
  w.abort();
  assert.deepStrictEqual(events(w.text().replace(/[^\n]*$/, '')).map((e) => e.type), ['ADDED', 'DELETED', 'ADDED']);
});

test('an expired resourceVersion gets an in-band ERROR 410 Expired', async () => {
  const list = await k.get(k.nsPath('configmaps'));
  const rv = list.json.metadata.resourceVersion;
  await cm('exp-1', {});
  const r = await k.admin('POST', '/faults/expire', {});
  assert.strictEqual(r.status, 200);
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${rv}`);
  const res = await w.done;
  assert.strictEqual(res.status, 200);
  const evs = events(w.text());
  assert.strictEqual(evs.length, 1);
  assert.strictEqual(evs[0].type, 'ERROR');
  assert.strictEqual(evs[0].object.kind, 'Status');
  assert.strictEqual(evs[0].object.code, 410);
  assert.strictEqual(evs[0].object.reason, 'Expired');
  assert.match(evs[0].object.message, /^too old resource version: \d+ \(\d+\)$/);
  // a fresh list gives a resourceVersion that can be watched again
  const list2 = await k.get(k.nsPath('configmaps'));
  const w2 = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${list2.json.metadata.resourceVersion}&timeoutSeconds=1`);
  await cm('exp-2', {});
  await w2.done;
  assert.deepStrictEqual(events(w2.text()).map((e) => e.type), ['ADDED']);
});

test('forced expiry: the next watch gets 410 even from a current resourceVersion', async () => {
  await k.admin('POST', '/faults/expire', { next: 1 });
  const list = await k.get(k.nsPath('configmaps'));
  const rv = list.json.metadata.resourceVersion;
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
  await w.done;
  assert.strictEqual(events(w.text())[0].object.code, 410);
  const w2 = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${rv}&timeoutSeconds=1`);
  await w2.done;
  assert.ok(!w2.text().includes('"ERROR"'));
});

test('timeoutSeconds ends the watch cleanly', async () => {
  const t0 = Date.now();
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&resourceVersion=${(await k.get(k.nsPath('configmaps'))).json.metadata.resourceVersion}&timeoutSeconds=1`);
  const res = await w.done;
  assert.ok(res.complete, 'response completed');
  assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 5000);
});

test('watch with Accept Table gives one-row Tables', async () => {
  const w = k.stream(`${k.nsPath('configmaps')}?watch=1&fieldSelector=metadata.name%3Dtbl`, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });
  await sleep(100);
  await cm('tbl', {}, { a: '1', b: '2' });
  await k.until(() => w.text().includes('\n'), 5000, 'table event');
  w.abort();
  const ev = events(w.text().replace(/[^\n]*$/, ''))[0];
  assert.strictEqual(ev.object.kind, 'Table');
  assert.deepStrictEqual(ev.object.columnDefinitions.map((c) => c.name), ['Name', 'Data', 'Age']);
  assert.strictEqual(ev.object.rows[0].cells[0], 'tbl');
  assert.strictEqual(ev.object.rows[0].cells[1], 2);
  assert.strictEqual(ev.object.rows[0].object.kind, 'PartialObjectMetadata');
});

test('list paging with limit/continue and unsupported field selectors', async () => {
  for (let i = 0; i < 7; i++) await cm(`page-${i}`, { page: 'yes' });
  const seen = [];
  let cont = '';
  let pages = 0;
  do {
    const r = await k.get(`${k.nsPath('configmaps')}?labelSelector=page&limit=3${cont ? '&continue=' + encodeURIComponent(cont) : ''}`);
    assert.strictEqual(r.status, 200);
    seen.push(...r.json.items.map((i) => i.metadata.name));
    cont = r.json.metadata.continue;
    if (cont) assert.strictEqual(r.json.metadata.remainingItemCount, 7 - seen.length);
    pages++;
  } while (cont);
  assert.strictEqual(pages, 3);
  assert.deepStrictEqual(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
  const bad = await k.get(`${k.nsPath('configmaps')}?fieldSelector=spec.foo%3Dbar`);
  assert.strictEqual(bad.status, 400);
  assert.strictEqual(bad.json.message, 'field label not supported: spec.foo');
  const neq = await k.get(`${k.nsPath('configmaps')}?labelSelector=page!%3Dyes,!chunk`);
  assert.ok(neq.json.items.every((i) => !(i.metadata.labels || {}).page));
});
