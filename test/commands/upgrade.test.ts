// meshvm upgrade's input checks: each bad flag is an input error (exit 5) before any VM or cluster is contacted.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../support/run-cli.js'

const inventory = ['-i', 'inventory/example.yaml', '--kubeconfig', '/nonexistent/kubeconfig']

test('upgrade refuses bad input before contacting anything', async () => {
  const cases: [string[], RegExp][] = [
    [[], /--to: expecting the version to upgrade to/],
    [['--to', 'latest'], /--to: expected a version like 1\.24\.2, got "latest"/],
    [
      [
        '--to',
        '1.24.2',
        '--package',
        'https://storage.googleapis.com/istio-release/releases/1.24.2/deb/istio-sidecar.deb',
      ],
      /a URL needs --sha256/,
    ],
    [
      ['--to', '1.24.2', '--package', '/nonexistent/istio-sidecar.deb'],
      /--package: cannot read \/nonexistent\/istio-sidecar\.deb/,
    ],
    [
      ['--to', '1.24.2', '--package', 'https://x.example/a.deb', '--sha256', 'XYZ'],
      /--sha256: expected 64 lowercase hex digits/,
    ],
    [
      ['--to', '1.24.2', '--package', 'https://x.example/a.deb', '--sha256', 'a'.repeat(64), '--serial', 'three'],
      /--serial: expected a count, a percentage like 25%, or a list/,
    ],
  ]
  for (const [args, message] of cases) {
    const r = await runCli(['upgrade', ...inventory, ...args])
    assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message)
    assert.equal(r.stdout, '')
  }
})

test("without --package: the inventory's own package only when it is the --to version", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-upgrade-'))
  try {
    const deb = join(dir, 'istio-sidecar.deb')
    writeFileSync(deb, 'not really a package')
    const file = join(dir, 'inventory.yaml')
    writeFileSync(
      file,
      `defaults: { app: a, namespace: n, package: { file: ${deb}, version: 1.23.4 } }\nvms: { vm1: {} }\n`,
    )
    const r = await runCli(['upgrade', '-i', file, '--kubeconfig', '/nonexistent/kubeconfig', '--to', '1.24.2'])
    assert.equal(r.code, 5, r.stderr)
    assert.match(
      r.stderr,
      /the inventory's package is not version 1\.24\.2: pass --package FILE, or --package URL --sha256 HEX \(e\.g\. https:\/\/storage\.googleapis\.com\/istio-release\/releases\/1\.24\.2\/deb\/istio-sidecar\.deb/,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('with no package in the inventory, the default package of the --to release: one its mirror lacks stops first', async () => {
  // a mirror on loopback that refuses: the release cannot be found there, so nothing else is contacted
  const r = await runCli([...['upgrade', ...inventory, '--to', '1.24.2']], {
    MESHVM_PACKAGE_MIRROR: 'http://127.0.0.1:9/releases',
  })
  assert.equal(r.code, 5, r.stderr)
  assert.match(r.stderr, /no istio-sidecar package of Istio 1\.24\.2 at http:\/\/127\.0\.0\.1:9\/releases\/1\.24\.2\//)
  assert.match(r.stderr, /; pass --package FILE \(or --package URL --sha256 HEX\)/)
})

test("an unpublished --to release: the hint names upgrade's own flags, and following it gets past the check", async () => {
  // a mirror on loopback laid out as Istio's release bucket, publishing 1.24.2 only
  const published = /^\/releases\/1\.24\.2\/(deb|rpm)\/istio-sidecar(-arm64)?\.(deb|rpm)\.sha256$/
  const mirror = createServer((req, res) => {
    const m = published.exec(req.url ?? '')
    if (!m) return void res.writeHead(404).end()
    res.end(`${'a'.repeat(64)}  istio-sidecar${m[2] ?? ''}.${m[3]}\n`)
  })
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r))
  const env = { MESHVM_PACKAGE_MIRROR: `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/releases` }
  const unpublished = /no istio-sidecar package of Istio 1\.24\.3 at \S+ \(not published there\)/
  try {
    const r = await runCli(['upgrade', ...inventory, '--to', '1.24.3', '--check'], env)
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.stderr, unpublished)
    const named = [...new Set([...r.stderr.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]))]
    assert.deepEqual(named, ['--package', '--sha256', '--to'])
    assert.doesNotMatch(r.stderr, /--istio-version/, 'upgrade reads no --istio-version for its release')
    // each named flag is one upgrade takes; --to a published release passes the package check (and goes on to the
    // cluster, here a kubeconfig that does not exist)
    const fixed = await runCli(['upgrade', ...inventory, '--to', '1.24.2', '--check'], env)
    assert.doesNotMatch(fixed.stderr, /no istio-sidecar package|unknown flag/, fixed.stderr)
    assert.match(fixed.stderr, /\/nonexistent\/kubeconfig/)
    const pkg = await runCli(
      [
        'upgrade',
        ...inventory,
        '--to',
        '1.24.3',
        '--package',
        'https://x.example/a.deb',
        '--sha256',
        'a'.repeat(64),
        '--check',
      ],
      env,
    )
    assert.doesNotMatch(pkg.stderr, /no istio-sidecar package|unknown flag/, pkg.stderr)
    // what the old hint said would not have helped: --istio-version leaves upgrade's release alone
    const old = await runCli(['upgrade', ...inventory, '--to', '1.24.3', '--istio-version', '1.24.2', '--check'], env)
    assert.match(old.stderr, unpublished)
  } finally {
    await new Promise((r) => mirror.close(r))
  }
})

test('upgrade --help shows its flags and examples', async () => {
  const r = await runCli(['upgrade', '--help'])
  assert.equal(r.code, 0)
  for (const flag of ['--to', '--package', '--sha256', '--serial', '--max-fail', '--limit'])
    assert.ok(r.stdout.includes(flag), flag)
  assert.match(r.stdout, /meshvm upgrade -i inventory\/example\.yaml --to 1\.24\.2 --limit @failed/)
})
