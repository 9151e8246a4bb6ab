// The layer rule of CONTRIBUTING.md, enforced: a folder of src/ imports values only from folders below it in LAYERS
// (`import type` may point anywhere), src/lab/ is imported only by the lab and demo commands, and no import cycle.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import ts from 'typescript'

/** Top to bottom; `.` is the files directly in src/ besides main.ts (errors, secret, local-file, glob, problems). */
const LAYERS = [
  'main.ts',
  'commands',
  'prompts',
  'fleet',
  'report',
  'executor',
  'playbook',
  'plan',
  'steps',
  'cluster',
  'bundle',
  'ssh',
  'inventory',
  'lab',
  '.',
]
const LAB_USERS = ['commands/lab.ts', 'commands/demo.ts']

const src = resolve(new URL('../../src', import.meta.url).pathname)

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : []
  })
}

interface Import {
  from: string
  to: string
  typeOnly: boolean
}

function importsOf(file: string): Import[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const out: Import[] = []
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith('.')) return
    out.push({ from: file, to: resolve(dirname(file), spec).replace(/\.js$/, '.ts'), typeOnly })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const named = clause?.namedBindings
      const allTypes =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name && !!named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly)))
      add(node.moduleSpecifier.text, allTypes)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause
      const allTypes =
        node.isTypeOnly || (!!named && ts.isNamedExports(named) && named.elements.every((e) => e.isTypeOnly))
      add(node.moduleSpecifier.text, allTypes)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

function layerOf(file: string): number {
  const rel = relative(src, file)
  const top = rel.includes('/') ? rel.split('/')[0] : rel === 'main.ts' ? 'main.ts' : '.'
  const i = LAYERS.indexOf(top)
  assert.notEqual(i, -1, `src/${rel}: its folder ${top} is not in the layer list of test/layering.test.ts`)
  return i
}

const files = sourceFiles(src)
const imports = files.flatMap(importsOf)
const show = (i: Import) => `src/${relative(src, i.from)} imports src/${relative(src, i.to)}`

test('every folder of src/ is a layer', () => {
  for (const f of files) layerOf(f)
})

test('no folder imports a value from a folder above it', () => {
  const upward = imports.filter((i) => !i.typeOnly && layerOf(i.to) < layerOf(i.from))
  assert.deepEqual(upward.map(show), [])
})

test('src/lab is imported only by the lab and demo commands', () => {
  const lab = join(src, 'lab') + '/'
  const users = imports.filter((i) => i.to.startsWith(lab) && !i.from.startsWith(lab))
  assert.deepEqual(users.filter((i) => !LAB_USERS.includes(relative(src, i.from))).map(show), [])
})

test('the import graph has no cycle (type imports included)', () => {
  const edges = new Map<string, string[]>()
  for (const i of imports) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to])
  const state = new Map<string, 'open' | 'done'>()
  const cycles: string[] = []
  const walk = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' → '))
      return
    }
    state.set(f, 'open')
    for (const to of edges.get(f) ?? []) walk(to, [...path, f])
    state.set(f, 'done')
  }
  for (const f of files) walk(f, [])
  assert.deepEqual(cycles, [])
})

test('the layering check sees a real upward import', () => {
  // guards the guard: a known downward value import is seen as one
  const main = imports.filter((i) => relative(src, i.from) === 'main.ts' && !i.typeOnly)
  assert.ok(main.some((i) => relative(src, i.to).startsWith('commands/')))
})
