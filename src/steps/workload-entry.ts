import { setTimeout as sleep } from 'node:timers/promises'
import { deleteWorkloadEntry, getWorkloadEntry, type WorkloadEntryObject } from '../cluster/index.js'
import type { ClusterHandler } from './cluster-handler.js'
import { change, fail, ok, skip } from './handler.js'

export interface Args {
  namespace: string
  /** The entry istiod gives the VM; undefined when the VM has no mesh IP of its own. */
  name?: string
  autoregister: boolean
  /** `registered`: istiod registered it (wait, bounded); `present`: it is there and connected; `absent`: deleted. */
  state: 'registered' | 'present' | 'absent'
  timeoutMs?: number
}

const where = (a: Args) => `WorkloadEntry ${a.namespace}/${a.name}`

/** The VM's WorkloadEntry: registered by istiod on onboarding, checked by verify, removed by offboard. */
export const workloadEntry: ClusterHandler<Args, { entry?: WorkloadEntryObject }> = {
  observes: (a) => a.state === 'registered',
  read: async (a, cluster) => ({ entry: a.name ? await getWorkloadEntry(cluster, a.namespace, a.name) : undefined }),
  check(a, { entry }) {
    if (a.state === 'absent') {
      if (!a.name) return skip('the VM has no mesh IP, so no WorkloadEntry of its own')
      return entry ? change(`delete ${where(a)}`, 'delete') : ok(`${where(a)} absent`)
    }
    if (!a.autoregister || !a.name) return skip('auto-registration is off for this VM')
    if (a.state === 'registered')
      return entry ? ok(`${where(a)} registered by istiod`) : change(`wait for istiod to register ${where(a)}`, 'wait')
    if (!entry) return fail(`${where(a)} not found`)
    const disconnected = entry.metadata.annotations?.['istio.io/disconnectedAt']
    if (disconnected) return fail(`${where(a)} is marked disconnected since ${disconnected}`)
    return ok(`${where(a)} present`)
  },
  async apply(a, c, cluster) {
    if (c.data === 'delete') {
      const r = await deleteWorkloadEntry(cluster, a.namespace, a.name!)
      return r === 'deleted' ? `deleted ${where(a)}` : `${where(a)} absent`
    }
    const timeoutMs = a.timeoutMs ?? 30_000
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 300; i++) {
      if (await getWorkloadEntry(cluster, a.namespace, a.name!)) return `${where(a)} registered by istiod`
      if (Date.now() > deadline) break
      await sleep(500)
    }
    throw new Error(`${where(a)} did not appear within ${timeoutMs / 1000} s: is auto-registration enabled in istiod?`)
  },
}
