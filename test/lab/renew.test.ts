// meshvm renew on real lab hosts with a token-only CA (istio-csr's default) and 60 s certificates, 10 VMs: with renew
// on a timer 5 of them stay connected through 5 certificate lifetimes while the other 5, left without it, lose their
// identity once their tokens expire (status shows both); renew gives it back; then, still on the timer, a root
// rotation across all 10 (overlap bundle first, the new root alone only once every VM trusts it) during which no VM
// refuses the old or the new chain: the stand-in agent logs every verification with the CA that signed the chain, the
// stand-in istiod every client certificate it refuses.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'
import { statusOutputs } from '../support/status-outputs.js'

const CERT_TTL = 60
const VMS = 10
const certsIn = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
const count = (text: string, re: RegExp) => (text.match(new RegExp(re, 'g')) ?? []).length
/** Since the mark: istiod's chain, signed by root `ca`, verified against `n` roots; then a workload certificate from `ca`. */
const chainFrom = (ca: string, n: number) =>
  new RegExp(
    `verified the certificate chain of \\S+ \\(issued by [^)]*CN = ${ca}\\) against the ${n} root\\(s\\)` +
      `[^]*generated new workload certificate [^\\n]*issuer=[^\\n]*CN = ${ca}\\n`,
  )
const NEW_CA = 'meshvm lab root CA 1'
// a chain or a credential refused (a control plane that does not answer in time is not a refusal)
const REFUSED = /unknown authority|handshake failed|does not chain|Unauthenticated|PermissionDenied/
// the identity lost: the certificate ran out
const LOST = /could not be renewed/
/** The log lines that match, for a message that shows them. */
const lines = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).join('\n')
/** Every connection the agent saw end was made again. */
const reconnected = (text: string) => text.lastIndexOf('terminated with unexpected error') < text.lastIndexOf('connected to upstream XDS server') || !text.includes('terminated with unexpected error')

