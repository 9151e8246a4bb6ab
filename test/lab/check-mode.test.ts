// Check mode on real lab hosts writes nothing to the cluster, not even a TokenRequest: the token step is planned from
// the claims a new token would carry (read-only), so a fresh VM still shows its token upload, an onboarded VM's token
// is ok, and a token about to expire is reported as replaced, with why. Every fleet command's --check only reads.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse } from 'yaml'
import { labFleet, onboardFleet, type LabFleet } from '../support/lab-fleet.js'
import { labSkipReason } from '../support/lab-hosts.js'

interface Report {
  hosts: Record<string, { steps: { name: string; status: string; msg: string }[] }>
}
interface Request {
  method: string
  path: string
  user: string
}

const TOKEN = '/var/run/secrets/tokens/istio-token'

describe('check mode makes no cluster write (lab)', { skip: labSkipReason, timeout: 900_000 }, () => {
  let fleet: LabFleet
  let fresh: string
  let onboarded: string
  let apiLog: string
  let runs = 0
  // what meshvm asked the lab cluster (as the kubeconfig's user; istiod polls as its own), since `mark`
  const requestsSince = (mark: number): Request[] =>
    readFileSync(apiLog, 'utf8')
      .slice(mark)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Request)
      .filter((r) => r.user === 'kubernetes-admin')
  const logLength = () => readFileSync(apiLog, 'utf8').length
  /** `meshvm ARGS --check`; asserts it only read the cluster. */
  const check = async (...args: string[]) => {
    const report = join(fleet.dir, `check-${runs++}.json`)
    const mark = logLength()
    const r = await fleet.meshvm(...args, '--check', '--output', 'plain', '--report', report)
    const requests = requestsSince(mark)
    // a playbook with no bundle and no cluster step (restart-istio) needs no cluster at all
    if (args[0] !== 'run') assert.ok(requests.length > 0, `${args[0]} --check read the cluster`)
    assert.deepEqual(
      requests.filter((q) => q.method !== 'GET'),
      [],
      `${args.join(' ')} --check only reads the cluster`,
    )
    return { ...r, requests, report: JSON.parse(readFileSync(report, 'utf8')) as Report }
  }
  const tokenStep = (report: Report, vm: string, name = 'Upload istio-token') =>
    report.hosts[vm].steps.find((s) => s.name === name)!
  const tokenSha = async (vm: string) => (await fleet.ssh(vm, `sudo sha256sum ${TOKEN} 2>&1; true`)).stdout

  before(async () => {
    fleet = await labFleet(2)
    ;[onboarded, fresh] = fleet.hosts.map((h) => h.name)
    apiLog = join(fleet.dir, 'cluster', 'api-requests.log')
    await onboardFleet(fleet, '--limit', onboarded)
  })
  after(() => fleet?.down())

  test('onboard --check: only GETs; the fresh VM would get a token, the onboarded VM keeps its own', async () => {
    const before = [await tokenSha(onboarded), await tokenSha(fresh)]
    const r = await check('onboard')
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(!r.requests.some((q) => q.path.endsWith('/token')), 'no TokenRequest')
    assert.ok(r.requests.some((q) => q.path === '/.well-known/openid-configuration'), 'the issuer, read')
    const planned = tokenStep(r.report, fresh)
    assert.equal(planned.status, 'changed', JSON.stringify(planned))
    assert.equal(planned.msg, `would create ${TOKEN}`)
    const kept = tokenStep(r.report, onboarded)
    assert.equal(kept.status, 'ok', JSON.stringify(kept))
    assert.match(kept.msg, new RegExp(`^token on the VM still valid for (5\\d|60) min \\(${TOKEN}\\)$`))
    assert.deepEqual([await tokenSha(onboarded), await tokenSha(fresh)], before, 'no token written on the VMs')
    assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]+\.eyJ[\w-]+\./, 'no token in the output')
  })

  test('a token about to expire: --check says it would be replaced and why; the real run replaces it', async () => {
    const minted = await fleet.lab('token', '--vm', onboarded, '--ttl', '10m')
    assert.equal(minted.code, 0, minted.stderr)
    const before = await tokenSha(onboarded)

    const r = await check('onboard')
    const step = tokenStep(r.report, onboarded)
    assert.equal(step.status, 'changed', JSON.stringify(step))
    assert.match(step.msg, new RegExp(`^would update ${TOKEN}: the token on the VM expires in (9|10) min$`))
    // renew, where istiod renews by certificate, needs no token while the certificate lasts (planned without one too)
    const renew = await check('renew')
    assert.match(tokenStep(renew.report, onboarded, 'Renew istio-token').msg, /^not needed: the VM renews with its certificate/)
    assert.equal(await tokenSha(onboarded), before, 'check mode left the short token in place')

    // the real run mints (a POST) and writes a full-length token; check mode then finds it ok
    const run = await fleet.meshvm('onboard', '--limit', onboarded, '--output', 'plain')
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.notEqual(await tokenSha(onboarded), before)
    const again = await check('onboard', '--limit', onboarded)
    assert.match(tokenStep(again.report, onboarded).msg, /^token on the VM still valid for (5\d|60) min/)
  })

  test('renew, verify, upgrade, offboard and restart-istio --check only read the cluster too', async () => {
    const version = (parse(readFileSync(fleet.inventory, 'utf8')) as { defaults: { package: { version: string } } })
      .defaults.package.version
    for (const args of [
      ['renew'],
      ['verify'],
      ['upgrade', '--to', version],
      ['offboard'],
      ['run', 'playbooks/restart-istio.yaml'],
    ]) {
      const r = await check(...args)
      assert.ok(r.code === 0 || r.code === 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    }
  })
})
