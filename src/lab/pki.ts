// The lab's certificate authority, made with the `openssl` CLI: a root CA (as istiod's self-signed root), serving
// certificates for the stand-in istiod and the API emulator, and workload certificates for the sidecar stand-in.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The lab root CA on disk; `caCertPem` is what VMs get as /etc/certs/root-cert.pem. */
export interface LabPki {
  dir: string
  caCertPath: string
  caKeyPath: string
  caCertPem: string
}

/** A key pair signed by the lab CA, as files and as PEM text. */
export interface ServingCert {
  certPath: string
  keyPath: string
  certPem: string
  keyPem: string
}

const tenYearsDays = '3650'
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/** Creates the root CA in `dir` (10 years, EC P-256), or reuses the one already there. */
export async function createLabPki(dir: string, commonName = 'meshvm lab root CA'): Promise<LabPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const caCertPath = join(dir, 'root-cert.pem')
  const caKeyPath = join(dir, 'root-key.pem')
  if (!existsSync(caCertPath) || !existsSync(caKeyPath)) {
    const tmp = join(dir, `.ca-${randomBytes(4).toString('hex')}`)
    await run('openssl', [
      'req', '-x509', ...ecKey, '-days', tenYearsDays,
      '-keyout', `${tmp}.key`, '-out', `${tmp}.crt`,
      '-subj', `/O=cluster.local/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]) // prettier-ignore
    // Key first: a cert on disk without its key would be reused and then fail to sign.
    await rename(`${tmp}.key`, caKeyPath)
    await rename(`${tmp}.crt`, caCertPath)
  }
  return { dir, caCertPath, caKeyPath, caCertPem: await readFile(caCertPath, 'utf8') }
}

/**
 * Issues (or reuses) a server+client certificate for the given names and addresses, e.g. istiod's
 * `istiod.istio-system.svc` or the API emulator's 198.18.0.1. Files are named after the names, so a different set
 * of names gets a new certificate. Callers issue sequentially (lab up does): two concurrent first issues of the same
 * names could pair one call's key with the other's certificate.
 */
export async function issueServingCert(pki: LabPki, sans: { dnsNames?: string[]; ips?: string[] }): Promise<ServingCert> {
  const dnsNames = sans.dnsNames ?? []
  const ips = sans.ips ?? []
  const subject = dnsNames[0] ?? ips[0]
  if (!subject) throw new Error('issueServingCert needs at least one DNS name or IP')
  const altNames = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)]
  const stem = `${subject.replace(/[^A-Za-z0-9.-]/g, '_')}-${createHash('sha256').update(altNames.join(',')).digest('hex').slice(0, 8)}`
  const certPath = join(pki.dir, `${stem}.crt`)
  const keyPath = join(pki.dir, `${stem}.key`)
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const ext = [
      `subjectAltName=${altNames.join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
    ]
    const tmp = join(pki.dir, `.${stem}-${randomBytes(4).toString('hex')}`)
    await run('openssl', ['req', '-new', ...ecKey, '-keyout', `${tmp}.key`, '-out', `${tmp}.csr`, '-subj', `/CN=${subject}`])
    await signCsrFile(pki, `${tmp}.csr`, `${tmp}.crt`, ext, '825')
    await rm(`${tmp}.csr`)
    await rename(`${tmp}.key`, keyPath)
    await rename(`${tmp}.crt`, certPath)
  }
  return { certPath, keyPath, certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8') }
}

/**
 * Signs a workload's CSR the way istiod's CA does: only the SPIFFE identity it verified, valid for `ttlSeconds`
 * (istiod's default is 24 h). `openssl ca` because `openssl x509 -req` of OpenSSL 3.0 only counts whole days; each
 * signing gets its own throw-away CA database, so concurrent CSRs never share one.
 */
export async function signWorkloadCsr(pki: LabPki, csrPem: string, spiffeId: string, ttlSeconds = 86_400): Promise<string> {
  const tmp = await mkdtemp(join(pki.dir, '.workload-'))
  try {
    await writeFile(join(tmp, 'csr.pem'), csrPem)
    await writeFile(join(tmp, 'index.txt'), '')
    await writeFile(join(tmp, 'serial'), '01\n')
    const ext = [
      `subjectAltName=critical,URI:${spiffeId}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
    ]
    await writeFile(join(tmp, 'ext'), ext.join('\n') + '\n')
    await writeFile(join(tmp, 'ca.cnf'), caConfig(pki, tmp))
    // A second of slack before now, as istiod backdates (security/pkg/pki/util/generate_cert.go, a minute there).
    const now = Math.floor(Date.now() / 1000)
    await run('openssl', [
      'ca', '-batch', '-config', join(tmp, 'ca.cnf'), '-in', join(tmp, 'csr.pem'), '-out', join(tmp, 'cert.pem'),
      '-startdate', opensslTime(now - 1), '-enddate', opensslTime(now + ttlSeconds), '-extfile', join(tmp, 'ext'),
      '-notext', '-rand_serial',
    ]) // prettier-ignore
    return await readFile(join(tmp, 'cert.pem'), 'utf8')
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

const opensslTime = (seconds: number) =>
  new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')

function caConfig(pki: LabPki, db: string): string {
  return [
    '[ca]',
    'default_ca = lab',
    '[lab]',
    `database = ${join(db, 'index.txt')}`,
    `serial = ${join(db, 'serial')}`,
    `new_certs_dir = ${db}`,
    `certificate = ${pki.caCertPath}`,
    `private_key = ${pki.caKeyPath}`,
    'default_md = sha256',
    'policy = any',
    'unique_subject = no',
    '[any]',
    'organizationName = optional',
    'commonName = optional',
    '',
  ].join('\n')
}

async function signCsrFile(pki: LabPki, csrPath: string, certPath: string, ext: string[], days: string): Promise<void> {
  const extPath = certPath.replace(/\.crt$/, '.ext')
  await writeFile(extPath, ext.join('\n') + '\n')
  try {
    await run('openssl', [
      'x509', '-req', '-in', csrPath, '-CA', pki.caCertPath, '-CAkey', pki.caKeyPath,
      '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', days, '-extfile', extPath, '-out', certPath,
    ]) // prettier-ignore
  } finally {
    await rm(extPath, { force: true })
  }
}
