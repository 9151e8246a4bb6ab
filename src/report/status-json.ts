// `meshvm status --output json`, and the `--diff` of drifted files. The token appears only as its expiry.
import type { FleetStatus } from '../fleet/status.js'
import { STATUS_PATHS } from '../plan/status-facts.js'
import type { BundleName } from '../plan/status-checks.js'
import { unifiedDiff } from './diff-lines.js'
import { tally, type StatusRow } from './status-view.js'

export function renderStatusJson(rows: StatusRow[], at: Date, diffs?: Map<string, string[]>): string {
  const vms = rows.map(({ findings, ...r }) => ({
    ...r,
    checks: findings,
    ...(diffs ? { diff: diffs.get(r.vm) ?? [] } : {}),
  }))
  return JSON.stringify({ at: at.toISOString(), summary: tally(rows), vms }, null, 2) + '\n'
}

const PATH_OF: Record<BundleName, string> = {
  'cluster.env': STATUS_PATHS.clusterEnv,
  'mesh.yaml': STATUS_PATHS.mesh,
  hosts: `${STATUS_PATHS.hosts} (meshvm block)`,
}

/** Per VM, unified diffs (VM → what meshvm would write now) of every drifted file. */
export function statusDiffs(status: FleetStatus): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const s of status.vms) {
    const j = s.judged
    if (!j) continue
    const onVm = {
      'cluster.env': j.facts.files['cluster.env'],
      'mesh.yaml': j.facts.files['mesh.yaml'],
      hosts: j.derived.hostsBlock,
    }
    const lines = j.derived.drifted.flatMap((name) =>
      unifiedDiff({ path: PATH_OF[name], before: onVm[name] ?? '', after: j.cluster.expected[name] }),
    )
    out.set(s.name, lines)
  }
  return out
}
