import type { EnsuredObject } from '../cluster/index.js'
import type { StepStatus } from '../executor/events.js'
import type { HostSummary } from '../executor/run.js'
import { failureHint } from './failure-hints.js'

const mark: Record<StepStatus, string> = { changed: '~', ok: '=', skipped: '-', failed: '✗' }

const objectName = (o: EnsuredObject) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`

/** What check mode found, per step: `~` would change, `=` already right (with its reason), `-` skipped. */
export function planLines(cluster: EnsuredObject[], host: HostSummary): string[] {
  const objects = cluster.map((o) =>
    o.result === 'unchanged' ? `  = ${objectName(o)}: exists` : `  ~ ${objectName(o)}: ${o.result.replace('-', ' ')}`,
  )
  const total = host.steps.length
  const steps = host.steps.map(
    (s) => `  ${mark[s.result.status]} [${s.index + 1}/${total}] ${s.name}: ${firstLine(s.result.msg)}`,
  )
  const count = (status: StepStatus) => host.steps.filter((s) => s.result.status === status).length
  const changes = count('changed') + cluster.filter((o) => o.result !== 'unchanged').length
  return [
    'Plan (check mode, nothing changed yet):',
    'Cluster:',
    ...objects,
    'VM:',
    ...steps,
    changes === 0
      ? 'Nothing to change: the VM is already onboarded.'
      : `${changes} change(s) to make, ${count('ok')} already right.`,
  ]
}

/** The failing step, its message and a hint; or why the VM could not be reached. */
export function failureLines(name: string, host: HostSummary): string[] {
  const step = host.steps.find((s) => s.result.status === 'failed')
  const msg = step?.result.msg ?? host.msg ?? host.status
  const head = step ? `✗ ${name}: step ${step.index + 1} "${step.name}" failed:` : `✗ ${name}: ${host.status}:`
  const hint = failureHint(step?.kind, msg)
  return [head, ...msg.trim().split('\n').map((l) => `    ${l}`), ...(hint ? [`  hint: ${hint}`] : [])]
}

const firstLine = (msg: string) => msg.trim().split('\n')[0] ?? ''
