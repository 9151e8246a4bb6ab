// What a platform team deploys to run `meshvm renew` unattended: a Kubernetes CronJob (in-cluster config, SSH key and
// known_hosts from a Secret, the inventory from a ConfigMap, RBAC for exactly the calls renew makes, non-root,
// read-only root filesystem, no overlapping runs), or a systemd service + timer on a controller host.
import { stringify } from 'yaml'
import { InputError } from '../errors.js'
import type { FlagSpec, FlagValues } from './args.js'

export const unattendedFlags: Record<string, FlagSpec> = {
  'print-cronjob': {
    type: 'boolean',
    help: 'print a Kubernetes CronJob (+ ServiceAccount and RBAC) that runs renew, and exit',
  },
  'print-systemd': {
    type: 'boolean',
    help: 'print a systemd service + timer that run renew on a controller host, and exit',
  },
  namespace: { type: 'string', help: 'with --print-cronjob: the namespace of the CronJob (default meshvm)' },
  schedule: {
    type: 'string',
    help: 'with --print-cronjob: cron schedule (default */5 * * * *); --print-systemd: OnCalendar (default *:0/5)',
  },
  image: { type: 'string', help: 'with --print-cronjob: the meshvm container image (default meshvm:0.1.0)' },
}

export interface UnattendedSettings {
  namespace: string
  schedule?: string
  image: string
  inventory?: string
  kubeconfig?: string
}

export function unattendedSettings(f: FlagValues): UnattendedSettings {
  const namespace = (f.namespace as string | undefined) ?? 'meshvm'
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new InputError(`--namespace: not a valid namespace name: "${namespace}"`)
  const schedule = f.schedule as string | undefined
  if (schedule !== undefined && (/[\n\r]/.test(schedule) || schedule.trim() === ''))
    throw new InputError('--schedule: expected one line')
  return {
    namespace,
    schedule,
    image: (f.image as string | undefined) ?? 'meshvm:0.1.0',
    inventory: f.inventory as string | undefined,
    kubeconfig: f.kubeconfig as string | undefined,
  }
}

const NAME = 'meshvm-renew'
const INVENTORY_DIR = '/etc/meshvm/inventory'
const SSH_DIR = '/etc/meshvm/ssh'
const STATE_DIR = '/var/lib/meshvm'

/**
 * The calls renew makes, as RBAC rules (src/cluster: facts.ts, istio-install.ts, control-plane.ts, token.ts): read the
 * mesh and root-cert ConfigMaps, the ingress Service, istiod's Deployment and injector webhook (its version and CA), list
 * Deployments (is cert-manager istio-csr the CA?), and mint each VM's token.
 */
export const renewRules = [
  { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get'] },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get'] },
]

/** The container's command line: what the pod runs (the test runs it the same way against the lab API). */
export const cronJobCommand = [
  'meshvm',
  'renew',
  '-i',
  `${INVENTORY_DIR}/inventory.yaml`,
  '--output',
  'json',
  '--ssh-config',
  'none',
]

export function cronJobManifest(s: UnattendedSettings): string {
  const labels = { 'app.kubernetes.io/name': NAME }
  const meta = (kind: string) => ({
    name: NAME,
    ...(kind.startsWith('Cluster') ? {} : { namespace: s.namespace }),
    labels,
  })
  const docs = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('ServiceAccount') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta('ClusterRole'),
      rules: renewRules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('ClusterRoleBinding'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: s.namespace }],
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('CronJob'),
      spec: {
        schedule: s.schedule ?? '*/5 * * * *',
        // a renew still running when the next is due: skip the next, never two at once on the same VMs
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 120,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: 1800,
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: NAME,
                restartPolicy: 'Never',
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 65532,
                  runAsGroup: 65532,
                  fsGroup: 65532,
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                containers: [
                  {
                    name: 'renew',
                    image: s.image,
                    command: cronJobCommand,
                    // the report and failed list go to an emptyDir: the root filesystem is read-only
                    workingDir: STATE_DIR,
                    env: [{ name: 'HOME', value: STATE_DIR }],
                    securityContext: {
                      readOnlyRootFilesystem: true,
                      allowPrivilegeEscalation: false,
                      capabilities: { drop: ['ALL'] },
                    },
                    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                    volumeMounts: [
                      { name: 'inventory', mountPath: INVENTORY_DIR, readOnly: true },
                      { name: 'ssh', mountPath: SSH_DIR, readOnly: true },
                      { name: 'state', mountPath: STATE_DIR },
                    ],
                  },
                ],
                volumes: [
                  // inventory.yaml, whose VMs name identityFile /etc/meshvm/ssh/id_ed25519, knownHostsFile /etc/meshvm/ssh/known_hosts
                  { name: 'inventory', configMap: { name: 'meshvm-inventory' } },
                  { name: 'ssh', secret: { secretName: 'meshvm-ssh', defaultMode: 0o440 } },
                  { name: 'state', emptyDir: {} },
                ],
              },
            },
          },
        },
      },
    },
  ]
  const header = [
    '# meshvm renew as a Kubernetes CronJob (meshvm renew --print-cronjob). The image runs as uid 65532, which its',
    '# /etc/passwd must name (as distroless "nonroot" does: ssh needs a user). Create its inputs first:',
    `#   kubectl -n ${s.namespace} create configmap meshvm-inventory --from-file=inventory.yaml`,
    `#   kubectl -n ${s.namespace} create secret generic meshvm-ssh --from-file=id_ed25519 --from-file=known_hosts`,
    '',
  ].join('\n')
  return header + docs.map((d) => stringify(d)).join('---\n')
}

const systemdQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`)

/** A service + timer for a controller host; logs are JSON lines in the journal. */
export function systemdUnits(s: UnattendedSettings): string {
  const args = ['renew', '-i', s.inventory ?? '/etc/meshvm/inventory.yaml', '--output', 'json']
  if (s.kubeconfig) args.push('--kubeconfig', s.kubeconfig)
  return [
    '# /etc/systemd/system/meshvm-renew.service (meshvm renew --print-systemd)',
    '[Unit]',
    'Description=meshvm renew: keep the VMs in the mesh',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    'User=meshvm',
    'StateDirectory=meshvm-renew',
    'WorkingDirectory=/var/lib/meshvm-renew',
    `ExecStart=/usr/bin/env meshvm ${args.map(systemdQuote).join(' ')}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    '',
    '# /etc/systemd/system/meshvm-renew.timer',
    '[Unit]',
    'Description=Run meshvm renew every few minutes',
    '',
    '[Timer]',
    `OnCalendar=${s.schedule ?? '*:0/5'}`,
    'RandomizedDelaySec=30',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n')
}
