import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { Writable } from 'node:stream'
import {
  connectCluster,
  eastWestGatewayIP,
  listContexts,
  listNamespaces,
  listWorkloadGroups,
  type ClusterClient,
} from '../cluster/index.js'
import { ExitCode, InputError } from '../errors.js'
import { checkLogin } from '../fleet/login.js'
import { onboardVms, type OnboardOptions } from '../fleet/onboard.js'
import { parseInventory } from '../inventory/read.js'
import type { Vm } from '../inventory/types.js'
import { askOn, isPromptCancel, type Ask } from '../prompts/ask.js'
import { askTrustHostKey } from '../prompts/host-key.js'
import { inventoryText, type WizardAnswers } from '../prompts/wizard-answers.js'
import {
  askMeshSide,
  askSshTarget,
  askWorkload,
  type ClusterChoices,
  type SshAuth,
} from '../prompts/wizard-questions.js'
import { failureHint } from '../report/failure-hints.js'
import { failureLines, planLines } from '../report/plan-view.js'
import type { Secret } from '../secret.js'
import { SshError } from '../ssh/errors.js'
import type { FlagValues } from './args.js'
import { clusterOptions } from './cluster-flags.js'
import type { CommandContext } from './context.js'
import { becomePassword, onboardOptions } from './fleet-flags.js'

/** Exit code of a run cancelled with Ctrl-C, as a shell reports SIGINT. */
const CANCELLED = 130
const THIS_FILE = '<this file>'

/** `meshvm onboard` on a terminal: asks for one VM, shows the plan, onboards it on confirmation, offers to save. */
export async function interactiveOnboard(f: FlagValues, ctx: CommandContext): Promise<number> {
  if (!ctx.stdin.isTTY || !ctx.stdout.isTTY) {
    const how = 'without one, describe the VMs in a file: meshvm onboard -i INVENTORY'
    throw new InputError(`interactive onboarding needs a terminal; ${how}`)
  }
  const say = (line = '') => ctx.stdout.write(`${line}\n`)
  const state = { applied: false }
  try {
    return await wizard(f, ctx, askOn(ctx.stdin, ctx.stdout), say, state)
  } catch (e) {
    if (!isPromptCancel(e)) throw e
    say()
    say(state.applied ? 'cancelled' : 'cancelled, nothing changed')
    return CANCELLED
  }
}

type Say = (line?: string) => void

async function wizard(f: FlagValues, ctx: CommandContext, ask: Ask, say: Say, state: { applied: boolean }) {
  say('Onboard one VM into the mesh. Ctrl-C at any question cancels; nothing changes before you confirm the plan.')
  const ssh = await askSshTarget(ask, ctx.env, ctx.cwd)
  const contexts = listContexts(clusterOptions(f, ctx.env)).sort((a, b) => Number(b.current) - Number(a.current))
  if (contexts.length === 0) throw new InputError('the kubeconfig lists no context: pass --kubeconfig')
  const context = await ask.select(
    'Kubernetes context:',
    contexts.map((c) => ({ name: `${c.name}${c.current ? ' (current)' : ''}  cluster ${c.cluster}`, value: c.name })),
  )
  const runFlags: FlagValues = { ...f, context }
  const cluster = choicesFrom(connectCluster(clusterOptions(runFlags, ctx.env)))
  const workload = await askWorkload(ask, cluster, contexts.find((c) => c.name === context)?.namespace)
  const mesh = await askMeshSide(ask, cluster, ctx.cwd)
  const identityFile = ssh.auth.kind === 'key' ? ssh.auth.file : undefined
  const answers: WizardAnswers = { ...ssh, identityFile, ...workload, ...mesh }

  const rerun = rerunCommand(runFlags, ctx.cwd)
  const text = inventoryText(answers, rerun)
  const vm = withAuth(parseInventory(text, join(ctx.cwd, 'interactive.yaml')).vms[0], ssh.auth)
  const become = await becomePassword(f, ctx)
  const options = onboardOptions(runFlags, ctx)
  const code = await checkAndApply(options, ctx, ask, say, vm, become, state)
  await offerSave(ask, say, ctx.cwd, text, answers.app, rerun)
  return code
}

