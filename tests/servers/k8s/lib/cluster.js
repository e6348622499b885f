'use strict';
// Object lifecycle shared by the REST layer and the controllers: create,
// update, patch, delete with propagation policies, the garbage collector
// (ownerReferences), namespace termination and Event recording.

const R = require('./resources');
const { Store } = require('./store');
const { errors, rfc3339, uid, clone, generateName } = require('./util');
const { mergePatch, jsonPatch } = require('./patch');

const PODS = R.find('', 'v1', 'pods');
const NAMESPACES = R.find('', 'v1', 'namespaces');
const EVENTS = R.find('', 'v1', 'events');
const CONFIGMAPS = R.find('', 'v1', 'configmaps');
const SERVICEACCOUNTS = R.find('', 'v1', 'serviceaccounts');

class Cluster {
  constructor(opts) {
    this.store = new Store({ historyMax: opts.historyMax });
    this.caPem = opts.caPem || '';
    this.gcDelayMs = opts.gcDelayMs === undefined ? 50 : opts.gcDelayMs;
    this.foreground = new Set(); // uids of owners waiting for their dependents
    this.store.onChange((ev) => this._gcOnChange(ev));
  }

  // ---- helpers -------------------------------------------------------------

  checkNamespace(ns, forCreate) {
    const n = this.store.get(NAMESPACES, '', ns);
    if (!n) throw errors.namespaceNotFound(ns);
    if (forCreate && n.metadata.deletionTimestamp) {
      throw errors.forbidden(`unable to create new content in namespace ${ns} because it is being terminated`,
        { name: ns, kind: 'namespaces' });
    }
  }

  mustGet(res, ns, name) {
    const o = this.store.get(res, ns, name);
    if (!o) throw errors.notFound(res, name);
    return o;
  }

  // Writes a modified copy of a stored object; removes it when it is being
  // deleted and has no finalizers left.
  write(res, obj) {
    const m = obj.metadata;
    if (m.deletionTimestamp && (!m.finalizers || m.finalizers.length === 0) && res !== PODS) {
      return this.store.remove(res, m.namespace, m.name);
    }
    return this.store.update(res, obj);
  }

  // ---- create --------------------------------------------------------------

