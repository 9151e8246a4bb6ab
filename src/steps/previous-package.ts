import { CACHE, fileSha256, kept, record } from './package.js'
import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Handler } from './handler.js'

const spec = {
  name: { type: 'string', required: true },
  /** The package being rolled back from (the upgrade's target): decides which kept file was there before it. */
  replacing: { type: 'source', required: true },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Plan = { file: string; format: 'deb' | 'rpm'; sha256: string }

/**
 * The package that was installed before `replacing` is installed again, from the VM's own cache (the package step
 * keeps the installed file and the one it replaced). When the new package got installed, that is the previous file;
 * when its install never completed, the installed file is still the one from before.
 */
export const previousPackage: Handler<Args, Plan> = {
  spec,
  async resolve(a) {
    const file = a.replacing.file
    return file && !a.replacing.sha256 ? { ...a, replacing: { ...a.replacing, sha256: await fileSha256(file) } } : a
  },
  reads: (a) =>
    [
      `[ -f ${q(record(a.name))} ] && echo "recorded=$(cat ${q(record(a.name))})"`,
      `for which in installed previous; do for f in ${q(CACHE)}/${q(a.name)}.$which.deb ${q(CACHE)}/${q(a.name)}.$which.rpm; do`,
      `  [ -f "$f" ] || continue`,
      `  echo "$which=$f $(sha256sum < "$f" | cut -c1-64)"`,
      `  case $f in *.deb) echo "$which-version=$(dpkg-deb -f "$f" Version)";; *.rpm) echo "$which-version=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$f")";; esac`,
      'done; done',
      `command -v dpkg-query >/dev/null 2>&1 && echo "status=$(dpkg-query -W -f='\${Status}' ${q(a.name)} 2>/dev/null)"`,
    ].join('\n'),
  check(a, factsText) {
    const facts = new Facts(factsText)
    const [installedFile, installedSha] = (facts.get('installed') ?? '').split(' ')
    const [previousFile, previousSha] = (facts.get('previous') ?? '').split(' ')
    const target = a.replacing.sha256
    if (!target) return fail(`the package rolled back from has no sha256 to tell it from the one before it`)
    // the new package was installed (its file is the kept one): go back to the file it replaced
    const useInstalled = !!installedFile && installedSha !== target
    const file = useInstalled ? installedFile : previousFile
    const sha256 = useInstalled ? installedSha : previousSha
    const version = facts.get(useInstalled ? 'installed-version' : 'previous-version') ?? ''
    if (!file || !sha256)
      return fail(
        `no package from before ${a.name} ${a.replacing.version ?? ''} is kept in ${CACHE}: nothing to roll back to`,
      )
    const status = facts.get('status')
    const healthy = status === undefined || status === 'install ok installed'
    if (facts.get('recorded') === sha256 && healthy)
      return ok(`${a.name} ${version} (from before the upgrade) installed`)
    const format = file.endsWith('.rpm') ? 'rpm' : 'deb'
    return change(
      `roll back to ${a.name} ${version}`,
      { file, format, sha256 },
      { before: `${a.name} (sha256 ${(facts.get('recorded') ?? '').slice(0, 12)}…)`, after: `${a.name} ${version}` },
    )
  },
  apply(a, c) {
    const { file, format, sha256 } = c.data
    const install =
      format === 'deb'
        ? `DEBIAN_FRONTEND=noninteractive dpkg -i ${q(file)}`
        : `rpm -U --replacepkgs --oldpackage ${q(file)}`
    const installed = q(kept(a.name, format, 'installed'))
    const script = [
      'set -e',
      install,
      `echo ${q(sha256)} > ${q(record(a.name))}`,
      file === kept(a.name, format, 'installed') ? '' : `cp -f ${q(file)} ${installed}`,
    ]
    return [{ run: script.filter(Boolean).join('\n'), what: `rolling back ${a.name}`, timeoutMs: 600_000 }]
  },
  writes: (a) => [record(a.name)],
  writesBroadly: true,
  touches: (a) => [record(a.name)],
}
