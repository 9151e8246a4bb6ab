// The lab cluster process: the Kubernetes API emulator and the stand-in istiod on the lab bridge address, seeded like a
// fresh Istio install. `meshvm lab up` starts it detached (node daemon.js DIR); `lab down` stops it by PID.
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startIstiod } from '../istiod/index.js'
import { startKubeApi } from '../kube-api/server.js'
import { createLabPki, issueServingCert } from '../pki.js'
import { readClusterConfig, type LabClusterConfig } from './config.js'
import { startRootCertPublisher } from './root-cert-publisher.js'
import { labClusterManifests } from './seed.js'

async function run(dir: string, config: LabClusterConfig) {
  const logFile = join(dir, 'cluster', 'istiod.log')
  const log = (line: string) => appendFileSync(logFile, `${line}\n`)
  const pki = await createLabPki(join(dir, 'pki'))
  const apiCert = await issueServingCert(pki, { dnsNames: ['kubernetes.default.svc'], ips: [config.host, '127.0.0.1'] })
  const istiodCert = await issueServingCert(pki, { dnsNames: ['istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local'] })
  const seed = labClusterManifests({
    caCertPem: pki.caCertPem,
    gatewayIP: config.host,
    istioVersion: config.istioVersion,
    clusterName: config.clusterName,
    meshId: 'mesh1',
  })
  const api = await startKubeApi({
    host: config.host,
    port: config.apiPort,
    tls: { cert: apiCert.certPem, key: apiCert.keyPem, ca: pki.caCertPem },
    bearerToken: config.token,
    manifests: [seed],
    maxRequestLog: 1000,
  })
  const kube = { url: api.url, token: config.token, ca: pki.caCertPem }
  const istiod = await startIstiod({ host: config.host, port: config.istiodPort, cert: istiodCert.certPem, key: istiodCert.keyPem, kube, ca: pki, log })
  const stopPublisher = startRootCertPublisher(kube, pki.caCertPem, (l) => log(`${new Date().toISOString()}\tinfo\tnamespace\t${l}`))
  writeFileSync(join(dir, 'cluster', 'ready'), JSON.stringify({ pid: process.pid, api: api.url, istiod: istiod.url }))

  const stop = async () => {
    stopPublisher()
    await Promise.allSettled([istiod.close(), api.close()])
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop())
  process.on('SIGINT', () => void stop())
}

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: daemon.js LAB_DIR\n')
  process.exit(5)
}
run(dir, readClusterConfig(dir)).catch((err: Error) => {
  process.stderr.write(`lab cluster failed: ${err.stack ?? err.message}\n`)
  process.exit(1)
})
