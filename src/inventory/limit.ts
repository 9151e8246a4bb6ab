import { writeFileAtomic } from '../local-file.js'
import { InputError } from '../errors.js'
import { globRegExp } from '../glob.js'
import { hint } from './did-you-mean.js'
import { readUserFile } from './read-text.js'
import type { Vm } from './types.js'

/** A `--limit` term as typed (a name, group or glob, with `!`/`&`), or an `@file` with the names it lists, taken literally. */
export type LimitTerm = string | { file: string; listed: string[] }

/**
 * Splits a `--limit` value (comma or colon separated, as Ansible) into terms, replacing each `@file` by the names in
 * that file, one a line (blank lines and `#` comments skipped), e.g. the failed list of an earlier run. Listed names
 * match a VM or group of exactly that name: a line is never read as a glob or an exclusion.
 */
export async function limitTerms(limit: string): Promise<LimitTerm[]> {
  const parts = limit.split(',').flatMap((p) => (p.trim().startsWith('@') ? [p] : p.split(':')))
  const terms: LimitTerm[] = []
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    if (!part.startsWith('@')) terms.push(part)
    else terms.push({ file: part.slice(1), listed: listedNames(await readUserFile(part.slice(1), `--limit ${part}`)) })
  }
  return terms
}

const listedNames = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))

/**
 * The VMs that terms select, in inventory order. A term is a VM name, a group name or a glob (`web-*`, `db?`) over
 * both; `!term` excludes, `&term` keeps only VMs that also match it; with no plain term, every VM is the start.
 * A plain name matching nothing, or an empty selection, is an InputError (a typo should not silently shrink a run).
 */
export function applyLimit(vms: Vm[], all: LimitTerm[]): Vm[] {
  const problems: string[] = []
  const files = all.filter((t) => typeof t !== 'string')
  const listed = files.flatMap((t) => t.listed)
  const terms = all.filter((t): t is string => typeof t === 'string')
  const matcher = (term: string, literal = false) => {
    const glob = globRegExp(term)
    const test = literal ? (name: string) => name === term : (name: string) => glob.test(name)
    const matches = (vm: Vm) => (!literal && term === 'all') || test(vm.name) || vm.groups.some(test)
    if ((literal || !/[*?]/.test(term)) && !vms.some(matches)) {
      const known = new Set([...vms.map((vm) => vm.name), ...vms.flatMap((vm) => vm.groups)])
      problems.push(`--limit: no VM or group is named ${JSON.stringify(term)}${hint(term, known)}`)
    }
    return matches
  }
  const include = [
    ...terms.filter((t) => !/^[!&]/.test(t)).map((t) => matcher(t)),
    ...listed.map((name) => matcher(name, true)),
  ]
  const exclude = terms.filter((t) => t.startsWith('!')).map((t) => matcher(t.slice(1)))
  const intersect = terms.filter((t) => t.startsWith('&')).map((t) => matcher(t.slice(1)))
  // an @file that lists nothing (the failed list of a run that finished every VM) selects nothing, as in Ansible
  const included = (vm: Vm) => (include.length === 0 && files.length === 0) || include.some((m) => m(vm))
  const selected = vms.filter((vm) => included(vm) && !exclude.some((m) => m(vm)) && intersect.every((m) => m(vm)))
  const shown = all.map((t) => (typeof t === 'string' ? t : `@${t.file}`)).join(',')
  const empty = files.filter((t) => t.listed.length === 0).map((t) => ` (${t.file} lists no VM)`)
  if (problems.length === 0 && selected.length === 0) problems.push(`--limit ${shown}: selects no VM${empty.join('')}`)
  if (problems.length > 0) throw new InputError(problems.join('\n'))
  return selected
}

/** Writes VM names one a line, for a later `--limit @path`; replaces the file whole (temp file, then rename). */
export async function writeFailedList(path: string, names: string[]): Promise<void> {
  await writeFileAtomic(path, names.map((n) => `${n}\n`).join(''))
}
