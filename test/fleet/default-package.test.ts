// The default sidecar package against a real HTTP server on 127.0.0.1 laid out as Istio's release bucket: the release
// layout, published checksums, the controller's verified cache, and the errors that say what to set.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DefaultPackages, type ReleaseOf } from '../../src/fleet/default-package.js'
import { cachedPackage, packageCacheDir, PackageFetchError, publishedSha256 } from '../../src/fleet/package-cache.js'
import {
  allArtifacts,
  archOf,
  artifact,
  ISTIO_RELEASES,
  mirrorOf,
  parseSha256File,
} from '../../src/fleet/sidecar-release.js'
import { releaseOf } from '../../src/bundle/istio-version.js'
import { InputError } from '../../src/errors.js'
import type { Connection } from '../../src/ssh/types.js'
import { testVm } from '../playbook/fixtures.js'

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

/** A VM connection that answers the package-manager/architecture probe as a VM of that kind would. */
const probe = (answer: string) =>
  ({ exec: async () => ({ code: 0, stdout: `${answer}\n`, stderr: '' }) }) as unknown as Connection

describe('the release layout', () => {
  test('package URLs are those of Istio releases, arm64 with its own name', () => {
    assert.deepEqual(
      allArtifacts(ISTIO_RELEASES, '1.24.2').map((a) => a.url),
      [
        'https://storage.googleapis.com/istio-release/releases/1.24.2/deb/istio-sidecar.deb',
        'https://storage.googleapis.com/istio-release/releases/1.24.2/rpm/istio-sidecar.rpm',
        'https://storage.googleapis.com/istio-release/releases/1.24.2/deb/istio-sidecar-arm64.deb',
        'https://storage.googleapis.com/istio-release/releases/1.24.2/rpm/istio-sidecar-arm64.rpm',
      ],
    )
    assert.equal(
      artifact('http://mirror.internal/istio/', '1.25.0-beta.1', 'rpm', 'amd64').url,
      'http://mirror.internal/istio/1.25.0-beta.1/rpm/istio-sidecar.rpm',
    )
  })
  test('architectures, releases, checksum files and the mirror choice', () => {
    assert.deepEqual(['x86_64', 'amd64', 'aarch64', 'arm64', 's390x', 'armv7l'].map(archOf), [
      'amd64',
      'amd64',
      'arm64',
      'arm64',
      undefined,
      undefined,
    ])
    assert.deepEqual(['1.24.2', 'v1.24.2', '1.24.2-distroless', '1.25.0-beta.1', '1.24', 'latest'].map(releaseOf), [
      '1.24.2',
      '1.24.2',
      '1.24.2',
      '1.25.0-beta.1',
      undefined,
      undefined,
    ])
    assert.equal(parseSha256File(`${'A'.repeat(64)}  istio-sidecar.deb\n`), 'a'.repeat(64))
    assert.equal(parseSha256File(`${'b'.repeat(64)}\n`), 'b'.repeat(64))
    assert.equal(parseSha256File('<html>not found</html>'), undefined)
    assert.equal(mirrorOf('http://inv/', { MESHVM_PACKAGE_MIRROR: 'http://env/' }), 'http://inv/')
    assert.equal(mirrorOf(undefined, { MESHVM_PACKAGE_MIRROR: 'http://env/' }), 'http://env/')
    assert.equal(mirrorOf(undefined, {}), ISTIO_RELEASES)
    assert.equal(packageCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), '/x/cache/meshvm/packages')
    assert.equal(
      packageCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }),
      '/home/u/.cache/meshvm/packages',
      'XDG: a relative path is ignored',
    )
  })
})

