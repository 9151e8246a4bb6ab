// Table-driven step checks: every test/steps/<kind>/*.json is { step, facts, expect } run through the kind's pure check.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { Vm } from '../../src/inventory/types.js'
import { coerce } from '../../src/playbook/coerce.js'
import { Secret } from '../../src/secret.js'
import { handlers, stepKinds } from '../../src/steps/index.js'
import type { Check, StepContext, StepKind } from '../../src/steps/types.js'

interface Case {
  description?: string
  args: Record<string, unknown>
  /** Facts lines as the kind's snippet prints them. */
  facts: string[]
  /** Extra facts `key=<base64 of value>` (file texts). */
  b64?: Record<string, string>
  bundle?: Record<string, string>
  now?: number
  writes?: Record<string, string[]>
  expect: { outcome: Check['outcome']; text?: string; diff?: unknown; data?: unknown }
}

const root = new URL('../../../test/steps/', import.meta.url)

function context(c: Case): StepContext {
  const bundle = Object.entries(c.bundle ?? {}).map(([name, text]) => ({
    name: name as never,
    content: name === 'istio-token' ? new Secret(text) : text,
    mode: name === 'istio-token' ? 0o600 : 0o644,
  }))
  return { vm: { name: 'vm1' } as Vm, bundle, now: c.now ?? 0, writesOf: (n) => c.writes?.[n] ?? [] }
}

function argsOf(kind: StepKind, given: Record<string, unknown>): never {
  const args: Record<string, unknown> = {}
  for (const [key, rule] of Object.entries(handlers[kind].spec)) {
    if (!(key in given)) {
      if (rule.default !== undefined) args[key] = rule.default
      continue
    }
    const r = coerce(given[key], rule)
    if ('error' in r) throw new Error(`bad case argument ${key}: ${r.error}`)
    args[key] = r.value
  }
  return args as never
}

const kindsWithCases = stepKinds.filter((k) => {
  try {
    return readdirSync(new URL(`${k}/`, root)).some((f) => f.endsWith('.json'))
  } catch {
    return false
  }
})

test('every step kind has table cases', () => assert.deepEqual(kindsWithCases, stepKinds))

for (const kind of kindsWithCases) {
  for (const file of readdirSync(new URL(`${kind}/`, root))
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    test(`${kind}: ${file.replace(/\.json$/, '')}`, () => {
      const c = JSON.parse(readFileSync(new URL(`${kind}/${file}`, root), 'utf8')) as Case
      const b64 = Object.entries(c.b64 ?? {}).map(([k, v]) => `${k}=${Buffer.from(v).toString('base64')}`)
      const facts = [...c.facts, ...b64].join('\n') + '\n'
      const got = handlers[kind].check(argsOf(kind, c.args), facts, context(c))
      assert.equal(got.outcome, c.expect.outcome, JSON.stringify(got))
      const text =
        got.outcome === 'ok' || got.outcome === 'skip'
          ? got.reason
          : got.outcome === 'fail'
            ? got.msg
            : got.change.summary
      if (got.outcome === 'ok') assert.ok(text.length > 5, 'every ok has a reason')
      if (c.expect.text !== undefined)
        assert.ok(
          text.includes(c.expect.text),
          `${JSON.stringify(text)} should include ${JSON.stringify(c.expect.text)}`,
        )
      if (c.expect.diff !== undefined)
        assert.deepEqual(got.outcome === 'change' ? got.change.diff : undefined, c.expect.diff)
      if (c.expect.data !== undefined)
        assert.deepEqual(got.outcome === 'change' ? got.change.data : undefined, c.expect.data)
      const token = c.bundle?.['istio-token']
      if (token) assert.ok(!JSON.stringify(got).includes(token), 'the token never appears in a check result')
    })
  }
}
