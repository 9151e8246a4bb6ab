import type { StepStatus } from '../executor/events.js'
import type { HostReport, RunReport, StepReport } from './collector.js'
import { unifiedDiff } from './diff-lines.js'

const mark: Record<StepStatus, string> = { changed: '~', ok: '=', skipped: '-', failed: '✗' }

// A group's objects are steps of its first VM's run; the plan lists them once, under Cluster, with the VMs' entries.
const GROUP_KINDS = new Set(['namespace', 'service-account', 'workload-group'])
const CLUSTER_KINDS = new Set([...GROUP_KINDS, 'workload-entry'])

// Distinct diffs shown per planned change; the report keeps every VM's.
const MAX_DIFFS = 3

/** `vm1 vm2 vm3`, or `vm1 vm2 … vm30` for more than four. */
export function vmList(names: string[]): string {
  return names.length <= 4 ? names.join(' ') : `${names[0]} ${names[1]} … ${names.at(-1)}`
}

/** What a step's message says once the VM's own parts (its address, how long things took) are taken out. */
function generic(msg: string): string {
  return (msg.trim().split('\n')[0] ?? '')
    .replace(/^check mode: /, '')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, '<ip>')
    .replace(/\b\d{4}-\d\d-\d\dT[\d:.]+Z\b/g, '…')
    .replace(/\b(valid for|after|expires in) \d+(\.\d+)? ?(ms|s|min|h)\b/g, '$1 …')
}

interface Outcome {
  status: StepStatus
  msg: string
  vms: string[]
  steps: StepReport[]
}

/** A step's results across VMs, one entry per outcome: VMs whose step would do (or did) the same thing. */
function outcomesOf(runs: { vm: string; step: StepReport }[]): Outcome[] {
  const byKey = new Map<string, Outcome>()
  for (const { vm, step } of runs) {
    const msg = generic(step.msg)
    const key = `${step.status}\n${msg}`
    const o = byKey.get(key) ?? { status: step.status, msg, vms: [], steps: [] }
    o.vms.push(vm)
    o.steps.push(step)
    byKey.set(key, o)
  }
  return [...byKey.values()]
}

/** Each step name in playbook order, with every VM's result for it. */
function byStep(hosts: [string, HostReport][], cluster: boolean): Map<string, { vm: string; step: StepReport }[]> {
  const steps = new Map<string, { vm: string; step: StepReport }[]>()
  for (const [vm, h] of hosts)
    for (const step of h.steps) {
      if (CLUSTER_KINDS.has(step.kind) !== cluster) continue
      steps.set(step.name, [...(steps.get(step.name) ?? []), { vm, step }])
    }
  // the groups' objects before the VMs' entries, as they are made
  const rank = ([, runs]: [string, { step: StepReport }[]]) => (GROUP_KINDS.has(runs[0]!.step.kind) ? 0 : 1)
  return new Map([...steps].sort((a, b) => rank(a) - rank(b)))
}

function diffLines(o: Outcome, names: string[]): string[] {
  const byText = new Map<string, string[]>()
  o.steps.forEach((s, i) => {
    const text = s.diff ? unifiedDiff(s.diff).join('\n') : ''
    if (text) byText.set(text, [...(byText.get(text) ?? []), names[i]!])
  })
  const shown = [...byText].slice(0, MAX_DIFFS)
  const out = shown.flatMap(([text, vms]) => [
    ...(byText.size > 1 ? [`      on ${vmList(vms)}:`] : []),
    ...text.split('\n').map((l) => `      ${l}`),
  ])
  if (byText.size > MAX_DIFFS) out.push(`      … ${byText.size - MAX_DIFFS} more different diffs (the report has each)`)
  return out
}

function stepLines(steps: Map<string, { vm: string; step: StepReport }[]>, all: number, diff: boolean): string[] {
  return [...steps].flatMap(([name, runs]) =>
    outcomesOf(runs).flatMap((o) => {
      // a group's object is one object, whichever VM's run made it
      if (GROUP_KINDS.has(o.steps[0]!.kind)) return [`  ${mark[o.status]} ${o.msg}`]
      const n = o.vms.length
      const who = n === all && all > 1 ? `all ${all} VMs` : `${n} VM${n > 1 ? 's' : ''}: ${vmList(o.vms)}`
      const head = `  ${mark[o.status]} ${name}: ${o.msg} — ${who}`
      return diff && o.status === 'changed' ? [head, ...diffLines(o, o.vms)] : [head]
    }),
  )
}

/**
 * The plan of a check run, grouped across VMs: the cluster objects (the groups' Namespace, ServiceAccount and
 * WorkloadGroup, the VMs' WorkloadEntries), then each step once with the VMs it would change and those already right,
 * each distinct diff once (`--diff`); VMs that could not be planned are named with why.
 */
export function fleetPlanLines(report: RunReport, opts: { diff?: boolean } = {}): string[] {
  const hosts = Object.entries(report.hosts)
  const planned = hosts.filter(([, h]) => h.status !== 'unreachable' && h.status !== 'not-run')
  const cluster = stepLines(byStep(planned, true), planned.length, opts.diff === true)
  const vm = stepLines(byStep(planned, false), planned.length, opts.diff === true)
  const toChange = planned.filter(([, h]) => h.changed > 0).map(([n]) => n)
  const right = planned.filter(([, h]) => h.changed === 0 && h.failed === 0).map(([n]) => n)
  const failed = planned.filter(([, h]) => h.failed > 0).map(([n]) => n)
  const unplanned = hosts
    .filter(([, h]) => h.status === 'unreachable' || h.status === 'not-run')
    .map(([n, h]) => `  ✗ ${n}: ${h.status === 'unreachable' ? `unreachable: ${h.msg ?? ''}` : 'not run'}`)
  const summary = [
    toChange.length ? `${toChange.length} VM(s) would change` : 'nothing would change',
    right.length ? `${right.length} already right` : '',
    failed.length ? `${failed.length} failed in check mode` : '',
    unplanned.length ? `${unplanned.length} not planned` : '',
  ].filter(Boolean)
  return [
    `Plan for ${hosts.length} VM(s) (check mode: nothing was changed):`,
    ...(cluster.length ? ['Cluster:', ...cluster] : []),
    ...(vm.length ? ['Steps:', ...vm] : []),
    ...(unplanned.length ? ['Not planned:', ...unplanned] : []),
    `${summary.join(', ')}.`,
  ]
}
