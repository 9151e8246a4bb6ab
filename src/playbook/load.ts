import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml'
import { InputError } from '../errors.js'
import { Problems } from '../problems.js'
import { handlers, stepKinds } from '../steps/index.js'
import type { StepKind } from '../steps/types.js'
import { coerce } from './coerce.js'
import { hasTemplate } from './template.js'
import type { Playbook, PlaybookStep } from './types.js'

const TOP_KEYS = ['name', 'vars', 'steps']

const keyOf = (pair: Pair<unknown, unknown>): string => (isScalar(pair.key) ? String(pair.key.value) : '')

export function throwIfAny(file: string, list: string[]): void {
  if (list.length === 0) return
  const head = list.length === 1 ? 'a problem' : `${list.length} problems`
  throw new InputError(`${file}: ${head}:\n${list.map((p) => `  ${p}`).join('\n')}`)
}

function loadStep(node: YAMLMap, p: Problems, earlier: Set<string>): PlaybookStep | undefined {
  const pairs = node.items.map((pair) => ({ key: keyOf(pair), pair }))
  const nameNode = pairs.find((x) => x.key === 'name')?.pair.value as Node | undefined
  const name = isScalar(nameNode) && typeof nameNode.value === 'string' ? nameNode.value : undefined
  if (!name) p.add(nameNode ?? node, 'every step needs a `name:` string')
  const others = pairs.filter((x) => x.key !== 'name')
  const kinds = others.filter((x) => (stepKinds as string[]).includes(x.key))
  for (const x of others.filter((o) => !kinds.includes(o))) {
    const what = kinds.length ? `unknown key '${x.key}' in a step` : `unknown step type '${x.key}'`
    p.add(x.pair.key as Node, `${what} (step types: ${stepKinds.join(', ')})`)
  }
  if (kinds.length !== 1) {
    if (kinds.length > 1 || others.length === 0) p.add(node, `a step has exactly one type (found ${kinds.length})`)
    return undefined
  }
  const kind = kinds[0].key as StepKind
  const argsNode = kinds[0].pair.value as Node | null
  const { spec, oneOf } = handlers[kind]
  const args: Record<string, unknown> = {}
  const argAt: Record<string, string> = {}
  if (argsNode !== null && !isMap(argsNode)) p.add(argsNode, `${kind}: expected a map of arguments`)
  for (const item of isMap(argsNode) ? argsNode.items : []) {
    const key = keyOf(item)
    const valueNode = item.value as Node | null
    const rule = spec[key]
    if (!rule) {
      p.add(item.key as Node, `unknown key '${key}' for ${kind} (accepted: ${Object.keys(spec).join(', ')})`)
      continue
    }
    const value = valueNode === null ? null : valueNode.toJSON()
    argAt[key] = p.at(valueNode ?? (item.key as Node))
    args[key] = value
    const checked = hasTemplate(value) ? undefined : coerce(value, rule)
    if (checked && 'error' in checked) p.add(valueNode, `${kind}.${key}: ${checked.error}`)
    if (key === 'restartOnChange' && isSeq(valueNode))
      for (const entry of valueNode.items as Node[]) {
        const v = isScalar(entry) ? String(entry.value) : ''
        if (!v.startsWith('/') && !earlier.has(v))
          p.add(entry, `restartOnChange: '${v}' is neither a path nor an earlier step's name`)
      }
  }
  const at = p.at(kinds[0].pair.key as Node)
  for (const [key, rule] of Object.entries(spec))
    if (rule.required && !(key in args)) p.push(`${at}: ${kind} needs '${key}'`)
  const given = oneOf?.keys.filter((k) => k in args) ?? []
  if (oneOf && (given.length > 1 || (oneOf.required && given.length === 0)))
    p.push(`${at}: ${kind} takes ${oneOf.required ? 'exactly' : 'at most'} one of ${oneOf.keys.join(', ')}`)
  return name ? { name, kind, args, at, argAt } : undefined
}

/** Parses and validates a playbook: unknown step types or keys and wrongly typed values fail with file:line:col. */
export function parsePlaybook(text: string, file: string): Playbook {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  const p = new Problems(file, lines)
  for (const e of doc.errors) {
    const { line, col } = e.linePos?.[0] ?? { line: 0, col: 0 }
    p.push(`${file}:${line}:${col}: ${e.message.split('\n')[0]}`)
  }
  throwIfAny(file, p.list)
  const root = doc.contents
  if (!isMap(root)) throw new InputError(`${file}: a playbook is a map with name, vars and steps`)
  for (const item of root.items) {
    const key = keyOf(item)
    if (!TOP_KEYS.includes(key)) p.add(item.key as Node, `unknown key '${key}' (accepted: ${TOP_KEYS.join(', ')})`)
  }
  const name = (root.toJSON() as Record<string, unknown>).name
  if (typeof name !== 'string') p.add(root, 'a playbook needs a `name:` string')
  const varsNode = root.get('vars', true) as Node | undefined
  if (varsNode && !isMap(varsNode)) p.add(varsNode, 'vars: expected a map')
  const stepsNode = root.get('steps', true) as Node | undefined
  const steps: PlaybookStep[] = []
  if (!isSeq(stepsNode)) p.add(stepsNode ?? root, 'steps: expected a list of steps')
  const names = new Set<string>()
  for (const item of isSeq(stepsNode) ? (stepsNode.items as Node[]) : []) {
    if (!isMap(item)) {
      p.add(item, 'a step is a map: `- name: ...` and one step type')
      continue
    }
    const step = loadStep(item, p, names)
    if (step && names.has(step.name)) p.add(item, `two steps are named '${step.name}'`)
    if (step) {
      names.add(step.name)
      steps.push(step)
    }
  }
  throwIfAny(file, p.list)
  const vars = isMap(varsNode) ? (varsNode.toJSON() as Record<string, unknown>) : {}
  return { file, name: name as string, vars, steps }
}

export async function loadPlaybook(file: string): Promise<Playbook> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new InputError(`cannot read playbook ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return parsePlaybook(text, file)
}
