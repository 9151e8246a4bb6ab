// Life events of a running lab that the cluster side causes: a root CA rotation step, and a short-lived token put on
// a VM (as a user's token refresh would), so tests and demos can watch identity decay in seconds.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parse } from 'yaml'
import { ExitError, InputError } from '../errors.js'
import { readClusterConfig } from './cluster/config.js'
import { clusterPid } from './cluster/process.js'
import { signal } from './hosts/processes.js'
import { runStatus } from './hosts/run.js'
import { sshArgs } from './hosts/ssh-login.js'
import { knownHostsFileOf } from './hosts/lab-files.js'
import { kubeRequest, type KubeAccess } from './istiod/kube-client.js'
import { rotateMeshRoot, type MeshCa, type RotationPhase } from './mesh-roots.js'

function runningCluster(dir: string): number {
  const pid = clusterPid(dir)
  if (!pid) throw new InputError(`no lab cluster runs in ${dir}: run \`meshvm lab up\` first`)
  return pid
}

/** One step of a root rotation, applied by the running lab cluster before this returns. */
export async function labRotateRoot(dir: string, phase: RotationPhase): Promise<MeshCa> {
  const abs = resolve(dir)
  const pid = runningCluster(abs)
  let ca: MeshCa
  try {
    ca = await rotateMeshRoot(join(abs, 'pki'), phase)
  } catch (err) {
    throw new InputError((err as Error).message)
  }
  signal(pid, 'SIGHUP')
  const applied = join(abs, 'cluster', 'mesh-ca.generation')
  for (let i = 0; i < 100; i++) {
    if (existsSync(applied) && readFileSync(applied, 'utf8') === String(ca.generation)) return ca
    await sleep(100)
  }
  throw new ExitError(`the lab cluster did not apply the root rotation within 10 s (see ${join(abs, 'cluster', 'istiod.log')})`)
}

/** The lab's admin access to its cluster API (lab-only credentials, from the lab's own files). */
export function labKubeAccess(dir: string): KubeAccess {
  const abs = resolve(dir)
  const config = readClusterConfig(abs)
  const ca = readFileSync(join(abs, 'pki', 'root-cert.pem'), 'utf8')
  return { url: `https://${config.host}:${config.apiPort}`, token: config.token, ca }
}

interface LabInventory {
  defaults: { namespace: string; serviceAccount: string; identityFile: string; user: string }
  vms: Record<string, { address: string }>
}

/**
 * Mints a token of `seconds` for the VM's service account through the lab API and writes it atomically to the VM's
 * /var/run/secrets/tokens/istio-token (owner istio-proxy, 0600). The token is never printed.
 */
export async function labShortToken(dir: string, vm: string, seconds: number): Promise<{ expires: Date }> {
  const abs = resolve(dir)
  runningCluster(abs)
  const inv = parse(readFileSync(join(abs, 'inventory.yaml'), 'utf8')) as LabInventory
  const host = inv.vms[vm]
  if (!host) throw new InputError(`--vm: no lab VM named ${vm} (lab VMs: ${Object.keys(inv.vms).join(', ')})`)
  const { namespace, serviceAccount } = inv.defaults
  const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['istio-ca'], expirationSeconds: seconds } }
  const r = await kubeRequest(labKubeAccess(abs), 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, body)
  const status = (r.body as { status?: { token?: string; expirationTimestamp?: string }; message?: string }) ?? {}
  if (r.status !== 201 || !status.status?.token) throw new ExitError(`the lab API refused the token: ${status.message ?? `HTTP ${r.status}`}`)
  const target = { address: host.address, user: inv.defaults.user, keyFile: inv.defaults.identityFile, knownHostsFile: knownHostsFileOf(abs) }
  const path = '/var/run/secrets/tokens/istio-token'
  const write = `sudo sh -c 'umask 077 && mkdir -p /var/run/secrets/tokens && cat > ${path}.tmp && chown istio-proxy:istio-proxy ${path}.tmp && mv -f ${path}.tmp ${path}'`
  const w = await runStatus('ssh', [...sshArgs(target), write], { input: status.status.token })
  if (w.code !== 0) throw new ExitError(`writing the token on ${vm} failed: ${w.stderr.trim()}`)
  return { expires: new Date(status.status.expirationTimestamp ?? Date.now() + seconds * 1000) }
}
