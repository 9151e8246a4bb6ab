import { basename } from 'node:path'
import { stringify } from 'yaml'
import { meshvmAccessRules } from '../cluster/access-rules.js'

/** Where a Job's pod finds its inputs and writes its reports. */
export const JOB_PATHS = {
  home: '/home/meshvm',
  /** The Secret: id_ed25519 (or another key name OpenSSH tries), known_hosts, optional config and become-password. */
  ssh: '/home/meshvm/.ssh',
  /** The ConfigMap: the inventory (and playbook) files. */
  inputs: '/etc/meshvm',
  /** The PersistentVolumeClaim: package files the inventory names, and `reports/<job>/shard-<i>.json`. */
  data: '/srv/meshvm',
}

export interface JobRequest {
  command: string
  /** The command's flags for every pod (file flags already pointing into JOB_PATHS.inputs). */
  args: string[]
  shards: number
  image: string
  namespace: string
  /** Local files that go into the inputs ConfigMap. */
  inputs: string[]
}

const USER = 65532 // a non-root uid with no meaning on the node (distroless' "nonroot")

function job(r: JobRequest, name: string) {
  const labels = { 'app.kubernetes.io/name': 'meshvm', 'meshvm.io/command': r.command }
  const reportFile = `${JOB_PATHS.data}/reports/${name}/shard-$(JOB_COMPLETION_INDEX).json`
  const exitCodes = (values: number[]) => ({ containerName: 'meshvm', operator: 'In', values })
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: r.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: r.shards,
      parallelism: r.shards,
      // one retry per shard for a crash; a shard whose VMs failed (2) or were unreachable (4) has its report: keep it
      backoffLimitPerIndex: 1,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: exitCodes([5]) },
          { action: 'FailIndex', onExitCodes: exitCodes([2, 4]) },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        ],
      },
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'meshvm',
          restartPolicy: 'Never',
          securityContext: {
            runAsNonRoot: true,
            runAsUser: USER,
            runAsGroup: USER,
            fsGroup: USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'meshvm',
              image: r.image,
              command: ['meshvm'],
              args: [
                r.command,
                ...r.args,
                `--shards=${r.shards}`,
                '--output=plain',
                '--report=-',
                `--report=${reportFile}`,
              ],
              workingDir: JOB_PATHS.home,
              env: [
                { name: 'HOME', value: JOB_PATHS.home },
                {
                  name: 'MESHVM_BECOME_PASSWORD',
                  valueFrom: { secretKeyRef: { name: 'meshvm-ssh', key: 'become-password', optional: true } },
                },
              ],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } },
              volumeMounts: [
                { name: 'home', mountPath: JOB_PATHS.home },
                { name: 'ssh', mountPath: JOB_PATHS.ssh, readOnly: true },
                { name: 'inputs', mountPath: JOB_PATHS.inputs, readOnly: true },
                { name: 'data', mountPath: JOB_PATHS.data },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'home', emptyDir: {} },
            { name: 'ssh', secret: { secretName: 'meshvm-ssh', defaultMode: 0o440 } },
            { name: 'inputs', configMap: { name: `${name}-inputs` } },
            { name: 'data', persistentVolumeClaim: { claimName: 'meshvm-data' } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  }
}

/** The manifest of `--print-job`: ServiceAccount, ClusterRole + binding, the data claim and the Indexed Job. */
export function jobManifest(r: JobRequest): string {
  const name = `meshvm-${r.command}`
  const ns = r.namespace
  const objects = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'meshvm', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'meshvm' },
      rules: meshvmAccessRules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `meshvm-${ns}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'meshvm' },
      subjects: [{ kind: 'ServiceAccount', name: 'meshvm', namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'meshvm-data', namespace: ns },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } },
    },
    job(r, name),
  ]
  const fromFiles = r.inputs.map((f) => ` --from-file=${basename(f)}=${f}`).join('')
  const header = [
    `# meshvm ${r.command} as a Kubernetes Indexed Job: ${r.shards} pods, pod i runs shard i/${r.shards} of the inventory.`,
    '# Before applying, in the same namespace:',
    `#   kubectl create namespace ${ns}`,
    `#   kubectl -n ${ns} create configmap ${name}-inputs${fromFiles}`,
    `#   kubectl -n ${ns} create secret generic meshvm-ssh --from-file=id_ed25519=KEY --from-file=known_hosts=FILE`,
    `# Package files the inventory names go on the meshvm-data volume (${JOB_PATHS.data}/...) or into the image.`,
    '# Each pod prints its JSON report on stdout and writes it to the volume; then, on the controller:',
    `#   for i in $(seq 0 ${r.shards - 1}); do kubectl -n ${ns} logs -l batch.kubernetes.io/job-name=${name},` +
      `batch.kubernetes.io/job-completion-index=$i --tail=-1 > shard-$i.log; done`,
    '#   meshvm report merge shard-*.log        # one report, one failed list for --limit @failed',
  ]
  return (
    header.join('\n') +
    '\n' +
    objects.map((o) => '---\n' + stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('')
  )
}
