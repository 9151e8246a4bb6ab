import type { StepDiff } from './handler.js'
import { Facts, octal, q } from './shell.js'

/** Owner, group and mode a step wants; unset means "leave as is". */
export interface WantAttrs {
  owner?: string
  group?: string
  mode?: number
}

/** Arguments of the steps that ensure a path's existence and attributes (directory, file). */
export const pathSpec = {
  path: { type: 'string', required: true },
  present: { type: 'boolean', default: true },
  owner: { type: 'string' },
  group: { type: 'string' },
  mode: { type: 'mode' },
} as const

export interface PathStat {
  type: 'absent' | 'directory' | 'regular file' | string
  owner: string
  group: string
  mode: number
}

/** Snippet printing `type=`, `mode=`, `owner=`, `group=` of `path` (following symlinks), or `type=absent`. */
export function statSnippet(path: string): string {
  const p = q(path)
  const stat = `stat -L --printf='type=%F\\nmode=%a\\nowner=%U\\ngroup=%G\\n' -- ${p}`
  return `if [ -e ${p} ]; then ${stat}; elif [ -L ${p} ]; then echo 'type=dangling link'; else echo type=absent; fi`
}

export function parseStat(facts: Facts): PathStat {
  return {
    // GNU stat says "regular empty file" for an empty one: the same kind of path for every step
    type: (facts.get('type') ?? 'absent').replace('regular empty file', 'regular file'),
    owner: facts.get('owner') ?? '',
    group: facts.get('group') ?? '',
    mode: parseInt(facts.get('mode') ?? '0', 8),
  }
}

/** The attributes that differ, as a before/after diff; undefined when none does. */
export function attrsDrift(path: string, want: WantAttrs, have: PathStat): StepDiff | undefined {
  const before: string[] = []
  const after: string[] = []
  const pairs: [string, string | undefined, string][] = [
    ['owner', want.owner, have.owner],
    ['group', want.group, have.group],
    ['mode', want.mode === undefined ? undefined : octal(want.mode), octal(have.mode)],
  ]
  for (const [attr, wanted, actual] of pairs) {
    if (wanted === undefined || wanted === actual) continue
    before.push(`${attr} ${actual}`)
    after.push(`${attr} ${wanted}`)
  }
  return before.length ? { path, before: before.join(', '), after: after.join(', ') } : undefined
}

/** Shell commands setting the wanted attributes on `path` ('' when nothing is wanted). */
export function setAttrsCommand(path: string, want: WantAttrs): string {
  const cmds: string[] = []
  if (want.owner !== undefined || want.group !== undefined)
    cmds.push(`chown ${q(`${want.owner ?? ''}${want.group !== undefined ? ':' + want.group : ''}`)} -- ${q(path)}`)
  if (want.mode !== undefined) cmds.push(`chmod ${octal(want.mode)} -- ${q(path)}`)
  return cmds.join(' && ')
}
