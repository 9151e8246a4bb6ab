import type { StepStatus } from '../executor/events.js'
import type { HostOutcome } from '../executor/outcome.js'
import { objectName, type EnsuredObject } from './cluster-objects.js'
import { failureHint } from './failure-hints.js'

const mark: Record<StepStatus, string> = { changed: '~', ok: '=', skipped: '-', failed: '✗' }

// The group's objects are steps of the VM's run too; the plan lists them once, under Cluster.
const GROUP_OBJECT_KINDS = ['namespace', 'service-account', 'workload-group']

/** What check mode found, per step: `~` would change, `=` already right (with its reason), `-` skipped. */
export function planLines(cluster: EnsuredObject[], host: HostOutcome): string[] {
  const objects = cluster.map((o) =>
    o.result === 'unchanged' ? `  = ${objectName(o)}: exists` : `  ~ ${objectName(o)}: ${o.result.replace('-', ' ')}`,
  )
  const vmSteps = host.steps.filter((s) => !GROUP_OBJECT_KINDS.includes(s.kind))
  const steps = vmSteps.map(
    (s, i) => `  ${mark[s.result.status]} [${i + 1}/${vmSteps.length}] ${s.name}: ${firstLine(s.result.msg)}`,
  )
  const count = (status: StepStatus) => vmSteps.filter((s) => s.result.status === status).length
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
export function failureLines(name: string, host: HostOutcome): string[] {
  const step = host.steps.find((s) => s.result.status === 'failed')
  const msg = step?.result.msg ?? host.msg ?? host.status
  const head = step ? `✗ ${name}: step ${step.index + 1} "${step.name}" failed:` : `✗ ${name}: ${host.status}:`
  const hint = failureHint(step?.kind, msg)
  return [
    head,
    ...msg
      .trim()
      .split('\n')
      .map((l) => `    ${l}`),
    ...(hint ? [`  hint: ${hint}`] : []),
  ]
}

const firstLine = (msg: string) => msg.trim().split('\n')[0] ?? ''
