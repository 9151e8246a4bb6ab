import { Writable } from 'node:stream'
import type { IstioVersion } from '../bundle/types.js'
import { connectCluster, readControlPlane, type CaFacts, type ConnectOptions } from '../cluster/index.js'
import type { RunEvent } from '../executor/events.js'
import type { RunOutcome } from '../executor/outcome.js'
import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { unifiedDiff } from '../report/index.js'
import { builtInPlaybook } from './playbooks.js'
import { checkedPlaybook, runFleet, type FleetIo, type FleetOptions } from './run.js'
import { VmBundles } from './vm-bundles.js'

export interface RenewOptions extends FleetOptions {
  cluster: ConnectOptions
  istioVersion?: IstioVersion
  /** The run covers the whole inventory (no --limit): only then may a root rotation drop the old root. */
  wholeFleet: boolean
  /** No progress lines: one line per change or failure, then one summary line (the default for unattended runs). */
  quiet: boolean
}

const ROOT_STEP = 'Update root-cert.pem'
const CERT = '/etc/certs/cert-chain.pem'

/** Keep a token valid this long: half its lifetime, at most 30 min (so a renew every few minutes always has room). */
const tokenMinValidity = (vm: Vm) => Math.min(1800, Math.floor((vm.tokenDuration ?? 3600) / 2))

const sink = () => Object.assign(new Writable({ write: (_c, _e, done) => done() }), { isTTY: false })

/**
 * Brings each VM back to what onboarding would give it now, touching only what drifted (playbooks/renew.yaml).
 * A root rotation runs in two passes: first every VM gets the cluster's roots added to the ones it trusts; only when
 * every VM of the fleet holds the cluster's roots does a second pass leave the cluster's alone on the VMs.
 */
export async function renewVms(o: RenewOptions, io: FleetIo, vms: Vm[], become: Secret | undefined) {
  const client = connectCluster(o.cluster)
  const bundles = new VmBundles(client, o.istioVersion, o.check)
  // Does the CA renew a VM's certificate by that certificate (istiod), or only with a valid token (istio-csr's
  // default)? Read once per control plane, as status does; unknown counts as "only with a token".
  const cas = new Map<string, Promise<CaFacts>>()
  const renewsByCert = async (vm: Vm) => {
    const { revision } = await bundles.facts(vm)
    const key = `${vm.istioNamespace}/${revision}`
    if (!cas.has(key))
      cas.set(
        key,
        readControlPlane(client, vm.istioNamespace, revision).then((cp) => cp.ca),
      )
    return (await cas.get(key)!).acceptsClientCert === true
  }
  const started = Date.now()
  const pass = async (keepRoots: boolean, on: Vm[]) => {
    const holdsOld = new Set<string>()
    const trusts = new Set<string>()
    const track = (e: RunEvent) => {
      if (e.type !== 'step-end' || e.name !== ROOT_STEP || e.result.status === 'failed') return
      trusts.add(e.host)
      if (e.result.msg.includes('kept until')) holdsOld.add(e.host)
    }
    const run = await runFleet(o, o.quiet ? { ...io, stdout: sink() } : io, {
      playbook: await checkedPlaybook(builtInPlaybook('renew'), on),
      vms: on,
      prepare: async (vm) => ({
        bundle: (await bundles.forVm(vm)).files,
        vars: { keepRoots, tokenMinValidity: tokenMinValidity(vm), certPath: (await renewsByCert(vm)) ? CERT : '' },
      }),
      listeners: [track],
      become,
    })
    if (o.quiet) for (const line of changes(run.outcome, o.diff)) io.stdout.write(line + '\n')
    return { ...run, holdsOld, trusts }
  }
  const first = await pass(true, vms)
  let code = first.code
  let outcomes = [first.outcome]
  if (first.holdsOld.size > 0 && !o.check) {
    const all = vms.every((vm) => first.trusts.has(vm.name))
    if (all && o.wholeFleet) {
      io.stderr.write(
        `root rotation: every VM trusts the cluster's roots; removing older roots from ${first.holdsOld.size} VM(s)\n`,
      )
      const second = await pass(
        false,
        vms.filter((vm) => first.holdsOld.has(vm.name)),
      )
      code = Math.max(code, second.code)
      outcomes = [...outcomes, second.outcome]
    } else {
      const why = o.wholeFleet
        ? 'not every VM could be updated'
        : 'this run did not cover the whole inventory (--limit)'
      io.stderr.write(`root rotation: older roots kept on ${first.holdsOld.size} VM(s): ${why}\n`)
    }
  }
  if (o.quiet) io.stdout.write(summaryLine(outcomes, vms.length, Date.now() - started, o.check) + '\n')
  return { code }
}

/** The quiet output: one line per step that changed or failed (with --diff, its before/after under it). */
function changes(outcome: RunOutcome, diff: boolean): string[] {
  return Object.entries(outcome.hosts).flatMap(([host, h]) => [
    ...h.steps
      .filter((s) => s.result.status === 'changed' || s.result.status === 'failed')
      .flatMap((s) => [
        `${host}: ${s.name}: ${s.result.status}: ${s.result.msg}`,
        ...(diff && s.result.diff ? unifiedDiff(s.result.diff).map((l) => `    ${l}`) : []),
      ]),
    ...(h.status === 'unreachable' ? [`${host}: unreachable: ${h.msg ?? ''}`] : []),
  ])
}

function summaryLine(outcomes: RunOutcome[], vms: number, ms: number, check: boolean): string {
  const hosts = outcomes.flatMap((o) => Object.values(o.hosts))
  const changed = new Set(
    outcomes.flatMap((o) =>
      Object.entries(o.hosts)
        .filter(([, h]) => h.status === 'changed')
        .map(([n]) => n),
    ),
  ).size
  const failed = outcomes[outcomes.length - 1]!.failed.length + outcomes[0]!.unreachable.length
  const steps = hosts.reduce((n, h) => n + h.tally.changed, 0)
  const time = `${(ms / 1000).toFixed(1)}s`
  if (changed === 0 && failed === 0) return `renew: ${vms} VM(s) as they should be, nothing to do (${time})`
  const verb = check ? 'would change' : 'changed'
  return `renew: ${vms} VM(s): ${changed} ${verb} (${steps} step(s)), ${failed} failed or unreachable (${time})`
}
