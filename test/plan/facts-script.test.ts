import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { factsScript, splitFacts } from '../../src/plan/facts-script.js'

test('one script runs every snippet and splits back per snippet, even when a snippet fails or exits', () => {
  const snippets = ['echo a=1; echo b=2', 'exit 7', 'false; echo c=3 >&2; echo d=4', "printf 'no newline'"]
  const script = factsScript(snippets, 'n0nce')
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' })
  assert.deepEqual(splitFacts(r.stdout, 'n0nce', snippets.length), ['a=1\nb=2\n', '', 'd=4\n', 'no newline'])
})

test('a cut-short output is an error, not empty facts', () => {
  const full = spawnSync('sh', ['-c', factsScript(['echo a=1', 'echo b=2'], 'x')], { encoding: 'utf8' }).stdout
  assert.throws(() => splitFacts(full.slice(0, full.lastIndexOf('@@meshvm')), 'x', 2), /ended early/)
})
