// What `ssh -G` is to ssh, per VM: the hops meshvm will connect through and, for each, the settings it will use.
import { planAuth } from './auth.js'
import { resolveHops, type ResolveOptions, type ResolveTarget } from './resolve.js'

/** One hop as `meshvm inventory show --ssh` prints it. */
export interface HopView {
  host: string
  connect: string
  via: string
  /** Keys, certificates and the agent, in the order they will be offered. */
  offers: string[]
  identitiesOnly: boolean
  knownHostsFiles: string[]
  /** The name looked up in known_hosts (HostKeyAlias when set). */
  hostKeyName: string
  newHostKeys: 'recorded' | 'refused'
  connectTimeoutSeconds: number
  serverAliveSeconds: number
}

function via(v: Awaited<ReturnType<typeof resolveHops>>[number]['via']): string {
  if (v === 'direct') return 'tcp'
  if (v === 'jump') return 'the hop above'
  return `ProxyCommand ${v.proxyCommand}`
}

/** The hops to `target`, first one first; `agentSocket` as connect() takes it. */
export async function describeSshTarget(
  target: ResolveTarget,
  options: ResolveOptions & { agentSocket?: string },
): Promise<HopView[]> {
  const hops = await resolveHops(target, options)
  return Promise.all(
    hops.map(async (hop) => ({
      host: hop.alias,
      connect: hop.where,
      via: via(hop.via),
      offers: (await planAuth(hop, { agentSocket: options.agentSocket })).offered,
      identitiesOnly: hop.identitiesOnly,
      knownHostsFiles: hop.knownHostsFiles,
      hostKeyName: hop.hostKeyName,
      newHostKeys: hop.acceptNewHostKeys ? 'recorded' : 'refused',
      connectTimeoutSeconds: hop.connectTimeoutMs / 1000,
      serverAliveSeconds: hop.keepaliveIntervalMs / 1000,
    })),
  )
}
