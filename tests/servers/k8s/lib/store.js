'use strict';
// Object store: one global resourceVersion counter, a bounded event history
// for watches, watcher fan-out and deferred change notification for the
// controllers. Stored objects are never mutated: writers pass a new object.

const { matchLabels, matchFields } = require('./selectors');

class Store {
  constructor(opts) {
    this.rv = 1;
    this.objects = new Map(); // resource key -> Map("ns/name" -> object)
    this.history = []; // {rv, type, res, obj, old}
    this.historyMax = (opts && opts.historyMax) || 5000;
    this.oldestRv = 1; // history holds every event with rv > oldestRv
    this.watchers = new Set();
    this.listeners = [];
    this.pending = [];
    this.flushScheduled = false;
    this.byUid = new Map(); // uid -> {res, obj}
  }

  getByUid(uid) {
    const e = this.byUid.get(uid);
    return e ? e.obj : undefined;
  }

  _map(res) {
    let m = this.objects.get(res.key);
    if (!m) {
      m = new Map();
      this.objects.set(res.key, m);
    }
    return m;
  }

  get(res, ns, name) {
    return this._map(res).get(`${ns || ''}/${name}`);
  }

  // Objects of a resource in a namespace (all when ns is empty), in key order.
  list(res, ns) {
    const out = [];
    for (const [k, v] of this._map(res)) {
      if (!ns || v.metadata.namespace === ns) out.push([k, v]);
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map((e) => e[1]);
  }

  static keyOf(obj) {
    return `${obj.metadata.namespace || ''}/${obj.metadata.name}`;
  }

  create(res, obj) {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this._map(res).set(Store.keyOf(obj), obj);
    if (obj.metadata.uid) this.byUid.set(obj.metadata.uid, { res, obj });
    this._emit('ADDED', res, obj, undefined);
    return obj;
  }

  update(res, obj) {
    const key = Store.keyOf(obj);
    const old = this._map(res).get(key);
    if (!old) return undefined;
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this._map(res).set(key, obj);
    if (obj.metadata.uid) this.byUid.set(obj.metadata.uid, { res, obj });
    this._emit('MODIFIED', res, obj, old);
    return obj;
  }

  remove(res, ns, name) {
    const key = `${ns || ''}/${name}`;
    const old = this._map(res).get(key);
    if (!old) return undefined;
    this._map(res).delete(key);
    this.byUid.delete(old.metadata.uid);
    this.rv++;
    const last = JSON.parse(JSON.stringify(old));
    last.metadata.resourceVersion = String(this.rv);
    this._emit('DELETED', res, last, old);
    return last;
  }

  _emit(type, res, obj, old) {
    const ev = { rv: this.rv, type, res, obj, old };
    this.history.push(ev);
    if (this.history.length > this.historyMax) {
      const dropped = this.history.splice(0, this.history.length - this.historyMax);
      this.oldestRv = dropped[dropped.length - 1].rv;
    }
    for (const w of this.watchers) {
      if (w.res === res) w.deliver(ev);
    }
    this.pending.push(ev);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this._flush());
    }
  }

  _flush() {
    this.flushScheduled = false;
    const evs = this.pending;
    this.pending = [];
    for (const ev of evs) {
      for (const fn of this.listeners) {
        try {
          fn(ev);
        } catch (e) {
          process.stderr.write(`k8s-server: controller error: ${e.stack}\n`);
        }
      }
    }
  }

  // Controllers register here; they are called after the write returned.
  onChange(fn) {
    this.listeners.push(fn);
  }

  // Forgets the history: watches from any earlier resourceVersion get 410.
  // Bumps the counter so a fresh list gives a watchable resourceVersion.
  compact() {
    this.rv++;
    this.history = [];
    this.oldestRv = this.rv;
  }

  // A watcher: filter {ns, labels, fields}; deliver(type, obj) receives
  // already-filtered events. Returns the watcher (call store.unwatch()).
  // fromRv: null for "now" (no replay); a number replays history after it.
  // Throws {expired: true} when fromRv is older than the history.
  watch(res, filter, fromRv, deliverFn) {
    const w = {
      res,
      filter,
      deliver: (ev) => {
        const out = Store.filterEvent(filter, ev);
        if (out) deliverFn(out[0], out[1], ev.rv);
      },
    };
    if (fromRv !== null) {
      if (fromRv < this.oldestRv) {
        const e = new Error('expired');
        e.expired = true;
        e.oldest = this.oldestRv;
        throw e;
      }
      for (const ev of this.history) {
        if (ev.rv > fromRv && ev.res === res) w.deliver(ev);
      }
    }
    this.watchers.add(w);
    return w;
  }

  unwatch(w) {
    this.watchers.delete(w);
  }

  static matches(filter, obj) {
    if (filter.ns && obj.metadata.namespace !== filter.ns) return false;
    if (filter.labels && !matchLabels(filter.labels, obj.metadata.labels)) return false;
    if (filter.fields && !matchFields(filter.fields, obj)) return false;
    return true;
  }

  // Translates a raw event into what a filtered watch sees: an object that
  // stops matching is DELETED for that watch, one that starts matching ADDED.
  static filterEvent(filter, ev) {
    if (ev.type === 'ADDED') return Store.matches(filter, ev.obj) ? ['ADDED', ev.obj] : null;
    if (ev.type === 'DELETED') return Store.matches(filter, ev.obj) ? ['DELETED', ev.obj] : null;
    const now = Store.matches(filter, ev.obj);
    const before = ev.old ? Store.matches(filter, ev.old) : false;
    if (now && before) return ['MODIFIED', ev.obj];
    if (now) return ['ADDED', ev.obj];
    if (before) return ['DELETED', ev.obj];
    return null;
  }
}

module.exports = { Store };
