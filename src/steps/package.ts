import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Handler } from './handler.js'

const spec = {
  name: { type: 'string', required: true },
  source: { type: 'source' },
  present: { type: 'boolean', default: true },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Plan = { install: boolean; format: 'deb' | 'rpm' }

export const RECORDS = '/var/lib/meshvm/packages'
export const CACHE = '/var/lib/meshvm/cache'
export const record = (name: string) => `${RECORDS}/${name}.sha256`
/**
 * The file of the installed package and of the one it replaced stay in the VM's cache, so a failed upgrade can go
 * back without the controller or the download (steps/previous-package.ts).
 */
export const kept = (name: string, format: 'deb' | 'rpm', which: 'installed' | 'previous') =>
  `${CACHE}/${name}.${which}.${format}`

/**
 * One read of a local package file per run, shared by every VM it is pushed to, and checked against the sha256 taken
 * when the run resolved its steps: the VM records that checksum as what it installed.
 */
const localFiles = new Map<string, Promise<Buffer>>()

async function readChecked(path: string, sha256: string): Promise<Buffer> {
  const data = await readFile(path)
  const now = createHash('sha256').update(data).digest('hex')
  if (now !== sha256)
    throw new Error(`${path} changed during the run (sha256 ${now.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`)
  return data
}

const readLocal = (path: string, sha256: string) =>
  localFiles.get(path) ?? localFiles.set(path, readChecked(path, sha256)).get(path)!

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk)
  return hash.digest('hex')
}

function formatOf(a: Args, pm: string | undefined): 'deb' | 'rpm' | undefined {
  const from = a.source?.file ?? a.source?.url ?? ''
  if (/\.deb$/i.test(from)) return 'deb'
  if (/\.rpm$/i.test(from)) return 'rpm'
  return pm === 'deb' || pm === 'rpm' ? pm : undefined
}

function installScript(a: Args, format: 'deb' | 'rpm', path: string): string {
  const src = a.source!
  const f = q(path)
  const installed = q(kept(a.name, format, 'installed'))
  return [
    'set -e',
    `mkdir -p ${CACHE} ${RECORDS}`,
    src.url ? `curl -fsSL --retry 2 -o ${f}.part ${q(src.url)} && mv ${f}.part ${f}` : '',
    // a download is checked on the VM; an upload was checked on the controller and came over SSH, which guards it
    src.url && src.sha256 ? `echo ${q(`${src.sha256}  ${path}`)} | sha256sum -c --quiet -` : '',
    format === 'deb' ? `DEBIAN_FRONTEND=noninteractive dpkg -i ${f}` : `rpm -U --replacepkgs --oldpackage ${f}`,
    src.sha256
      ? `echo ${q(src.sha256)} > ${q(record(a.name))}`
      : `sha256sum < ${f} | cut -c1-64 > ${q(record(a.name))}`,
    // the package this one replaced becomes the previous one (a reinstall of the same file keeps the previous)
    `if [ -f ${installed} ] && ! cmp -s ${installed} ${f}; then mv -f ${installed} ${q(kept(a.name, format, 'previous'))}; fi`,
    `mv -f ${f} ${installed}`,
  ]
    .filter(Boolean)
    .join('\n')
}

