import { existsSync } from 'node:fs'
import type { PackageSource, Vm } from '../inventory/types.js'
import { handlers } from '../steps/index.js'
import type { Step } from '../steps/types.js'
import { coerce } from './coerce.js'
import { throwIfAny } from './load.js'
import { renderTemplates } from './template.js'
import type { Playbook } from './types.js'

/**
 * What `{{ }}` can name: `vm.*` (the inventory VM), `vars.*` (playbook vars, overridden by the VM's inventory vars,
 * overridden by what the command's prepare hook adds), `package.*` (the VM's package source).
 */
export function templateVars(
  pb: Playbook,
  vm: Vm,
  extra: Record<string, unknown> = {},
  pkg: PackageSource | undefined = vm.package,
): Record<string, unknown> {
  return { vm, vars: { ...pb.vars, ...vm.vars, ...extra }, package: pkg }
}

function renderWithProblems(pb: Playbook, vars: Record<string, unknown>): { steps: Step[]; problems: string[] } {
  const problems: string[] = []
  const steps = pb.steps.map((ps) => {
    const { spec } = handlers[ps.kind]
    const args: Record<string, unknown> = {}
    for (const [key, rule] of Object.entries(spec)) {
      if (!(key in ps.args)) {
        if (rule.default !== undefined) args[key] = rule.default
        continue
      }
      const missing: string[] = []
      const value = renderTemplates(ps.args[key], vars, missing)
      for (const m of missing) problems.push(`${ps.argAt[key]}: ${ps.kind}.${key}: missing variable '${m}'`)
      if (missing.length) continue
      const checked = coerce(value, rule)
      if ('error' in checked) problems.push(`${ps.argAt[key]}: ${ps.kind}.${key}: ${checked.error}`)
      else args[key] = checked.value
    }
    return { kind: ps.kind, name: ps.name, args } as Step
  })
  return { steps, problems }
}

/** Local files a step would push (a package `source.file`) that are not there: found before any VM is contacted. */
function missingLocalFiles(pb: Playbook, steps: Step[]): string[] {
  return steps.flatMap((step, i) => {
    const file = (step.args as { source?: { file?: unknown } }).source?.file
    if (typeof file !== 'string' || existsSync(file)) return []
    return [`${pb.steps[i]!.argAt.source}: ${step.kind}.source.file: no such file ${file} (the package to push)`]
  })
}

/** The playbook's steps with every template filled for one VM; problems throw one InputError with positions. */
export function renderPlaybook(pb: Playbook, vars: Record<string, unknown>): Step[] {
  const { steps, problems } = renderWithProblems(pb, vars)
  throwIfAny(pb.file, problems)
  return steps
}

/**
 * Renders for every VM before anything runs, so a missing variable stops the run, not one VM mid-way. With
 * `defaultPackage`, a VM without `package` gets one just before its steps (the default package), so it is not missing.
 */
export function validatePlaybook(pb: Playbook, vms: Vm[], defaultPackage = false): void {
  const problems = new Map<string, string[]>()
  for (const vm of vms) {
    const rendered = renderWithProblems(pb, templateVars(pb, vm, {}, vm.package ?? (defaultPackage ? {} : undefined)))
    for (const p of [...rendered.problems, ...missingLocalFiles(pb, rendered.steps)])
      problems.set(p, [...(problems.get(p) ?? []), vm.name])
  }
  const all = [...problems].map(([p, names]) => (names.length === vms.length ? p : `${p} (VMs: ${names.join(', ')})`))
  throwIfAny(pb.file, all)
}
