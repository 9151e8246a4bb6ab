import { Secret } from '../secret.js'
import { parseStat, statSnippet } from './attrs.js'
import { wantedContent } from './content.js'
import { Facts, q } from './shell.js'
import type { ArgsOf, ArgSpec } from './args.js'
import { change, fail, ok, type Check, type Handler, type StepContext } from './handler.js'

const spec = {
  path: { type: 'string', default: '/etc/hosts' },
  id: { type: 'string', default: 'hosts' },
  content: { type: 'string' },
  bundle: { type: 'bundle', default: 'hosts' },
  present: { type: 'boolean', default: true },
} as const satisfies ArgSpec

export type Args = ArgsOf<typeof spec>
type Plan = { text: string; mode: number; owner: string; group: string; read: string }

const begin = (id: string) => `# BEGIN meshvm ${id}`
const end = (id: string) => `# END meshvm ${id}`
const STAMPS = '/var/lib/meshvm/blocks'

/**
 * A copy of the block, written only when the block changes: its mtime is what `restartOnChange` compares, so a foreign
 * edit elsewhere in the file restarts nothing, and a run that died after this write still restarts on the next.
 */
const stampOf = (a: Args) => `${STAMPS}/${a.path.replace(/^\/+/, '').replace(/\//g, '_')}.${a.id}`

/**
 * `text` with the managed block `id` holding `body` (null or blank: no block). The first block is replaced in place,
 * later duplicates are dropped, every other line is kept as it is.
 */
export function withBlock(text: string, id: string, body: string | null): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
  const block = body?.trim() ? [begin(id), ...body.replace(/\n+$/, '').split('\n'), end(id)] : []
  const out: string[] = []
  let placed = false
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== begin(id)) {
      out.push(lines[i])
      continue
    }
    const close = lines.findIndex((l, j) => j > i && l.trim() === end(id))
    if (close < 0) throw new Error(`'${begin(id)}' at line ${i + 1} has no '${end(id)}' after it; fix the file by hand`)
    if (!placed) out.push(...block)
    placed = true
    i = close
  }
  if (!placed && block.length === 0) return text
  if (!placed) out.push(...block)
  return out.length ? out.join('\n') + '\n' : ''
}

function reads(a: Args): string {
  const p = q(a.path)
  return `${statSnippet(a.path)}; [ -f ${p} ] && { printf sha=; sha256sum < ${p}; echo "text=$(base64 -w0 < ${p})"; }`
}

function check(a: Args, factsText: string, ctx: StepContext): Check<Plan> {
  const facts = new Facts(factsText)
  const have = parseStat(facts)
  if (have.type !== 'absent' && have.type !== 'regular file') return fail(`${a.path} is a ${have.type}, not a file`)
  const content = a.present ? wantedContent(a, ctx) : null
  if (content instanceof Secret) return fail('a secret cannot go into a managed block')
  if (a.present && content === undefined) return fail(`the bundle has no ${a.bundle} file`)
  const before = Buffer.from(facts.get('text') ?? '', 'base64').toString('utf8')
  let after: string
  try {
    after = withBlock(before, a.id, content ?? null)
  } catch (e) {
    return fail(`${a.path}: ${(e as Error).message}`)
  }
  if (after === before) return ok(`block meshvm ${a.id} in ${a.path} ${content?.trim() ? 'up to date' : 'absent'}`)
  const read = have.type === 'absent' ? 'absent' : (facts.get('sha') ?? '').slice(0, 64)
  const plan = {
    text: after,
    mode: have.type === 'absent' ? 0o644 : have.mode,
    owner: have.owner,
    group: have.group,
    read,
  }
  return change(`update block meshvm ${a.id} in ${a.path}`, plan, { path: a.path, before, after })
}

export const hostsBlock: Handler<Args, Plan> = {
  spec,
  oneOf: { keys: ['content', 'bundle'], required: false },
  reads,
  check,
  // Compare-and-swap: the file is replaced only while it is still what was read; when someone else wrote it in between
  // the write changes nothing, and the executor reads the file again and plans the block anew on top of their edit.
  apply: (a, c, ctx) => {
    const { text, mode, owner, group, read } = c.data
    const body = a.present ? wantedContent(a, ctx) : ''
    return [
      { run: `mkdir -p ${STAMPS}`, what: `mkdir ${STAMPS}` },
      { put: stampOf(a), content: typeof body === 'string' ? body : '', mode: 0o644 },
      { put: a.path, content: text, mode, owner: owner || undefined, group: group || undefined, ifContent: read },
    ]
  },
  writes: (a) => [a.path, stampOf(a)],
  marks: (a) => [stampOf(a)],
  touches: (a) => [a.path],
}
