// The lab cluster process: the Kubernetes API emulator and the stand-in istiod on the lab bridge address, seeded like a
// fresh Istio install. `meshvm lab up` starts it detached (node daemon.js DIR); `lab down` stops it by PID.
import { appendFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startIstiod } from '../istiod/index.js'
import { startKubeApi } from '../kube-api/server.js'
import { ISSUER } from '../kube-api/tokens.js'
import { loadMeshCa } from '../mesh-roots.js'
import { createLabPki, issueServingCert, type LabPki } from '../pki.js'
import { DEFAULT_PACKAGES_PORT, readClusterConfig, type LabClusterConfig } from './config.js'
import { startPackageServer } from './package-server.js'
import { startRootCertPublisher } from './root-cert-publisher.js'
import { labClusterManifests } from './seed.js'

async function run(dir: string, config: LabClusterConfig) {
  const logFile = join(dir, 'cluster', 'istiod.log')
  const log = (line: string) => appendFileSync(logFile, `${line}\n`)
  const pki = await createLabPki(join(dir, 'pki'))
  const apiCert = await issueServingCert(pki, { dnsNames: ['kubernetes.default.svc'], ips: [config.host, '127.0.0.1'] })
  const pkiDir = join(dir, 'pki')
  let meshCa = await loadMeshCa(pkiDir)
  const istiodServing = (signer: LabPki) =>
    issueServingCert(signer, { dnsNames: ['istiod.istio-system.svc', 'istiod.istio-system.svc.cluster.local'] })
  const istiodCert = await istiodServing(meshCa.signer)
  const seed = labClusterManifests({
    caCertPem: meshCa.trustedPem,
    gatewayIP: config.host,
    istioVersion: config.istioVersion,
    clusterName: config.clusterName,
    meshId: 'mesh1',
    caMode: config.caMode,
  })
  const api = await startKubeApi({
    host: config.host,
    port: config.apiPort,
    tls: { cert: apiCert.certPem, key: apiCert.keyPem, ca: pki.caCertPem },
    bearerToken: config.token,
    manifests: [seed],
    maxRequestLog: 1000,
    minTokenSeconds: config.minTokenSeconds,
    // Who asked for what, one JSON line per request: tests prove a command only reads (meshvm is kubernetes-admin).
    onRequest: (r) => appendFileSync(join(dir, 'cluster', 'api-requests.log'), `${JSON.stringify({ method: r.method, path: r.path, user: r.user, status: r.status })}\n`),
  })
  // istiod calls the API as its own service account, as in a cluster, so its requests are told apart from meshvm's.
  const istiodSa = { namespace: 'istio-system', name: 'istiod', uid: 'lab-istiod' }
  const kube = { url: api.url, token: api.issuer.issue(istiodSa, [ISSUER], 10 * 365 * 86_400).token, ca: pki.caCertPem }
  const istiod = await startIstiod({
    host: config.host,
    port: config.istiodPort,
    cert: istiodCert.certPem,
    key: istiodCert.keyPem,
    kube,
    ca: meshCa,
    caMode: config.caMode,
    certTtlSeconds: config.certTtlSeconds,
    log,
  })
  const publisher = startRootCertPublisher(kube, meshCa.trustedPem, (l) => log(`${new Date().toISOString()}\tinfo\tnamespace\t${l}`))
  const generationFile = join(dir, 'cluster', 'mesh-ca.generation')
  writeFileSync(generationFile, String(meshCa.generation))
  // `lab rotate-root` rewrote pki/mesh-roots.json: apply it, then say which generation is live.
  process.on('SIGHUP', () => {
    void (async () => {
      meshCa = await loadMeshCa(pkiDir)
      const serving = await istiodServing(meshCa.signer)
      istiod.rotate(meshCa, { cert: serving.certPem, key: serving.keyPem })
      publisher.setRoots(meshCa.trustedPem)
      writeFileSync(`${generationFile}.tmp`, String(meshCa.generation))
      renameSync(`${generationFile}.tmp`, generationFile)
    })().catch((err: Error) => log(`${new Date().toISOString()}\terror\tsecurity\troot rotation failed: ${err.message}`))
  })
  const packagesLog = (line: string) => appendFileSync(join(dir, 'cluster', 'packages.log'), `${line}\n`)
  const packagesPort = config.packagesPort ?? DEFAULT_PACKAGES_PORT
  const packages = await startPackageServer(join(dir, 'packages'), config.host, packagesPort, packagesLog)
  writeFileSync(join(dir, 'cluster', 'ready'), JSON.stringify({ pid: process.pid, api: api.url, istiod: istiod.url }))

  const stop = async () => {
    publisher.stop()
    await Promise.allSettled([istiod.close(), api.close(), packages.close()])
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
