import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import type { WorkloadGroupObject } from '../bundle/types.js'
import type { Secret } from '../secret.js'
import type { Ask } from './ask.js'
import {
  existingFile,
  joinPairs,
  parseLabels,
  parsePorts,
  validHost,
  validIP,
  validLabels,
  validName,
  validNamespace,
  validPort,
  validPorts,
  validSha256,
  validUrl,
  versionInFileName,
  type WizardAnswers,
} from './wizard-answers.js'

/** What the wizard reads from the cluster to offer as choices. */
export interface ClusterChoices {
  namespaces(): Promise<string[]>
  workloadGroups(namespace: string): Promise<WorkloadGroupObject[]>
  gatewayIP(): Promise<string | undefined>
}

/** How to log in; the password lives only in memory. */
export type SshAuth = { kind: 'agent' } | { kind: 'key'; file: string } | { kind: 'password'; password: Secret }

// As a shell would read it: ~/ is the home directory, anything else relative to where meshvm runs.
const pathFrom = (cwd: string, p: string) =>
  resolve(cwd, p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p)

export async function askSshTarget(ask: Ask, env: NodeJS.ProcessEnv, cwd: string) {
  const host = await ask.text('VM address (host name, IP or ssh_config alias):', { validate: validHost })
  const port = Number(await ask.text('SSH port:', { default: '22', validate: validPort }))
  const user = await ask.text('SSH user:', { default: env.USER || userInfo().username, validate: validHost })
  const agent = env.SSH_AUTH_SOCK
  const kind = await ask.select<SshAuth['kind']>(
    'Authentication:',
    [
      { name: 'ssh-agent', value: 'agent', disabled: agent ? false : '(SSH_AUTH_SOCK is not set)' },
      { name: 'private key file', value: 'key' },
      { name: 'password (asked now, never saved)', value: 'password' },
    ],
    { default: agent ? 'agent' : 'key' },
  )
  let auth: SshAuth = { kind: 'agent' }
  if (kind === 'key') {
    const guess = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((k) => join(homedir(), '.ssh', k)).find((f) => existsSync(f))
    const exists = existingFile('key file')
    const file = await ask.text('Private key file:', { default: guess, validate: (v) => exists(pathFrom(cwd, v)) })
    auth = { kind, file: pathFrom(cwd, file) }
  } else if (kind === 'password') auth = { kind, password: await ask.secret(`Password for ${user}@${host}:`) }
  return { host, port, user, auth }
}

type WorkloadAnswers = Pick<WizardAnswers, 'namespace' | 'app' | 'serviceAccount' | 'network' | 'labels' | 'ports'>

/** Namespace and WorkloadGroup; an existing group's settings become the defaults of the questions after it. */
export async function askWorkload(ask: Ask, cluster: ClusterChoices, contextNs?: string): Promise<WorkloadAnswers> {
  const namespaces = await cluster.namespaces()
  const first = contextNs && contextNs !== 'default' ? contextNs : 'vm-apps'
  const namespace = await ask.pick('Namespace (type to filter or to name a new one):', namespaces, {
    first,
    what: 'namespace',
    validate: validNamespace,
  })
  const groups = namespaces.includes(namespace) ? await cluster.workloadGroups(namespace) : []
  const names = groups.map((g) => g.metadata.name)
  const app = await ask.pick('App (WorkloadGroup; existing ones listed):', names, {
    first: names[0] ?? 'vm-app',
    what: 'WorkloadGroup',
    validate: validName,
  })
  const existing = groups.find((g) => g.metadata.name === app)?.spec
  const template = existing?.template ?? {}
  const sa = template.serviceAccount ?? app
  const serviceAccount = await ask.text('Service account:', { default: sa, validate: validName })
  const network = await ask.text("Network (empty: the cluster's own):", { default: template.network ?? '' })
  const labelDefault = joinPairs(existing?.metadata?.labels ?? template.labels ?? { app, version: 'v1' })
  const labels = await ask.text('Labels (key=value,...):', { default: labelDefault, validate: validLabels })
  const ports = await ask.text('Ports (name=port,...):', { default: joinPairs(template.ports), validate: validPorts })
  return { namespace, app, serviceAccount, network, labels: parseLabels(labels), ports: parsePorts(ports) }
}

/** The ingress address, the sidecar package and auto-registration. */
export async function askMeshSide(ask: Ask, cluster: ClusterChoices, cwd: string) {
  const gateway = await cluster.gatewayIP()
  const where = gateway ? `the east-west gateway's is ${gateway}` : 'no east-west gateway found'
  const question = `Ingress address to reach istiod (${where}):`
  const ingressIP = await ask.text(question, { default: gateway ?? '', validate: validIP })
  const source = await ask.select<'cluster' | 'file' | 'url'>('Sidecar package:', [
    { name: "the one matching the cluster's Istio version", value: 'cluster' },
    { name: 'a local .deb/.rpm file (pushed from here)', value: 'file' },
    { name: 'a URL the VM downloads (checked by sha256)', value: 'url' },
  ])
  let pkg: WizardAnswers['package']
  if (source === 'file') {
    const exists = existingFile('package file')
    const file = pathFrom(cwd, await ask.text('Package file:', { validate: (v) => exists(pathFrom(cwd, v)) }))
    pkg = { file, ...(await version(ask, file)) }
  } else if (source === 'url') {
    const url = await ask.text('Package URL:', { validate: validUrl })
    const sha256 = await ask.text('Its sha256:', { validate: validSha256 })
    pkg = { url, sha256: sha256.toLowerCase(), ...(await version(ask, url)) }
  }
  const autoregister = await ask.confirm('Auto-registration (the VM registers its own WorkloadEntry)?')
  return { ingressIP: ingressIP || undefined, package: pkg, autoregister }
}

async function version(ask: Ask, path: string): Promise<{ version?: string }> {
  const v = await ask.text('Package version (empty: not checked):', { default: versionInFileName(path) })
  return v ? { version: v } : {}
}
