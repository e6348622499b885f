'use strict';
// The resources this server serves, with per-kind defaulting and validation.

const { generateName } = require('./util');

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const RESOURCES = [
  {
    group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', singular: 'namespace',
    namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'],
    fields: ['metadata.name', 'status.phase'],
  },
  {
    group: '', version: 'v1', resource: 'pods', kind: 'Pod', singular: 'pod', namespaced: true,
    shortNames: ['po'], categories: ['all'], subresources: ['log', 'status'],
    fields: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy',
      'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase',
      'status.podIP', 'status.nominatedNodeName'],
  },
  {
    group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap',
    namespaced: true, shortNames: ['cm'],
  },
  {
    group: '', version: 'v1', resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true,
    fields: ['metadata.name', 'metadata.namespace', 'type'],
  },
  {
    group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', singular: 'serviceaccount',
    namespaced: true, shortNames: ['sa'],
  },
  {
    group: '', version: 'v1', resource: 'events', kind: 'Event', singular: 'event', namespaced: true,
    shortNames: ['ev'],
    fields: ['metadata.name', 'metadata.namespace', 'involvedObject.kind', 'involvedObject.namespace',
      'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
      'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent',
      'source', 'type'],
  },
  {
    group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', singular: 'job', namespaced: true,
    categories: ['all'], subresources: ['status'],
    fields: ['metadata.name', 'metadata.namespace', 'status.successful'],
  },
];

for (const r of RESOURCES) {
  r.key = r.group ? `${r.group}/${r.resource}` : r.resource;
  r.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  r.verbs = VERBS;
  r.subresources = r.subresources || [];
  r.shortNames = r.shortNames || [];
  r.categories = r.categories || [];
}

function find(group, version, resource) {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

function byKey(key) {
  return RESOURCES.find((r) => r.key === key);
}

function groups() {
  const out = new Map();
  for (const r of RESOURCES) {
    if (!out.has(r.group)) out.set(r.group, new Set());
    out.get(r.group).add(r.version);
  }
  return out;
}

// ---- validation ------------------------------------------------------------

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateName(res, name, causes) {
  const label = res.resource === 'namespaces' || res.resource === 'jobs';
  const re = label ? DNS_LABEL : DNS_SUBDOMAIN;
  const max = label ? 63 : 253;
  if (!re.test(name) || name.length > max) {
    const what = label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    causes.push({ field: 'metadata.name', type: 'Invalid value', detail: `"${name}": ${what}` });
  }
}

function validatePodSpec(spec, path, causes, forJob) {
  if (!spec) {
    causes.push({ field: path, type: 'Required value' });
    return;
  }
  const containers = spec.containers || [];
  if (containers.length === 0) causes.push({ field: `${path}.containers`, type: 'Required value' });
  const names = new Set();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    if (!c.name) causes.push({ field: `${p}.name`, type: 'Required value' });
    else if (!DNS_LABEL.test(c.name)) causes.push({ field: `${p}.name`, type: 'Invalid value', detail: `"${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'` });
    else if (names.has(c.name)) causes.push({ field: `${p}.name`, type: 'Duplicate value', detail: `"${c.name}"` });
    names.add(c.name);
    if (!c.image) causes.push({ field: `${p}.image`, type: 'Required value' });
  });
  const rp = spec.restartPolicy;
  if (forJob) {
    if (!rp) causes.push({ field: `${path}.restartPolicy`, type: 'Required value', detail: 'valid values: "OnFailure", "Never"' });
    else if (rp !== 'Never' && rp !== 'OnFailure') causes.push({ field: `${path}.restartPolicy`, type: 'Unsupported value', detail: `"${rp}": supported values: "OnFailure", "Never"` });
  } else if (rp && !['Always', 'OnFailure', 'Never'].includes(rp)) {
    causes.push({ field: `${path}.restartPolicy`, type: 'Unsupported value', detail: `"${rp}": supported values: "Always", "OnFailure", "Never"` });
  }
  const vols = new Set((spec.volumes || []).map((v) => v.name));
  containers.forEach((c, i) => {
    (c.volumeMounts || []).forEach((m, j) => {
      if (!vols.has(m.name)) causes.push({ field: `${path}.containers[${i}].volumeMounts[${j}].name`, type: 'Not found', detail: `"${m.name}"` });
    });
  });
}

