import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import {
  deleteWorkloadEntry,
  getWorkloadEntry,
  writeWorkloadEntry,
  type WorkloadEntryObject,
} from '../cluster/index.js'
import type { ClusterHandler, ClusterVerb } from './cluster-handler.js'
import type { Check } from './handler.js'
import { change, fail, ok, skip } from './handler.js'

export interface Args {
  namespace: string
  /** The entry istiod gives the VM; undefined when the VM has no mesh IP of its own. */
  name?: string
  autoregister: boolean
  /** The entry meshvm creates for the VM (workloadEntryHealth): its labels and spec, as `managed` writes them. */
  managed?: { labels: Record<string, string>; spec: WorkloadEntryObject['spec'] }
  /**
   * `registered`: istiod registered it (wait, bounded), or marked the managed one connected; `present`: it is there
   * and connected; `absent`: deleted; `connected`: connected since `since` and healthy (wait, bounded): the cluster's
   * half of upgrade's gate; `managed`: meshvm's entry exists as `managed` says, health checks on.
   */
  state: 'registered' | 'present' | 'absent' | 'connected' | 'managed'
  /** Epoch ms of the VM's restart in this run, for `connected`. */
  since?: number
  timeoutMs?: number
}

const HEALTH_CHECKS = 'proxy.istio.io/health-checks-enabled'
// istiod's clock and ours: a connect stamped up to this much before the restart still counts as after it
const CLOCK_SLACK_MS = 1000

/**
 * Why the entry does not show the VM back in the mesh since `since`, or undefined when it does: present, not
 * disconnected, a connect stamped since the restart (an older one is the connection the restart ended), and
 * `Healthy` when istiod runs health checks for it (the condition is kept only then: istio/istio
 * pilot/pkg/autoregistration/controller.go).
 */
export function notBackYet(entry: WorkloadEntryObject | undefined, since: number | undefined): string | undefined {
  if (!entry) return 'not found'
  const a = entry.metadata.annotations ?? {}
  if (a['istio.io/disconnectedAt']) return `marked disconnected since ${a['istio.io/disconnectedAt']}`
  const connectedAt = Date.parse(a['istio.io/connectedAt'] ?? '')
  if (since !== undefined && !(connectedAt >= since - CLOCK_SLACK_MS))
    return `has no connect since the restart (connectedAt ${a['istio.io/connectedAt'] ?? 'none'})`
  if (a[HEALTH_CHECKS] !== 'true') return undefined
  const healthy = entry.status?.conditions?.find((c) => c.type === 'Healthy')
  if (healthy?.status === 'True') return undefined
  return `is not Healthy (${healthy ? `${healthy.status}${healthy.message ? `: ${healthy.message}` : ''}` : 'no Healthy condition yet'})`
}

const disconnectedAt = (entry: WorkloadEntryObject) => entry.metadata.annotations?.['istio.io/disconnectedAt']

const where = (a: Args) => `WorkloadEntry ${a.namespace}/${a.name}`
const connectedMsg = (a: Args) =>
  `${where(a)} connected${a.since === undefined ? '' : ' since the restart'} and healthy`

/** The VM's WorkloadEntry: registered by istiod on onboarding, checked by verify, removed by offboard. */
/** The entry meshvm manages, as it should be: istiod's annotations on `now` kept, health checks on. */
function managedEntry(a: Args, now: WorkloadEntryObject | undefined): WorkloadEntryObject {
  const { labels, spec } = a.managed!
  const annotations = { ...now?.metadata.annotations, [HEALTH_CHECKS]: 'true' }
  const version = now?.metadata.resourceVersion
  const metadata = { name: a.name!, namespace: a.namespace, labels, annotations }
  return { metadata: version ? { ...metadata, resourceVersion: version } : metadata, spec }
}