function choicesFrom(client: ClusterClient): ClusterChoices {
  return {
    namespaces: () => listNamespaces(client),
    workloadGroups: (namespace) => listWorkloadGroups(client, namespace),
    gatewayIP: () => eastWestGatewayIP(client, 'istio-system'),
  }
}

// The password stays in memory: the login and, for a non-root user, sudo (which asks for that same password).
function withAuth(vm: Vm, auth: SshAuth): Vm {
  if (auth.kind !== 'password') return vm
  return { ...vm, ssh: { ...vm.ssh, password: auth.password }, become: { ...vm.become, password: auth.password } }
}

function rerunCommand(f: FlagValues, cwd: string): string {
  const path = f.kubeconfig ? resolve(cwd, String(f.kubeconfig)) : undefined
  const shown = path && (relative(cwd, path).startsWith('..') ? path : relative(cwd, path))
  return `meshvm onboard -i ${THIS_FILE}${shown ? ` --kubeconfig ${shown}` : ''} --context ${f.context}`
}

async function checkAndApply(
  o: OnboardOptions,
  ctx: CommandContext,
  ask: Ask,
  say: Say,
  vm: Vm,
  become: Secret | undefined,
  state: { applied: boolean },
): Promise<number> {
  say(`Connecting to ${vm.ssh.user}@${vm.ssh.host}…`)
  try {
    await checkLogin(vm, o, (where, key) => askTrustHostKey(ask, where, key))
  } catch (e) {
    if (!(e instanceof SshError)) throw e
    const hint = failureHint(undefined, e.message)
    say(`✗ ${e.message}${hint ? `\n  hint: ${hint}` : ''}`)
    return ExitCode.unreachable
  }
  say('Checking what onboarding would change (check mode)…')
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() })
  const quietCtx = { ...ctx, stdout: quiet, stderr: quiet }
  const plan = await onboardVms({ ...o, check: true, output: 'plain' }, quietCtx, [vm], become)
  const planned = plan.outcome.hosts[vm.name]
  if (planned.status === 'failed' || planned.status === 'unreachable') {
    for (const l of failureLines(vm.name, planned)) say(l)
    return plan.code
  }
  for (const l of planLines(plan.cluster, planned)) say(l)
  // the group's objects are among the VM's steps, so its tally counts their changes too
  const changes = planned.tally.changed
  if (changes === 0) return ExitCode.ok
  if (!(await ask.confirm(`Apply these changes to ${vm.name}?`))) {
    say('not applied: nothing changed')
    return ExitCode.input
  }
  state.applied = true
  const run = await onboardVms(o, ctx, [vm], become)
  const done = run.outcome.hosts[vm.name]
  if (done.status === 'failed' || done.status === 'unreachable') for (const l of failureLines(vm.name, done)) say(l)
  else say(`✓ ${vm.name} is in the mesh.`)
  return run.code
}

async function offerSave(ask: Ask, say: Say, cwd: string, text: string, app: string, rerun: string): Promise<void> {
  if (!(await ask.confirm('Save these answers as an inventory file (no password is saved)?'))) return
  const file = await ask.text('Inventory file:', {
    default: `${app}-inventory.yaml`,
    validate: (v) => {
      const path = resolve(cwd, v)
      if (existsSync(path)) return `${v} exists: choose another name`
      return existsSync(dirname(path)) || `${dirname(v)}: no such directory`
    },
  })
  await writeFile(resolve(cwd, file), text.replace(THIS_FILE, file), { mode: 0o644 })
  say(`saved ${file}; onboard it again, or a fleet after adding VMs to it: ${rerun.replace(THIS_FILE, file)}`)
}
