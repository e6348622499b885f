'use strict';
// Server-side printing: meta.k8s.io/v1 Table with the columns kubectl shows.

const { humanDuration } = require('./util');
const { labelSelectorString } = require('./selectors');

const NAME_COL = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', priority: 0 };
const AGE_COL = { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 };

function col(name, type, description, priority) {
  return { name, type, format: '', description, priority: priority || 0 };
}

function age(obj) {
  const t = Date.parse(obj.metadata.creationTimestamp || '');
  return Number.isNaN(t) ? '<unknown>' : humanDuration(Date.now() - t);
}

function hasCondition(obj, type) {
  return ((obj.status && obj.status.conditions) || []).some((c) => c.type === type && c.status === 'True');
}

// Pod STATUS as kubectl's printer computes it.
function podStatus(pod) {
  const st = pod.status || {};
  let reason = st.reason || st.phase || 'Unknown';
  let hasRunning = false;
  const statuses = (st.containerStatuses || []).slice().reverse();
  for (const c of statuses) {
    const s = c.state || {};
    if (s.waiting && s.waiting.reason) reason = s.waiting.reason;
    else if (s.terminated && s.terminated.reason) reason = s.terminated.reason;
    else if (s.terminated) reason = s.terminated.signal ? `Signal:${s.terminated.signal}` : `ExitCode:${s.terminated.exitCode}`;
    else if (s.running && c.ready) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function podRow(pod) {
  const st = pod.status || {};
  const cs = st.containerStatuses || [];
  const total = (pod.spec.containers || []).length;
  const ready = cs.filter((c) => c.ready).length;
  const restarts = cs.reduce((n, c) => n + (c.restartCount || 0), 0);
  return [pod.metadata.name, `${ready}/${total}`, podStatus(pod), restarts, age(pod),
    st.podIP || '<none>', pod.spec.nodeName || '<none>', st.nominatedNodeName || '<none>', '<none>'];
}

function jobStatus(job) {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobRow(job) {
  const st = job.status || {};
  const spec = job.spec || {};
  let completions = `${st.succeeded || 0}/${spec.completions === undefined ? 1 : spec.completions}`;
  if (spec.completions === null) completions = `${st.succeeded || 0}/1 of ${spec.parallelism}`;
  let duration = '';
  if (st.startTime) {
    const end = st.completionTime ? Date.parse(st.completionTime) : Date.now();
    duration = humanDuration(end - Date.parse(st.startTime));
  }
  const cs = ((spec.template && spec.template.spec && spec.template.spec.containers) || []);
  return [job.metadata.name, jobStatus(job), completions, duration, age(job),
    cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(','), labelSelectorString(spec.selector)];
}

const TABLES = {
  Pod: {
    columns: [NAME_COL,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE_COL,
      col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', "NodeName indicates in which node this pod is scheduled.", 1),
      col('Nominated Node', 'string', "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
    row: podRow,
  },
  Job: {
    columns: [NAME_COL,
      col('Status', 'string', 'Status of the job.'),
      col('Completions', 'string', 'The desired number of successfully finished pods the job should be run with.'),
      col('Duration', 'string', 'Time required to complete the job.'),
      AGE_COL,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col('Selector', 'string', 'A label query over pods that should match the pod count.', 1)],
    row: jobRow,
  },
  ConfigMap: {
    columns: [NAME_COL, col('Data', 'integer', 'Data contains the configuration data.'), AGE_COL],
    row: (o) => [o.metadata.name, Object.keys(o.data || {}).length + Object.keys(o.binaryData || {}).length, age(o)],
  },
  Secret: {
    columns: [NAME_COL, col('Type', 'string', 'The type of the secret'), col('Data', 'integer', 'The total number of data entries.'), AGE_COL],
    row: (o) => [o.metadata.name, o.type, Object.keys(o.data || {}).length, age(o)],
  },
  Namespace: {
    columns: [NAME_COL, col('Status', 'string', 'The status of the namespace'), AGE_COL],
    row: (o) => [o.metadata.name, (o.status && o.status.phase) || 'Active', age(o)],
  },
  ServiceAccount: {
    columns: [NAME_COL, col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace.'), AGE_COL],
    row: (o) => [o.metadata.name, (o.secrets || []).length, age(o)],
  },
  Event: {
    columns: [col('Last Seen', 'string', 'Time when last event occurred.'), col('Type', 'string', 'Type of this event.'),
      col('Reason', 'string', 'Reason is why the action was taken.'), col('Object', 'string', 'The object this Event is about.'),
      col('Message', 'string', 'A human-readable description of the status of this operation.')],
    row: (o) => [humanDuration(Date.now() - Date.parse(o.lastTimestamp || o.metadata.creationTimestamp)), o.type, o.reason,
      `${(o.involvedObject.kind || '').toLowerCase()}/${o.involvedObject.name}`, o.message],
  },
};

function rowObject(obj, includeObject, res) {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return Object.assign({ kind: res.kind, apiVersion: res.apiVersion }, obj);
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

// Builds a Table for objects of res; listMeta goes to the table's metadata.
function toTable(res, objs, listMeta, includeObject) {
  const t = TABLES[res.kind] || { columns: [NAME_COL, AGE_COL], row: (o) => [o.metadata.name, age(o)] };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta || {},
    columnDefinitions: t.columns,
    rows: objs.map((o) => {
      const row = { cells: t.row(o) };
      const ob = rowObject(o, includeObject, res);
      if (ob) row.object = ob;
      return row;
    }),
  };
}

// Whether the Accept header asks for a meta.k8s.io Table.
function wantsTable(accept) {
  return (accept || '').split(',').some((p) => {
    const s = p.replace(/\s+/g, '');
    return s.startsWith('application/json') && s.includes('as=Table') && s.includes('g=meta.k8s.io') &&
      (s.includes('v=v1;') || s.endsWith('v=v1') || s.includes('v=v1beta1'));
  });
}

module.exports = { toTable, wantsTable, podStatus };
