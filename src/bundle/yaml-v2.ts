// YAML as sigs.k8s.io/yaml writes a JSON-like value (json.Marshal, then go-yaml v2 Marshal of the decoded JSON):
// block style, keys in yaml.v2's natural order, `{}`/`[]` for empty collections, sequences not indented under keys.
import { formatGoFloat } from './go-format.js'
import { YamlEmitter, type ScalarStyle } from './yaml-v2-emitter.js'
import { isBase60Float, resolvesAsNonString } from './yaml-v2-resolve.js'
import { compareYamlKeys } from './yaml-v2-sort.js'

/** A value that JSON can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export function toYamlV2(value: JsonValue): string {
  const e = new YamlEmitter()
  emitNode(e, value, -1, false)
  e.writeIndent(0)
  return e.out
}

// `parentIndent` is the indent of the enclosing collection (-1 at the root); `mappingValue` is yaml.v2's
// mapping_context, which makes a sequence under a simple key "indentless".
function emitNode(e: YamlEmitter, value: JsonValue, parentIndent: number, mappingValue: boolean): void {
  if (Array.isArray(value)) {
    if (value.length === 0) return emitEmpty(e, '[]')
    const indentless = mappingValue && !e.indention
    const indent = parentIndent < 0 ? 0 : indentless ? parentIndent : parentIndent + 2
    for (const item of value) {
      e.writeIndent(indent)
      e.writeIndicator('-', true, false, true)
      emitNode(e, item, indent, false)
    }
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort(compareYamlKeys)
    if (keys.length === 0) return emitEmpty(e, '{}')
    const indent = parentIndent < 0 ? 0 : parentIndent + 2
    for (const key of keys) {
      e.writeIndent(indent)
      if (YamlEmitter.isSimpleKey(key)) {
        e.writeScalar(key, stringStyle(key), indent + 2, true)
        e.writeIndicator(':', false, false, false)
      } else {
        e.writeIndicator('?', true, false, true)
        e.writeScalar(key, stringStyle(key), indent + 2, false)
        e.writeIndent(indent)
        e.writeIndicator(':', true, false, true)
      }
      emitNode(e, value[key], indent, true)
    }
  } else {
    const [text, style] = scalarText(value)
    e.writeScalar(text, style, parentIndent < 0 ? 2 : parentIndent + 2, false)
  }
}

function emitEmpty(e: YamlEmitter, text: '{}' | '[]'): void {
  e.writeIndicator(text[0], true, true, false)
  e.writeIndicator(text[1], false, false, false)
}

function stringStyle(s: string): ScalarStyle {
  if (s.includes('\n')) return 'literal'
  return resolvesAsNonString(s) || isBase60Float(s) ? 'double' : 'plain'
}

function scalarText(value: null | boolean | number | string): [string, ScalarStyle] {
  if (typeof value === 'string') return [value, stringStyle(value)]
  if (typeof value === 'number') return [numberText(value), 'plain']
  return [String(value), 'plain']
}

// json.Marshal writes integral float64s as digits; yaml.v2 reads those back as int when they fit 64 bits.
function numberText(n: number): string {
  if (Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 64) return BigInt(n).toString()
  if (Number.isNaN(n)) return '.nan'
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf'
  return formatGoFloat(n)
}
