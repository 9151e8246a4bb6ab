import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeBundle } from '../bundle/make-bundle.js'
import type { WorkloadGroupObject } from '../bundle/types.js'
import { parseWorkloadGroupFile } from '../bundle/workload-group.js'
import { connectCluster, getWorkloadGroup, mintToken, readClusterFacts } from '../cluster/index.js'
import { ExitCode, InputError } from '../errors.js'
import { bundleInput } from '../fleet/vm-bundles.js'
import { writeBundleDir } from '../fleet/write-bundle.js'
import { parseArgs, type FlagSpec } from './args.js'
import { clusterFlags, clusterOptions, istioVersionFlag } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { commandHelp } from './help.js'

const flags: Record<string, FlagSpec> = {
  file: {
    type: 'string',
    short: 'f',
    help: 'WorkloadGroup YAML; without it --name and --namespace name a group in the cluster',
  },
  name: { type: 'string', help: 'WorkloadGroup name (without -f)' },
  namespace: { type: 'string', short: 'n', help: 'WorkloadGroup namespace (without -f)' },
  output: { type: 'string', short: 'o', help: 'output directory (required)' },
  clusterID: { type: 'string', help: 'ISTIO_META_CLUSTER_ID; read from the injector ConfigMap when not given' },
  tokenDuration: { type: 'number', help: 'token lifetime in seconds (default 3600)' },
  ingressService: {
    type: 'string',
    help: 'Service (<svc> or <svc>.<ns>) giving the address for hosts (default istio-eastwestgateway)',
  },
  ingressIP: { type: 'string', help: 'address for the hosts line; looked up from --ingressService when not an IP' },
  autoregister: { type: 'boolean', help: 'add ISTIO_META_AUTO_REGISTER_GROUP' },
  'capture-dns': { type: 'boolean', help: 'add ISTIO_META_DNS_CAPTURE="true" (default true)' },
  internalIP: { type: 'string', help: "the VM's internal IP (ISTIO_SVC_IP)" },
  externalIP: { type: 'string', help: "the VM's external IP (ISTIO_SVC_IP, probes rewritten to localhost)" },
  revision: { type: 'string', short: 'r', help: 'control plane revision' },
  istioNamespace: { type: 'string', short: 'i', help: 'Istio system namespace (default istio-system)' },
  ...clusterFlags,
  kubeconfig: { ...clusterFlags.kubeconfig, short: 'c' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
}

const help = commandHelp('meshvm workload-entry configure [flags]   (or: meshvm x workload entry configure)', flags, [
  'meshvm workload-entry configure -f workloadgroup.yaml -o out/ --clusterID Kubernetes',
  'meshvm workload-entry configure --name vm-app -n vm-ns -o out/ --autoregister --ingressIP 192.0.2.10',
])

/** Drop-in for `istioctl x workload entry configure`: same flags, same files, same messages. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv
  const { flags: f, given } = parseArgs(sub === 'configure' ? rest : argv, flags)
  if (f.help || sub !== 'configure') {
    ctx.stdout.write(help)
    return f.help && sub === 'configure' ? ExitCode.ok : ExitCode.input
  }
  const str = (k: string) => (f[k] as string | undefined) ?? ''
  if (!str('file') && (!str('name') || !str('namespace'))) {
    throw new InputError(
      'expecting a WorkloadGroup artifact file or the name and namespace of an existing WorkloadGroup',
    )
  }
  if (!str('output')) throw new InputError('expecting an output directory')
  if (str('internalIP') && str('externalIP'))
    throw new InputError('the flags --internalIP and --externalIP are mutually exclusive')
  const istioVersion = istioVersionFlag(f)

  const client = connectCluster(clusterOptions(f, ctx.env))
  const istioNamespace = str('istioNamespace') || 'istio-system'
  const wg: WorkloadGroupObject = str('file')
    ? parseWorkloadGroupFile(await readFile(str('file'), 'utf8'))
    : await getWorkloadGroup(client, str('namespace'), str('name'))
  const facts = await readClusterFacts(client, wg.metadata, {
    revision: str('revision') || undefined,
    istioNamespace,
    clusterId: given.has('clusterID') ? str('clusterID') : undefined,
    ingressIP: str('ingressIP') || undefined,
    ingressService: str('ingressService') || 'istio-eastwestgateway',
    wording: 'istioctl',
  })
  const serviceAccount = wg.spec.template?.serviceAccount ?? 'default'
  const token = await mintToken(
    client,
    wg.metadata.namespace,
    serviceAccount,
    (f.tokenDuration as number | undefined) ?? 3600,
  )
  const vmFlags = {
    istioNamespace,
    internalIP: str('internalIP') || undefined,
    externalIP: str('externalIP') || undefined,
    autoregister: f.autoregister === true,
    captureDns: f['capture-dns'] !== false,
  }
  const bundle = makeBundle(bundleInput(wg, facts, vmFlags, token, istioVersion))
  const out = str('output')
  await writeBundleDir(out, bundle.files)
  for (const w of bundle.warnings) (w.startsWith('Labels') ? ctx.stdout : ctx.stderr).write(`${w}\n`)
  ctx.stderr.write(
    `Warning: a security token for namespace ${JSON.stringify(wg.metadata.namespace)} and service account ` +
      `${JSON.stringify(serviceAccount)} has been generated and stored at ${JSON.stringify(join(out, 'istio-token'))}\n`,
  )
  const legacy = (istioVersion ?? facts.istioVersion).minor <= 10 && (istioVersion ?? facts.istioVersion).major === 1
  ctx.stdout.write(`${legacy ? 'configuration' : 'Configuration'} generation into directory ${out} was successful\n`)
  return ExitCode.ok
}