export const packageStep: Handler<Args, Plan> = {
  spec,
  async resolve(a) {
    const file = a.source?.file
    return file && !a.source?.sha256 ? { ...a, source: { ...a.source, sha256: await fileSha256(file) } } : a
  },
  reads: (a) =>
    [
      `if command -v dpkg-query >/dev/null 2>&1; then echo pm=deb; dpkg-query -W -f='status=\${Status}\\nversion=\${Version}\\n' ${q(a.name)} 2>/dev/null`,
      `elif command -v rpm >/dev/null 2>&1; then echo pm=rpm; rpm -q --qf 'status=install ok installed\\nversion=%{VERSION}-%{RELEASE}\\n' ${q(a.name)} 2>/dev/null | grep =; fi`,
      `[ -f ${q(record(a.name))} ] && echo "recorded=$(cat ${q(record(a.name))})"`,
      // files of the installed package that are gone (a hand-deleted unit file); conffiles a user removed stay removed
      `if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='\${Conffiles}\\n' ${q(a.name)} 2>/dev/null | sed -n 's/^ \\(\\/[^ ]*\\) .*/conffile=\\1/p'; dpkg-query -L ${q(a.name)} 2>/dev/null`,
      `elif command -v rpm >/dev/null 2>&1; then rpm -qc ${q(a.name)} 2>/dev/null | sed 's/^/conffile=/'; rpm -ql ${q(a.name)} 2>/dev/null; fi |`,
      `while IFS= read -r f; do case $f in conffile=*) echo "$f" ;; /*) [ -e "$f" ] || [ -L "$f" ] || echo "missing=$f" ;; esac; done | head -n 40`,
    ].join('\n'),
  check(a, factsText) {
    const facts = new Facts(factsText)
    const status = facts.get('status') ?? ''
    const installed = status.endsWith(' installed')
    const version = facts.get('version') ?? ''
    const format = formatOf(a, facts.get('pm'))
    if (!format) return fail('cannot tell .deb from .rpm: no dpkg or rpm on the VM and no file extension')
    const now = installed ? `${a.name} ${version}` : 'not installed'
    if (!a.present) {
      if (!installed && !status.includes('config-files')) return ok(`${a.name} not installed`)
      return change(`remove ${a.name}`, { install: false, format }, { before: now, after: 'not installed' })
    }
    const { sha256, version: wantVersion, url, file } = a.source ?? {}
    const recorded = facts.get('recorded')
    const conffiles = facts.all('conffile')
    const missing = installed ? facts.all('missing').filter((f) => !conffiles.includes(f)) : []
    if (missing.length > 0) {
      if (!url && !file)
        return fail(`${a.name} lacks ${missing.join(', ')} and the step has no source to reinstall it from`)
      const gone = `${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`
      return change(
        `reinstall ${a.name} (missing: ${gone})`,
        { install: true, format },
        { before: `${a.name} ${version}, missing ${gone}`, after: `${a.name} ${version}` },
      )
    }
    if (installed) {
      if (sha256 && recorded === sha256) return ok(`${a.name} ${version} installed (sha256 matches)`)
      if (!sha256 || !recorded) {
        if (wantVersion && wantVersion === version) return ok(`${a.name} ${version} installed (version matches)`)
        if (!wantVersion && !sha256) return ok(`${a.name} ${version} installed (no version or checksum pinned)`)
      }
    }
    if (!url && !file) return fail(`${a.name} needs installing but the step has no source url or file`)
    const after = [a.name, wantVersion, sha256 && `(sha256 ${sha256.slice(0, 12)}…)`].filter(Boolean).join(' ')
    return change(`${installed ? 'replace' : 'install'} ${a.name}`, { install: true, format }, { before: now, after })
  },
  async apply(a, c) {
    if (!c.data.install) {
      const remove = c.data.format === 'deb' ? `dpkg -P ${q(a.name)}` : `rpm -e ${q(a.name)}`
      const run = `${remove} && rm -f ${q(record(a.name))} ${q(CACHE)}/${q(a.name)}.installed.* ${q(CACHE)}/${q(a.name)}.previous.*`
      return [{ run, what: `removing ${a.name}` }]
    }
    const { file, url, sha256 } = a.source!
    const path = `${CACHE}/${basename(file ?? new URL(url!).pathname) || `${a.name}.${c.data.format}`}`
    const install = { run: installScript(a, c.data.format, path), what: `installing ${a.name}`, timeoutMs: 600_000 }
    if (!file) return [install]
    const data = await readLocal(file, sha256!) // before touching the VM: a file changed mid-run changes nothing
    return [{ run: `mkdir -p ${CACHE}`, what: 'mkdir cache' }, { put: path, content: data, mode: 0o644 }, install]
  },
  writes: (a) => [record(a.name)],
  writesBroadly: true,
  touches: (a) => [record(a.name)],
}
