// The tree is formatted as Prettier wants it (package.json "prettier"; what it skips is in .prettierignore):
// `npm run format` fixes what this finds.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const root = new URL('../../', import.meta.url).pathname
const prettier = createRequire(import.meta.url).resolve('prettier/bin/prettier.cjs')

test('prettier --check finds every file formatted', () => {
  const r = spawnSync(process.execPath, [prettier, '--check', '.'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, `not formatted (run npm run format):\n${r.stdout}${r.stderr}`)
})