/** Created when missing, its spec and labels put back when they drifted. */
function checkManaged(a: Args, entry: WorkloadEntryObject | undefined): Check<ClusterVerb> {
  if (!a.managed || !a.name) return skip('meshvm creates no WorkloadEntry for this VM (workloadEntryHealth off)')
  const want = managedEntry(a, entry)
  const same =
    entry &&
    isDeepStrictEqual(entry.spec, want.spec) &&
    isDeepStrictEqual(entry.metadata.labels ?? {}, want.metadata.labels) &&
    entry.metadata.annotations?.[HEALTH_CHECKS] === 'true'
  if (same) return ok(`${where(a)} present, health checks on`)
  const verb: ClusterVerb = entry ? 'update' : 'create'
  return change(`${verb} ${where(a)} (health checks on)`, verb)
}

export const workloadEntry: ClusterHandler<Args, { entry?: WorkloadEntryObject }> = {
  observes: (a) => a.state === 'registered' || a.state === 'connected',
  read: async (a, cluster) => ({ entry: a.name ? await getWorkloadEntry(cluster, a.namespace, a.name) : undefined }),
  check(a, { entry }) {
    if (a.state === 'absent') {
      if (!a.name) return skip('the VM has no mesh IP, so no WorkloadEntry of its own')
      return entry ? change(`delete ${where(a)}`, 'delete') : ok(`${where(a)} absent`)
    }
    if (a.state === 'managed') return checkManaged(a, entry)
    if (!(a.autoregister || a.managed) || !a.name) return skip('auto-registration is off for this VM')
    if (a.state === 'connected') {
      const why = notBackYet(entry, a.since)
      return why ? change(`wait until ${where(a)} is connected and healthy (it ${why})`, 'wait') : ok(connectedMsg(a))
    }
    if (a.state === 'registered' && a.managed)
      return notBackYet(entry, undefined) === undefined && entry?.metadata.annotations?.['istio.io/connectedAt']
        ? ok(`${where(a)} marked connected by istiod`)
        : change(`wait for istiod to mark ${where(a)} connected`, 'wait')
    if (a.state === 'registered') {
      // an entry istiod marked disconnected is the VM's last connection, not this one: it registers again on connect
      const gone = entry && disconnectedAt(entry)
      if (entry && !gone) return ok(`${where(a)} registered by istiod`)
      const again = gone ? ` again (marked disconnected since ${gone})` : ''
      return change(`wait for istiod to register ${where(a)}${again}`, 'wait')
    }
    if (!entry) return fail(`${where(a)} not found`)
    const disconnected = disconnectedAt(entry)
    if (disconnected) return fail(`${where(a)} is marked disconnected since ${disconnected}`)
    return ok(`${where(a)} present`)
  },
  async apply(a, c, cluster) {
    if (c.data === 'create' || c.data === 'update') {
      await writeWorkloadEntry(cluster, managedEntry(a, await getWorkloadEntry(cluster, a.namespace, a.name!)))
      return
    }
    if (c.data === 'delete') {
      const r = await deleteWorkloadEntry(cluster, a.namespace, a.name!)
      return r === 'deleted' ? `deleted ${where(a)}` : `${where(a)} absent`
    }
    const timeoutMs = a.timeoutMs ?? 30_000
    const deadline = Date.now() + timeoutMs
    if (a.state === 'connected') {
      let why: string | undefined
      for (let i = 0; i < 600; i++) {
        why = notBackYet(await getWorkloadEntry(cluster, a.namespace, a.name!), a.since)
        if (!why) return connectedMsg(a)
        if (Date.now() > deadline) break
        await sleep(250)
      }
      throw new Error(`${where(a)} ${why} after ${timeoutMs / 1000} s`)
    }
    for (let i = 0; i < 300; i++) {
      const now = await getWorkloadEntry(cluster, a.namespace, a.name!)
      if (a.managed && now?.metadata.annotations?.['istio.io/connectedAt'] && !notBackYet(now, undefined))
        return `${where(a)} marked connected by istiod`
      if (!a.managed && now && !disconnectedAt(now)) return `${where(a)} registered by istiod`
      if (Date.now() > deadline) break
      await sleep(500)
    }
    if (a.managed)
      throw new Error(
        `istiod did not mark ${where(a)} connected within ${timeoutMs / 1000} s: does it run Istio 1.19+ with PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS?`,
      )
    throw new Error(`${where(a)} did not appear within ${timeoutMs / 1000} s: is auto-registration enabled in istiod?`)
  },
}