function validate(res, obj) {
  const causes = [];
  if (obj.metadata.name) validateName(res, obj.metadata.name, causes);
  if (res.kind === 'Pod') validatePodSpec(obj.spec, 'spec', causes, false);
  if (res.kind === 'Job') {
    const spec = obj.spec || {};
    if (!spec.template) causes.push({ field: 'spec.template', type: 'Required value' });
    else validatePodSpec(spec.template.spec, 'spec.template.spec', causes, true);
    if (spec.backoffLimit !== undefined && spec.backoffLimit < 0) causes.push({ field: 'spec.backoffLimit', type: 'Invalid value', detail: `${spec.backoffLimit}: must be greater than or equal to 0` });
    if (spec.activeDeadlineSeconds !== undefined && !(spec.activeDeadlineSeconds > 0)) causes.push({ field: 'spec.activeDeadlineSeconds', type: 'Invalid value', detail: `${spec.activeDeadlineSeconds}: must be greater than or equal to 1` });
  }
  if (res.kind === 'ConfigMap' || res.kind === 'Secret') {
    for (const k of Object.keys(Object.assign({}, obj.data, obj.binaryData, obj.stringData))) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) causes.push({ field: `data[${k}]`, type: 'Invalid value', detail: `"${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'` });
    }
  }
  if (res.kind === 'Secret' && obj.data) {
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) causes.push({ field: `data[${k}]`, type: 'Invalid value', detail: 'illegal base64 data' });
    }
  }
  return causes;
}

// ---- defaulting ------------------------------------------------------------

function defaultContainer(c) {
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (!c.imagePullPolicy) {
    const tag = /:[^/]+$/.exec(c.image || '');
    c.imagePullPolicy = !tag || tag[0] === ':latest' ? 'Always' : 'IfNotPresent';
  }
  if (!c.resources) c.resources = {};
}

function defaultPodSpec(spec) {
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (!spec.securityContext) spec.securityContext = {};
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  (spec.containers || []).forEach(defaultContainer);
  (spec.initContainers || []).forEach(defaultContainer);
  for (const v of spec.volumes || []) {
    if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = 420;
    if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = 420;
  }
}

function qosClass(spec) {
  let any = false;
  let guaranteed = true;
  for (const c of spec.containers || []) {
    const r = c.resources || {};
    const req = r.requests || {};
    const lim = r.limits || {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const k of ['cpu', 'memory']) {
      if (!lim[k] || (req[k] && req[k] !== lim[k])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultJob(obj) {
  const spec = obj.spec || (obj.spec = {});
  const uidv = obj.metadata.uid;
  if (spec.parallelism === undefined) spec.parallelism = 1;
  if (spec.completions === undefined) spec.completions = 1;
  if (spec.backoffLimit === undefined) spec.backoffLimit = 6;
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  if (spec.suspend === undefined) spec.suspend = false;
  if (!spec.podReplacementPolicy) spec.podReplacementPolicy = 'TerminatingOrFailed';
  if (spec.manualSelector === undefined || spec.manualSelector === false) {
    delete spec.manualSelector;
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uidv } };
    const t = spec.template || (spec.template = {});
    t.metadata = t.metadata || {};
    t.metadata.labels = Object.assign({}, t.metadata.labels, {
      'batch.kubernetes.io/controller-uid': uidv,
      'batch.kubernetes.io/job-name': obj.metadata.name,
      'controller-uid': uidv,
      'job-name': obj.metadata.name,
    });
  }
  if (spec.template && spec.template.spec) defaultPodSpec(spec.template.spec);
  obj.metadata.labels = Object.assign(
    { 'batch.kubernetes.io/controller-uid': uidv, 'batch.kubernetes.io/job-name': obj.metadata.name,
      'controller-uid': uidv, 'job-name': obj.metadata.name },
    obj.metadata.labels,
  );
  if (!obj.status) obj.status = {};
}

function stringToBase64(obj) {
  if (!obj.stringData) return;
  obj.data = obj.data || {};
  for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64');
  delete obj.stringData;
}

// Fills defaults on a new object (metadata is already set by the caller).
function applyDefaults(res, obj) {
  switch (res.kind) {
    case 'Pod':
      obj.spec = obj.spec || {};
      defaultPodSpec(obj.spec);
      obj.status = { phase: 'Pending', qosClass: qosClass(obj.spec) };
      break;
    case 'Job':
      defaultJob(obj);
      break;
    case 'Secret':
      if (!obj.type) obj.type = 'Opaque';
      stringToBase64(obj);
      break;
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = Object.assign({}, obj.metadata.labels, { 'kubernetes.io/metadata.name': obj.metadata.name });
      break;
    default:
      break;
  }
}

// Whether the object kind carries metadata.generation (spec-bearing kinds).
function hasGeneration(res) {
  return res.kind === 'Job' || res.kind === 'Pod';
}

// Default garbage collection policy when a delete names none: batch/v1 Jobs
// orphan their pods (legacy behaviour); everything else is Background.
function defaultPropagation(res) {
  return res.kind === 'Job' ? 'Orphan' : 'Background';
}

module.exports = {
  RESOURCES,
  find,
  byKey,
  groups,
  validate,
  applyDefaults,
  stringToBase64,
  hasGeneration,
  defaultPropagation,
  generateName,
  qosClass,
};