describe('the controller cache and the published checksums', () => {
  let root: string
  let server: Server
  let base: string
  const requests: string[] = []
  const deb = Buffer.from('a stand-in istio-sidecar.deb\n'.repeat(5000))

  const publish = (path: string, data: string | Buffer, checksum = sha(data)) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), data)
    writeFileSync(join(root, `${path}.sha256`), `${checksum}  ${path.split('/').pop()}\n`)
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'meshvm-mirror-'))
    publish('releases/1.24.2/deb/istio-sidecar.deb', deb)
    publish('releases/1.24.2/deb/istio-sidecar-arm64.deb', Buffer.from('arm64 deb'))
    publish('releases/1.24.3/deb/istio-sidecar.deb', deb, 'f'.repeat(64)) // a checksum that does not match
    server = createServer((req, res) => {
      requests.push(req.url!)
      const file = join(root, req.url!)
      if (!existsSync(file)) return void res.writeHead(404).end()
      res.end(readFileSync(file))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`
  })
  after(() => {
    server.close()
    rmSync(root, { recursive: true, force: true })
  })

  test('a package is downloaded once, verified, and then served from the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'meshvm-cache-'))
    const url = `${base}/1.24.2/deb/istio-sidecar.deb`
    assert.equal(await publishedSha256(url), sha(deb))
    requests.length = 0
    const path = await cachedPackage(cache, url, sha(deb))
    assert.equal(path, join(cache, sha(deb), 'istio-sidecar.deb'))
    assert.deepEqual(readFileSync(path), deb)
    assert.equal(await cachedPackage(cache, url, sha(deb)), path)
    assert.deepEqual(requests, ['/releases/1.24.2/deb/istio-sidecar.deb'], 'the second use did not download')
    writeFileSync(path, 'damaged')
    assert.deepEqual(
      readFileSync(await cachedPackage(cache, url, sha(deb))),
      deb,
      'a damaged cache entry is fetched again',
    )
    rmSync(cache, { recursive: true, force: true })
  })

  test('a download that does not match its published checksum is refused and leaves nothing', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'meshvm-cache-'))
    const url = `${base}/1.24.3/deb/istio-sidecar.deb`
    await assert.rejects(
      cachedPackage(cache, url, await publishedSha256(url)),
      /sha256 [0-9a-f]{64} does not match the published f{64}/,
    )
    assert.deepEqual(readdirSync(join(cache, 'f'.repeat(64))), [], 'no partial file')
    rmSync(cache, { recursive: true, force: true })
  })

  test('a release the mirror lacks is a clear input error before the run, naming what to set', async () => {
    const releaseOf: ReleaseOf = async () => ({ release: '1.9.9', detail: '' })
    const err = await DefaultPackages.check(
      [testVm('vm1', { package: undefined })],
      releaseOf,
      { MESHVM_PACKAGE_MIRROR: base },
      tmpdir(),
      'onboard',
    ).catch((e) => e)
    assert.ok(err instanceof InputError)
    assert.equal(
      err.message,
      `no istio-sidecar package of Istio 1.9.9 at ${base}/1.9.9/ (not published there); set package in the inventory ` +
        '({ file: ./istio-sidecar.deb } or { url: …, sha256: … }), or packageMirror / $MESHVM_PACKAGE_MIRROR to a mirror ' +
        'with that release, or --istio-version to a published release',
    )
    // upgrade picks its release with --to and reads no --istio-version: its hint names its own flags
    const forUpgrade = await DefaultPackages.check(
      [testVm('vm1', { package: undefined })],
      releaseOf,
      { MESHVM_PACKAGE_MIRROR: base },
      tmpdir(),
      'upgrade',
    ).catch((e) => e)
    assert.equal(
      forUpgrade.message,
      `no istio-sidecar package of Istio 1.9.9 at ${base}/1.9.9/ (not published there); pass --package FILE (or ` +
        '--package URL --sha256 HEX), or set packageMirror / $MESHVM_PACKAGE_MIRROR to a mirror with that release, or ' +
        '--to a published release',
    )
    const noRelease: ReleaseOf = async () => ({ detail: '--istio-version 1.24 names no release (use e.g. 1.24.2)' })
    await assert.rejects(
      DefaultPackages.check([testVm('vm1', { package: undefined })], noRelease, {}, tmpdir(), 'onboard'),
      /^InputError: no default sidecar package for vm1: --istio-version 1.24 names no release/,
    )
    const closed = `http://127.0.0.1:${await closedPort()}/r`
    const unreachable = await DefaultPackages.check(
      [testVm('vm1', { package: undefined, packageMirror: closed })],
      releaseOf,
      {},
      tmpdir(),
      'onboard',
    ).catch((e) => e)
    assert.ok(
      unreachable.message.startsWith(
        `no istio-sidecar package of Istio 1.9.9 at ${closed}/1.9.9/ (${closed}/1.9.9/deb/istio-sidecar.deb.sha256: ECONNREFUSED); set package`,
      ),
      unreachable.message,
    )
    const pinned = testVm('pinned') // has its own package: not checked, nothing fetched
    requests.length = 0
    await DefaultPackages.check([pinned], releaseOf, { MESHVM_PACKAGE_MIRROR: base }, tmpdir(), 'onboard')
    assert.deepEqual(requests, [])
  })

  test("each VM gets its own architecture's package, pushed from the cache or downloaded by the VM", async () => {
    const cache = mkdtempSync(join(tmpdir(), 'meshvm-cache-'))
    const releaseOf: ReleaseOf = async () => ({ release: '1.24.2', detail: '' })
    const vms = ['amd', 'arm', 'self', 'rpm', 'odd'].map((n) =>
      testVm(n, { package: undefined, packageFetch: n === 'self' ? 'vm' : undefined }),
    )
    const packages = await DefaultPackages.check(vms, releaseOf, { MESHVM_PACKAGE_MIRROR: base }, cache, 'onboard')
    const amd = await packages.forVm(vms[0], probe('deb x86_64'), false)
    assert.deepEqual(amd, { file: join(cache, sha(deb), 'istio-sidecar.deb'), sha256: sha(deb), version: '1.24.2' })
    assert.ok(existsSync(amd.file!))
    const arm = await packages.forVm(vms[1], probe('deb aarch64'), true)
    assert.deepEqual(arm, {
      file: join(cache, sha('arm64 deb'), 'istio-sidecar-arm64.deb'),
      sha256: sha('arm64 deb'),
      version: '1.24.2',
    })
    assert.ok(!existsSync(arm.file!), 'check mode downloads nothing')
    assert.deepEqual(await packages.forVm(vms[2], probe('deb x86_64'), false), {
      url: `${base}/1.24.2/deb/istio-sidecar.deb`,
      sha256: sha(deb),
      version: '1.24.2',
    })
    await assert.rejects(
      packages.forVm(vms[3], probe('rpm x86_64'), false),
      /^Error: no istio-sidecar package of Istio 1\.24\.2 for amd64 \.rpm: .*rpm\/istio-sidecar\.rpm\.sha256: HTTP 404; set package/,
    )
    await assert.rejects(
      packages.forVm(vms[4], probe('deb s390x'), false),
      /Istio publishes no istio-sidecar package for s390x \(amd64 and arm64 only\); set package for this VM/,
    )
    rmSync(cache, { recursive: true, force: true })
  })

  test('a 404 is "missing", a refused connection is not', async () => {
    const e404 = await publishedSha256(`${base}/0.0.0/deb/istio-sidecar.deb`).catch((e) => e)
    assert.ok(e404 instanceof PackageFetchError && e404.missing)
    const refused = await publishedSha256(`http://127.0.0.1:${await closedPort()}/x.deb`).catch((e) => e)
    assert.ok(refused instanceof PackageFetchError && !refused.missing)
  })
})