describe(`meshvm renew: ${VMS} lab VMs, token-only CA, ${CERT_TTL} s certificates`, { skip: labSkipReason, timeout: 900_000 }, () => {
  let fleet: LabFleet
  let names: string[] = []
  let kept: string[] = [] // renew on the timer from the start
  let left: string[] = [] // no renew until they lost their identity
  const renew = (...args: string[]) =>
    runCli(['renew', ...args, '-i', join(fleet.dir, 'inventory.yaml'), '--kubeconfig', join(fleet.dir, 'kubeconfig')], {}, fleet.dir)
  const log = async (vm: string) => (await fleet.ssh(vm, 'sudo cat /var/log/istio/istio.log')).stdout
  const marks = async () => Object.fromEntries(await Promise.all(names.map(async (vm) => [vm, (await log(vm)).length] as const)))
  const since = async (vm: string, mark: Record<string, number>) => (await log(vm)).slice(mark[vm])
  const istiodSince = (at: number) => readFileSync(join(fleet.dir, 'cluster', 'istiod.log'), 'utf8').slice(at)
  const istiodMark = () => readFileSync(join(fleet.dir, 'cluster', 'istiod.log'), 'utf8').length
  /** Polls every VM's log since `mark` until it matches, at most `seconds`. */
  const allLog = async (vms: string[], mark: Record<string, number>, pattern: RegExp, seconds: number) => {
    await Promise.all(
      vms.map(async (vm) => {
        const deadline = Date.now() + seconds * 1000
        let text = await since(vm, mark)
        while (!pattern.test(text) && Date.now() < deadline) {
          await sleep(1000)
          text = await since(vm, mark)
        }
        assert.match(text, pattern, `istio.log of ${vm} since the mark`)
      }),
    )
  }
  const roots = async (vm: string) => certsIn((await fleet.ssh(vm, 'cat /etc/certs/root-cert.pem')).stdout)
  const allRoots = async (n: number, seconds: number) => {
    const deadline = Date.now() + seconds * 1000
    while (Date.now() < deadline) {
      const held = await Promise.all(names.map(roots))
      if (held.every((r) => r.length === n)) return held
      await sleep(1000)
    }
    assert.fail(`not every VM holds ${n} root(s) after ${seconds} s`)
  }

  // renew on a timer, as the systemd timer or CronJob runs it: every few seconds, over `scope`
  let scope: string[] = []
  let stop = false
  const runs: { code: number; stdout: string; stderr: string }[] = []
  let timer: Promise<void> | undefined
  let started = 0
  let startMark: Record<string, number> = {}

  before(async () => {
    fleet = await labFleet(VMS, ['--cert-ttl', `${CERT_TTL}s`, '--ca-mode', 'token-only'])
    names = fleet.hosts.map((h) => h.name)
    kept = names.slice(0, 5)
    left = names.slice(5)
    const r = await runCli(['onboard', '--output', 'plain', '-i', join(fleet.dir, 'inventory.yaml'), '--kubeconfig', join(fleet.dir, 'kubeconfig')], {}, fleet.dir)
    assert.equal(r.code, 0, r.stdout + r.stderr)
  })
  after(async () => {
    stop = true
    await timer
    await fleet?.down()
  })

  test('a no-op renew prints one line', async () => {
    const r = await renew()
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(r.stdout, new RegExp(`^renew: ${VMS} VM\\(s\\) as they should be, nothing to do \\(\\d+\\.\\ds\\)\\n$`))
  })

  test('tokens run out: the 5 VMs on the renew timer keep their identity, the 5 without it lose it (status shows both); renew gives it back', async () => {
    const mark = await marks()
    startMark = mark
    // every token about to run out, as a short --tokenDuration would leave them
    await Promise.all(names.map(async (vm) => assert.equal((await fleet.lab('token', '--vm', vm, '--ttl', '20s')).code, 0)))
    started = Date.now()
    scope = ['--limit', kept.join(',')]
    timer = (async () => {
      while (!stop) {
        runs.push(await renew(...scope))
        await sleep(3000)
      }
    })()
    // the token expires after 20 s; the last certificate lives at most one lifetime more
    await allLog(left, mark, /the workload certificate expired at .* and could not be renewed/, 20 + CERT_TTL + 40)
    assert.match(await since(left[0], mark), /failed to rotate the workload certificate: .*Unauthenticated/)
    const out = await statusOutputs(fleet)
    for (const vm of kept) {
      const v = out.json.vms.find((x) => x.vm === vm)!
      assert.notEqual(v.verdict, 'broken', `${vm}: ${v.reason}`)
      assert.match(v.checks.find((c) => c.check === 'certificate')!.text, /renews while the token is valid/, vm)
    }
    for (const vm of left) {
      const v = out.json.vms.find((x) => x.vm === vm)!
      assert.equal(v.verdict, 'broken', `${vm}: ${v.reason}`)
      assert.match(v.reason, /cannot get an identity|cannot be renewed/, vm)
    }
    assert.match(out.table, new RegExp(`${VMS} VM\\(s\\): .*5 broken`))

    const back = await marks()
    scope = [] // the whole fleet from now on
    await allLog(left, back, /generated new workload certificate[^]*connected to upstream XDS server|connected to upstream XDS server[^]*generated new workload certificate/, 60)
    const fixed = runs.find((r) => left.every((vm) => new RegExp(`${vm}: Renew istio-token: changed`).test(r.stdout)))
    assert.ok(fixed, 'one renew run gave every VM without a valid token a new one')
    assert.doesNotMatch(runs.map((r) => r.stdout + r.stderr).join(''), /eyJ/, 'no token printed')
  })

  test(`a root rotation across the ${VMS} VMs on the renew timer: no VM ever refuses the old or the new chain`, async () => {
    const mark = await marks()
    const istiodAt = istiodMark()
    const [oldRoot] = await roots(names[0])

    assert.equal((await fleet.lab('rotate-root', 'overlap')).code, 0)
    await allRoots(2, 30) // the timer's renew pushes the overlap bundle
    // every VM verifies istiod's chain, still signed by the old root, against the overlap bundle
    await allLog(names, mark, /verified the certificate chain of \S+ \(issued by [^)]*CN = meshvm lab root CA\) against the 2 root\(s\)/, 30)

    const switched = await marks()
    assert.equal((await fleet.lab('rotate-root', 'switch')).code, 0)
    // istiod signs with the new root: each VM's next certificate and istiod's serving chain come from it
    await allLog(names, switched, chainFrom(NEW_CA, 2), CERT_TTL + 20)
    assert.deepEqual((await Promise.all(names.map(roots))).map((r) => r.length), names.map(() => 2), 'the old root is kept on every VM while the cluster still trusts it')

    const finished = await marks()
    assert.equal((await fleet.lab('rotate-root', 'finish')).code, 0)
    const alone = await allRoots(1, 40) // only once every VM trusts the new root does the timer's renew drop the old
    for (const [i, r] of alone.entries()) assert.notEqual(r[0], oldRoot, `${names[i]}: the new root alone`)
    assert.ok(
      runs.some((r) => new RegExp(`root rotation: every VM trusts the cluster's roots; removing older roots from ${VMS} VM\\(s\\)`).test(r.stderr)),
      'the timer run that dropped the old root said why',
    )
    await allLog(names, finished, chainFrom(NEW_CA, 1), CERT_TTL + 20)

    for (const vm of names) {
      const text = await since(vm, mark)
      assert.equal(lines(text, REFUSED), '', `${vm} refused a chain`)
      assert.ok(reconnected(text), `${vm}: connected again after every dropped connection`)
      assert.ok(count(text, /\tverified the certificate chain/) >= 6, `${vm} logged its verifications`)
    }
    // a stream refused as NotFound (a connection istiod let go while the loaded machine delayed a poll) is no refusal of a chain
    const refusedByIstiod = lines(istiodSince(istiodAt), /refused the client certificate|refused \S+ from \S+: (Unauthenticated|PermissionDenied)/)
    assert.equal(refusedByIstiod, '', 'istiod refused no chain')
  })

  test(`the 5 VMs on the timer stayed connected through 5 certificate lifetimes`, async () => {
    const rest = started + 5 * CERT_TTL * 1000 + 5000 - Date.now()
    if (rest > 0) await sleep(rest)
    stop = true
    await timer
    for (const [i, r] of runs.entries()) assert.equal(r.code, 0, `renew run ${i + 1}: ${r.stdout}${r.stderr}`)
    const noop = runs.filter((r) => /nothing to do/.test(r.stdout)).length
    assert.ok(runs.length >= 20 && noop > 0 && noop < runs.length, `${runs.length} renew runs on the timer, ${noop} with nothing to do`)
    for (const vm of kept) {
      const text = await since(vm, startMark)
      assert.equal(lines(text, REFUSED), '', `${vm} refused a chain`)
      assert.equal(lines(text, LOST), '', `${vm} lost its identity`)
      assert.equal(lines(text, /Envoy exited|Agent draining|giving up/), '', `${vm} stopped`)
      assert.ok(reconnected(text), `${vm}: connected again after every dropped connection`)
      const certs = count(text, /generated new workload certificate/)
      assert.ok(certs >= 8, `${vm} renewed its certificate ${certs} times in ${5 * CERT_TTL} s`)
    }
    const again = await renew()
    assert.match(again.stdout, /nothing to do/)
  })
})
