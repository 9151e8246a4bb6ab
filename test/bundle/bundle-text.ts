// Helpers for reading a Bundle in tests.
import type { Bundle, BundleFileName } from '../../src/bundle/types.js'
import { Secret } from '../../src/secret.js'

export function fileText(bundle: Bundle, name: BundleFileName): string {
  const file = bundle.files.find((f) => f.name === name)
  if (!file) throw new Error(`no ${name} in the bundle`)
  return file.content instanceof Secret ? file.content.reveal() : file.content
}

/** cluster.env as a map, for tests that look at single keys. */
export function clusterEnvMap(bundle: Bundle): Map<string, string> {
  const lines = fileText(bundle, 'cluster.env').trimEnd().split('\n')
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}
