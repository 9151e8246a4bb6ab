import { run, runStatus } from './hosts/run.js'

/** Host tools the lab runs: debootstrap builds the base, systemd-nspawn boots hosts, ip wires them, ssh reaches them. */
export const LAB_HOST_PACKAGES = ['debootstrap', 'systemd-container', 'iproute2', 'openssh-client'] as const

async function installed(pkg: string): Promise<boolean> {
  const r = await runStatus('dpkg-query', ['-W', '-f=${Status}', pkg])
  return r.code === 0 && r.stdout.includes('install ok installed')
}

/** Installs the missing host tools with apt-get (saying so first); a no-op when all are present. */
export async function ensureHostPackages(log: (line: string) => void): Promise<void> {
  const missing: string[] = []
  for (const pkg of LAB_HOST_PACKAGES) if (!(await installed(pkg))) missing.push(pkg)
  if (missing.length === 0) return
  log(`installing lab host packages with apt-get: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  await run('apt-get', ['update'], { env, timeoutMs: 300_000 })
  // --no-install-recommends: the recommended libnss-mymachines would rewrite the machine's nsswitch.conf
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 600_000 })
}
