import { InputError } from '../errors.js'
import { ansibleBoolean } from '../ansible-boolean.js'
import { didYouMean } from '../inventory/did-you-mean.js'

/** One flag of a command. Booleans accept `--x`, `--x=false`, `--no-x`; strings `--x v` or `--x=v`. */
export interface FlagSpec {
  type: 'string' | 'boolean' | 'number'
  short?: string
  multiple?: boolean
  help?: string
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>

export interface Parsed {
  flags: FlagValues
  /** Flags the user gave explicitly (istioctl distinguishes `--clusterID ""` from no flag). */
  given: Set<string>
  positionals: string[]
}

function toBool(name: string, raw: string): boolean {
  const b = ansibleBoolean(raw)
  if (b === undefined) throw new InputError(`--${name}: expected yes/no or true/false, got "${raw}"`)
  return b
}

function unknownFlag(arg: string, specs: Record<string, FlagSpec>): InputError {
  const long = arg.startsWith('--')
  const name = arg.replace(/^--?/, '').split('=')[0]!
  const candidates = long ? Object.keys(specs) : Object.values(specs).flatMap((s) => (s.short ? [s.short] : []))
  const guess = long ? didYouMean(name, candidates) : undefined
  return new InputError(
    `unknown flag ${long ? '--' : '-'}${name}${guess ? ` (did you mean --${guess}?)` : ''} (see --help)`,
  )
}

/**
 * getopt-style arguments: `--name v`, `--name=v`, `--no-name`, `-n v`, `-nv`, and bundled short flags (`-Cv`, `-vvv`,
 * `-Cf20`), where the first flag that takes a value takes the rest of the word, or the next word.
 */
export function parseArgs(argv: string[], specs: Record<string, FlagSpec>): Parsed {
  const flags: FlagValues = {}
  const given = new Set<string>()
  const positionals: string[] = []
  const byShort = new Map(Object.entries(specs).flatMap(([n, s]) => (s.short ? [[s.short, n] as const] : [])))
  const byLower = new Map(Object.keys(specs).map((n) => [n.toLowerCase(), n]))

  const set = (name: string, raw: string | boolean, shown: string) => {
    const spec = specs[name]!
    given.add(name)
    if (typeof raw === 'boolean') return void (flags[name] = raw)
    let value: string | number = raw
    if (spec.type === 'number') {
      value = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(value))
        throw new InputError(`${shown}: expected a number, got "${raw}"`)
    }
    if (spec.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)]
    else flags[name] = value
  }
  const valueAfter = (i: number, shown: string) => {
    if (i + 1 >= argv.length) throw new InputError(`${shown} needs a value`)
    return argv[i + 1]!
  }

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const key = arg.slice(2, eq === -1 ? undefined : eq)
      const inline = eq === -1 ? undefined : arg.slice(eq + 1)
      let name = byLower.get(key.toLowerCase())
      let negated = false
      if (!name && key.startsWith('no-') && specs[key.slice(3)]?.type === 'boolean')
        [name, negated] = [key.slice(3), true]
      if (!name) throw unknownFlag(arg, specs)
      const shown = `--${name}`
      if (specs[name]!.type === 'boolean')
        set(name, negated ? false : inline === undefined ? true : toBool(name, inline), shown)
      else if (inline !== undefined) set(name, inline, shown)
      else set(name, valueAfter(i++, shown), shown)
      continue
    }
    // short flags, bundled or not: -C, -Cv, -vvv, -f20, -f 20, -f=20
    const word = arg.slice(1)
    for (let j = 0; j < word.length; j++) {
      const name = byShort.get(word[j]!)
      if (!name) throw unknownFlag(`-${word[j]}`, specs)
      const shown = `-${word[j]}`
      if (specs[name]!.type === 'boolean') {
        set(name, true, shown)
        continue
      }
      const rest = word.slice(j + 1).replace(/^=/, '')
      set(name, rest !== '' ? rest : valueAfter(i++, shown), shown)
      break
    }
  }
  return { flags, given, positionals }
}