  createObject(res, ns, body, opts) {
    opts = opts || {};
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body of the request could not be decoded as an object');
    if (body.apiVersion && body.apiVersion !== res.apiVersion) {
      throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${res.apiVersion})`);
    }
    if (body.kind && body.kind !== res.kind) {
      throw errors.badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${res.kind})`);
    }
    const obj = clone(body);
    delete obj.kind;
    delete obj.apiVersion;
    const m = (obj.metadata = obj.metadata || {});
    if (res.namespaced) {
      if (m.namespace && m.namespace !== ns) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = ns;
      this.checkNamespace(ns, true);
    } else {
      delete m.namespace;
    }
    if (!m.name && m.generateName) m.name = generateName(m.generateName);
    if (!m.name) {
      throw errors.invalid(res, '', [{ field: 'metadata.name', type: 'Required value', detail: 'name or generateName is required' }]);
    }
    const causes = R.validate(res, obj);
    if (causes.length) throw errors.invalid(res, m.name, causes);
    if (this.store.get(res, ns, m.name)) throw errors.alreadyExists(res, m.name);
    m.uid = uid();
    m.creationTimestamp = rfc3339();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (R.hasGeneration(res)) m.generation = 1;
    else delete m.generation;
    if (res.kind !== 'Pod' && res.kind !== 'Job' && res.kind !== 'Namespace') delete obj.status;
    R.applyDefaults(res, obj);
    if (opts.dryRun) return obj;
    const stored = this.store.create(res, obj);
    if (res === NAMESPACES) this._populateNamespace(stored.metadata.name);
    return stored;
  }

  // Every namespace gets a default ServiceAccount and kube-root-ca.crt.
  _populateNamespace(ns) {
    if (!this.store.get(SERVICEACCOUNTS, ns, 'default')) {
      this.createObject(SERVICEACCOUNTS, ns, { metadata: { name: 'default' } });
    }
    if (!this.store.get(CONFIGMAPS, ns, 'kube-root-ca.crt')) {
      this.createObject(CONFIGMAPS, ns, {
        metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data: { 'ca.crt': this.caPem },
      });
    }
  }

  // ---- update / patch --------------------------------------------------------

  // Replaces an object (PUT). subresource 'status' changes only the status;
  // the main resource keeps the stored status of pods and jobs.
  updateObject(res, ns, name, body, opts) {
    opts = opts || {};
    const cur = this.mustGet(res, ns, name);
    if (!body || typeof body !== 'object') throw errors.badRequest('the body of the request could not be decoded as an object');
    const bm = body.metadata || {};
    if (bm.name && bm.name !== name) throw errors.badRequest('the name of the object (' + bm.name + ') does not match the name on the URL (' + name + ')');
    if (bm.resourceVersion && bm.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(res, name);
    if (bm.uid && bm.uid !== cur.metadata.uid) throw errors.conflict(res, name);
    let next;
    if (opts.subresource === 'status') {
      next = clone(cur);
      next.status = clone(body.status);
    } else {
      next = clone(body);
      delete next.kind;
      delete next.apiVersion;
      next.metadata = Object.assign({}, next.metadata);
      for (const k of ['uid', 'creationTimestamp', 'namespace', 'name', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
        if (cur.metadata[k] !== undefined) next.metadata[k] = cur.metadata[k];
        else delete next.metadata[k];
      }
      if (res.kind === 'Pod' || res.kind === 'Job' || res.kind === 'Namespace') next.status = clone(cur.status);
      if (res.kind === 'Secret') R.stringToBase64(next);
      if (res.kind === 'Job' && next.spec && cur.spec) {
        // selector and template labels are immutable; keep the defaulted ones
        next.spec.selector = cur.spec.selector;
        if (next.spec.template && cur.spec.template) next.spec.template.metadata = Object.assign({}, next.spec.template.metadata, { labels: Object.assign({}, (next.spec.template.metadata || {}).labels, cur.spec.template.metadata.labels) });
      }
      const causes = R.validate(res, next);
      if (causes.length) throw errors.invalid(res, name, causes);
      if (R.hasGeneration(res) && JSON.stringify(next.spec) !== JSON.stringify(cur.spec)) next.metadata.generation = (cur.metadata.generation || 1) + 1;
    }
    if (opts.dryRun) return next;
    return this.write(res, next);
  }

  patchObject(res, ns, name, type, patch, opts) {
    const cur = this.mustGet(res, ns, name);
    const base = Object.assign({ kind: res.kind, apiVersion: res.apiVersion }, clone(cur));
    let next;
    const t = (type || '').split(';')[0].trim();
    if (t === 'application/json-patch+json') next = jsonPatch(base, patch);
    else if (t === 'application/merge-patch+json' || t === 'application/strategic-merge-patch+json' || t === 'application/apply-patch+yaml') next = mergePatch(base, patch);
    else throw errors.unsupportedMedia(t);
    next.metadata = next.metadata || {};
    if (!(patch && patch.metadata && patch.metadata.resourceVersion)) next.metadata.resourceVersion = cur.metadata.resourceVersion;
    return this.updateObject(res, ns, name, next, opts);
  }

  // ---- delete ----------------------------------------------------------------

  // Returns {obj, removed}: removed=false when the object stays while its
  // deletion is in progress (graceful pod deletion, Foreground, Orphan).
  deleteObject(res, ns, name, opts) {
    opts = opts || {};
    const cur = this.mustGet(res, ns, name);
    const pre = opts.preconditions || {};
    if (pre.uid && pre.uid !== cur.metadata.uid) {
      throw new (require('./util').ApiError)(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`, { name, kind: res.resource });
    }
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw new (require('./util').ApiError)(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`, { name, kind: res.resource });
    }
    let policy = opts.propagationPolicy;
    if (!policy && opts.orphanDependents === true) policy = 'Orphan';
    if (!policy && opts.orphanDependents === false) policy = 'Background';
    if (!policy) policy = R.defaultPropagation(res);
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.invalid(res, name, [{ field: 'propagationPolicy', type: 'Unsupported value', detail: `"${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    }
    if (opts.dryRun) return { obj: cur, removed: false };
    if (res === PODS) return this._deletePod(cur, opts);
    if (res === NAMESPACES) return this._deleteNamespace(cur);
    const m = cur.metadata;
    if (m.deletionTimestamp) return { obj: cur, removed: false };
    const userFinalizers = (m.finalizers || []).length > 0;
    if (policy === 'Background' && !userFinalizers) {
      const last = this.store.remove(res, ns, name);
      return { obj: last, removed: true };
    }
    const next = clone(cur);
    next.metadata.deletionTimestamp = rfc3339();
    next.metadata.deletionGracePeriodSeconds = 0;
    if (policy === 'Foreground') next.metadata.finalizers = (m.finalizers || []).concat(['foregroundDeletion']);
    if (policy === 'Orphan') next.metadata.finalizers = (m.finalizers || []).concat(['orphan']);
    const stored = this.store.update(res, next);
    if (policy === 'Foreground') this.foreground.add(m.uid);
    setTimeout(() => this._processFinalizers(res, ns, name), this.gcDelayMs);
    return { obj: stored, removed: false };
  }

  _deletePod(cur, opts) {
    const m = cur.metadata;
    const phase = cur.status && cur.status.phase;
    let grace = opts.gracePeriodSeconds;
    if (grace === undefined || grace === null) grace = cur.spec.terminationGracePeriodSeconds;
    if (grace === undefined || grace === null) grace = 30;
    const idle = !cur.spec.nodeName || phase === 'Succeeded' || phase === 'Failed';
    if ((idle || grace <= 0) && !(m.finalizers || []).length) {
      if (this.kubelet) this.kubelet.killPod(m.uid);
      return { obj: this.store.remove(PODS, m.namespace, m.name), removed: true };
    }
    if (m.deletionTimestamp) {
      if (grace < (m.deletionGracePeriodSeconds || 0)) {
        const next = clone(cur);
        next.metadata.deletionGracePeriodSeconds = grace;
        return { obj: this.store.update(PODS, next), removed: false };
      }
      return { obj: cur, removed: false };
    }
    const next = clone(cur);
    next.metadata.deletionTimestamp = rfc3339(Date.now() + grace * 1000);
    next.metadata.deletionGracePeriodSeconds = grace;
    return { obj: this.store.update(PODS, next), removed: false };
  }

  _deleteNamespace(cur) {
    if (cur.metadata.deletionTimestamp) return { obj: cur, removed: false };
    const next = clone(cur);
    next.metadata.deletionTimestamp = rfc3339();
    next.status = { phase: 'Terminating' };
    const stored = this.store.update(NAMESPACES, next);
    const ns = cur.metadata.name;
    const sweep = () => {
      let left = 0;
      for (const r of R.RESOURCES) {
        if (!r.namespaced) continue;
        for (const o of this.store.list(r, ns)) {
          left++;
          if (!o.metadata.deletionTimestamp) {
            try {
              this.deleteObject(r, ns, o.metadata.name, { propagationPolicy: 'Background' });
            } catch (e) {
              /* already gone */
            }
          }
        }
      }
      if (left === 0) this.store.remove(NAMESPACES, '', ns);
      else setTimeout(sweep, 100);
    };
    setTimeout(sweep, this.gcDelayMs);
    return { obj: stored, removed: false };
  }

  // ---- garbage collection ----------------------------------------------------

  dependentsOf(ownerUid, ns) {
    const out = [];
    for (const r of R.RESOURCES) {
      if (!r.namespaced) continue;
      for (const o of this.store.list(r, ns)) {
        if ((o.metadata.ownerReferences || []).some((ref) => ref.uid === ownerUid)) out.push([r, o]);
      }
    }
    return out;
  }

  _processFinalizers(res, ns, name) {
    const cur = this.store.get(res, ns, name);
    if (!cur || !cur.metadata.deletionTimestamp) return;
    const fins = cur.metadata.finalizers || [];
    const deps = this.dependentsOf(cur.metadata.uid, ns);
    if (fins.includes('orphan')) {
      for (const [r, o] of deps) {
        const next = clone(o);
        next.metadata.ownerReferences = o.metadata.ownerReferences.filter((ref) => ref.uid !== cur.metadata.uid);
        if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
        this.store.update(r, next);
      }
      this._dropFinalizer(res, cur, 'orphan');
      return;
    }
    if (fins.includes('foregroundDeletion')) {
      for (const [r, o] of deps) {
        if (!o.metadata.deletionTimestamp) {
          try {
            this.deleteObject(r, ns, o.metadata.name, { propagationPolicy: 'Foreground' });
          } catch (e) {
            /* raced */
          }
        }
      }
      if (this.dependentsOf(cur.metadata.uid, ns).length === 0) {
        this.foreground.delete(cur.metadata.uid);
        this._dropFinalizer(res, this.store.get(res, ns, name), 'foregroundDeletion');
      }
    }
  }

  _dropFinalizer(res, cur, fin) {
    if (!cur) return;
    const next = clone(cur);
    next.metadata.finalizers = (cur.metadata.finalizers || []).filter((f) => f !== fin);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.write(res, next);
  }

  // Deletes dependents whose owner is gone; completes Foreground deletions.
  _gcOnChange(ev) {
    if (ev.type === 'DELETED') {
      const ownerUid = ev.obj.metadata.uid;
      const ns = ev.obj.metadata.namespace;
      setTimeout(() => this._collectDependents(ownerUid, ns), this.gcDelayMs);
      for (const ref of ev.obj.metadata.ownerReferences || []) {
        if (this.foreground.has(ref.uid)) {
          const owner = this.store.getByUid(ref.uid);
          if (owner) {
            const r = this.store.byUid.get(ref.uid).res;
            setImmediate(() => this._processFinalizers(r, owner.metadata.namespace, owner.metadata.name));
          }
        }
      }
    } else if (ev.type === 'ADDED') {
      const refs = ev.obj.metadata.ownerReferences || [];
      if (refs.length && refs.every((ref) => !this.store.getByUid(ref.uid))) {
        setTimeout(() => {
          const o = this.store.get(ev.res, ev.obj.metadata.namespace, ev.obj.metadata.name);
          if (o && o.metadata.uid === ev.obj.metadata.uid && refs.every((ref) => !this.store.getByUid(ref.uid))) {
            this._deleteQuietly(ev.res, o, 'Background');
          }
        }, this.gcDelayMs);
      }
    }
  }

  _collectDependents(ownerUid, ns) {
    if (this.store.getByUid(ownerUid)) return;
    for (const [r, o] of this.dependentsOf(ownerUid, ns)) {
      const others = o.metadata.ownerReferences.filter((ref) => ref.uid !== ownerUid && this.store.getByUid(ref.uid));
      if (others.length === 0 && !o.metadata.deletionTimestamp) this._deleteQuietly(r, o, 'Background');
    }
  }

  _deleteQuietly(res, o, policy) {
    try {
      this.deleteObject(res, o.metadata.namespace, o.metadata.name, { propagationPolicy: policy });
    } catch (e) {
      /* already gone */
    }
  }

  // ---- events ------------------------------------------------------------------

  // Event names end in the hex nanosecond time (as client-go names them),
  // so name order is creation order.
  _eventSuffix() {
    let ns = require('./util').nowNs();
    if (this.lastEventNs !== undefined && ns <= this.lastEventNs) ns = this.lastEventNs + 1n;
    this.lastEventNs = ns;
    return ns.toString(16);
  }

  recordEvent(res, obj, type, reason, message, component) {
    const m = obj.metadata;
    if (!m.namespace || !this.store.get(NAMESPACES, '', m.namespace)) return;
    const now = rfc3339();
    const ev = {
      metadata: { name: `${m.name}.${this._eventSuffix()}`, namespace: m.namespace },
      involvedObject: { kind: res.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: res.apiVersion, resourceVersion: m.resourceVersion },
      reason,
      message,
      source: component === 'kubelet' ? { component, host: 'aftomato-node' } : { component: component || 'kubelet' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component || 'kubelet',
      reportingInstance: component === 'kubelet' ? 'aftomato-node' : '',
    };
    try {
      this.createObject(EVENTS, m.namespace, ev);
    } catch (e) {
      /* namespace terminating */
    }
  }
}

module.exports = { Cluster, PODS, NAMESPACES, EVENTS, CONFIGMAPS };
