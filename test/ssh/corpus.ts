// The ssh_config corpus (test/fixtures/ssh-config): its files copied to a temp dir with @DIR@ filled in, and
// every `#@ ARGS` look-up as the input `ssh -G -F FILE ARGS` gets.
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ResolveInput } from '../../src/ssh/config-resolve.js'

const FIXTURES = new URL('../../../test/fixtures/ssh-config/', import.meta.url).pathname

export interface Lookup {
  file: string
  args: string[]
  input: ResolveInput
}

function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2])
}

function inputOf(file: string, args: string[]): ResolveInput {
  const input: ResolveInput = { host: '', configFile: file }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-l') input.user = args[++i]
    else if (a === '-p') input.port = Number(args[++i])
    else if (a === '-J') input.proxyJump = args[++i]
    else if (a === '-i') input.identityFile = args[++i]
    else input.host = a
  }
  return input
}

function fill(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) fill(path)
    else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('@DIR@', corpusDir))
  }
}

/** The copy of the corpus this process reads (fixtures with @DIR@ replaced). */
export const corpusDir = mkdtempSync(join(tmpdir(), 'meshvm-ssh-corpus-'))
cpSync(FIXTURES, corpusDir, { recursive: true })
fill(corpusDir)
writeFileSync(join(corpusDir, 'flag-present'), '')

/** Every look-up of every corpus file, in file order. */
export function corpusLookups(): Lookup[] {
  return readdirSync(corpusDir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .flatMap((name) => {
      const file = join(corpusDir, name)
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#@ '))
        .map((l) => words(l.slice(3)))
        .map((args) => ({ file, args, input: inputOf(file, args) }))
    })
}
