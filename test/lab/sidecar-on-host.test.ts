// The lab sidecar package on a real lab host (systemd, dpkg, sudo): installed and started as istio.io's VM guide
// does, against the stand-in istiod on the lab bridge.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildSidecarDeb } from '../../src/lab/sidecar/build-deb.js'
import { labSkipReason, sshRun, withLabHosts, type TestHost } from '../support/lab-hosts.js'
import { startTestCluster, type TestCluster } from './istiod-fixture.js'

// istio-start.sh points the CA at :15012 unless cluster.env names CA_ADDR (as istioctl does for a revision); this
// istiod listens on a free port, so the test names it.
const clusterEnv = (port: number) => `CA_ADDR='istiod.istio-system.svc:${port}'
CANONICAL_REVISION='latest'
CANONICAL_SERVICE='web'
ISTIO_INBOUND_PORTS='*'
ISTIO_LOCAL_EXCLUDE_PORTS='22,15090,15021,15020'
ISTIO_METAJSON_LABELS='{"app":"web","service.istio.io/canonical-name":"web"}'
ISTIO_META_AUTO_REGISTER_GROUP='web'
ISTIO_META_CLUSTER_ID='Kubernetes'
ISTIO_META_DNS_CAPTURE='true'
ISTIO_META_NETWORK=''
ISTIO_META_WORKLOAD_NAME='web'
ISTIO_NAMESPACE='vm-ns'
ISTIO_SERVICE='web.vm-ns'
ISTIO_SERVICE_CIDR='*'
POD_NAMESPACE='vm-ns'
SERVICE_ACCOUNT='vm-sa'
TRUST_DOMAIN='cluster.local'
`

async function run(host: TestHost, cmd: string, input?: string | Buffer): Promise<string> {
  const r = await sshRun(host, cmd, { input })
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}${r.stdout}`)
  return r.stdout
}

async function waitForLog(host: TestHost, pattern: string): Promise<string> {
  let log = ''
  for (let i = 0; i < 60 && !log.includes(pattern); i++) {
    if (i > 0) await sleep(500)
    log = (await sshRun(host, 'sudo cat /var/log/istio/istio.log')).stdout
  }
  assert.ok(log.includes(pattern), `istio.log shows "${pattern}":\n${log}`)
  return log
}

test('istio-sidecar installs and starts on a lab host, connects to istiod and registers', { skip: labSkipReason }, async () => {
  await withLabHosts(1, async ([host], lab) => {
    let c: TestCluster | undefined
    try {
      c = await startTestCluster({ host: lab.bridgeAddress, streamHoldMs: 2000, disconnectGraceMs: 3000 })
      const deb = await buildSidecarDeb({ outDir: join(c.dir, 'deb') })
      const token = c.token('vm-sa')
      await run(host, 'cat > istio-sidecar.deb', readFileSync(deb))
      await run(host, 'cat > root-cert.pem', c.pki.caCertPem)
      await run(host, 'cat > istio-token', token)
      await run(host, 'cat > cluster.env', clusterEnv(c.istiod.port))
      await run(host, 'cat > mesh.yaml', `defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:${c.istiod.port}\n`)
      await run(host, 'cat > hosts', `${lab.bridgeAddress} istiod.istio-system.svc\n`)
      // The VM side of istio.io's guide, step by step.
      await run(
        host,
        [
          'sudo mkdir -p /etc/certs',
          'sudo cp root-cert.pem /etc/certs/root-cert.pem',
          'sudo mkdir -p /var/run/secrets/tokens',
          'sudo cp istio-token /var/run/secrets/tokens/istio-token',
          'sudo dpkg -i istio-sidecar.deb',
          'sudo cp cluster.env /var/lib/istio/envoy/cluster.env',
          'sudo cp mesh.yaml /etc/istio/config/mesh',
          "sudo sh -c 'cat $(eval echo ~$SUDO_USER)/hosts >> /etc/hosts'",
          'sudo mkdir -p /etc/istio/proxy',
          'sudo chown -R istio-proxy /var/lib/istio /etc/certs /etc/istio/proxy /etc/istio/config /var/run/secrets /etc/certs/root-cert.pem',
          'sudo systemctl start istio',
        ].join(' && '),
      )
      const log = await waitForLog(host, 'connected to upstream XDS server: istiod.istio-system.svc:')
      assert.ok(!log.includes(token), 'the token is not logged')
      assert.equal((await run(host, 'systemctl is-active istio')).trim(), 'active')
      const procs = await run(host, 'ps -o comm=,user= -C pilot-agent,envoy')
      assert.match(procs, /^pilot-agent\s+istio-proxy$/m)
      assert.match(procs, /^envoy\s+istio-proxy$/m)
      assert.match(await run(host, 'sudo iptables-save -t nat'), /:ISTIO_OUTPUT/)
      assert.match(await run(host, 'stat -c %U /etc/certs/cert-chain.pem'), /istio-proxy/)

      const entryName = `web-${host.address}`
      const we = c.kube.store.get('workloadentries', 'vm-ns', entryName)
      assert.ok(we, `WorkloadEntry ${entryName} in the emulator`)
      assert.equal((we.spec as { address?: string }).address, host.address)

      // A bad token and no certificate left on disk (with one, the agent would not need the token): the agent fails,
      // logs the refusal and systemd keeps restarting it.
      await run(host, `printf '%s' '${token.slice(0, -4)}AAAA' | sudo tee /var/run/secrets/tokens/istio-token >/dev/null && sudo rm /etc/certs/cert-chain.pem /etc/certs/key.pem && sudo systemctl restart istio`)
      await waitForLog(host, 'code = Unauthenticated desc = authentication failure')
      await run(host, 'sudo systemctl stop istio')
      assert.doesNotMatch(await run(host, 'sudo iptables-save -t nat'), /ISTIO_/, 'ExecStopPost removed the chains')
    } finally {
      await c?.close()
    }
  })
})
