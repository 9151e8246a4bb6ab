// ensureWorkloadGroup as these tests knew it: the group's three cluster steps (fleet/group-objects.ts), one group.
import { parse } from 'yaml'
import type { ClusterClient } from '../../src/cluster/index.js'
import { ensureGroupObjects } from '../../src/fleet/group-objects.js'
import type { Vm, WorkloadGroupSpec } from '../../src/inventory/types.js'

export async function ensureWorkloadGroup(client: ClusterClient, g: WorkloadGroupSpec, o: { dryRun?: boolean } = {}) {
  const vm = { name: 'vm', workloadGroup: g } as Vm
  const { objects, decided } = await ensureGroupObjects(client, [vm], { check: o.dryRun === true, diff: true })
  return objects.map((obj, i) => {
    const diff = decided(vm)[i].result.diff
    return { ...obj, ...(diff ? { diff: { before: parse(diff.before), after: parse(diff.after) } } : {}) }
  })
}
