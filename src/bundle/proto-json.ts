// A schema-light stand-in for decoding a ProxyConfig with jsonpb and encoding it back (legacy jsonpb,
// EmitDefaults off). Known limits, since we carry no ProxyConfig schema: fields unknown to istio are kept (upstream
// drops them), numbers given as strings stay strings, and only the wrapper, enum and Duration fields named below
// get their special treatment.
import { InputError } from '../errors.js'
import type { JsonValue } from './yaml-v2.js'

/** A decoded protobuf message as a JSON object with lowerCamelCase field names. */
export type JsonMap = { [key: string]: JsonValue }

// Protobuf map fields: their keys are data (never renamed) and an empty map is not written.
const STRING_MAP_FIELDS = new Set(['proxyMetadata', 'runtimeValues'])
const MESSAGE_MAP_FIELDS = new Set(['customTags'])
// google.protobuf wrapper types: a zero value that is set is still written.
const WRAPPER_FIELDS = new Set([
  'concurrency',
  'holdApplicationUntilProxyStarts',
  'maxPathTagLength',
  'fileFlushMinSizeKb',
  'disabled',
  'preserveHttp1HeaderCase',
])
// Enums whose first value (number 0) is the default and therefore not written.
const ENUM_DEFAULTS: Record<string, string> = {
  interceptionMode: 'REDIRECT',
  controlPlaneAuthPolicy: 'NONE',
  tracingServiceName: 'APP_LABEL_AND_NAMESPACE',
  forwardClientCertDetails: 'UNDEFINED',
}
const DURATION_FIELDS = new Set([
  'drainDuration',
  'parentShutdownDuration',
  'discoveryRefreshDelay',
  'connectTimeout',
  'terminationDrainDuration',
  'fileFlushInterval',
])

export const isJsonMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v)

/** jsonpb accepts both the JSON name and the proto name of a field: `discovery_address` → `discoveryAddress`. */
export function fieldName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** Decodes a message: field names to lowerCamelCase, `null` fields dropped, string-map values checked. */
export function decodeMessage(value: unknown, path: string): JsonMap {
  if (!isJsonMap(value)) throw new InputError(`${path} must be a mapping`)
  const out: JsonMap = {}
  for (const [rawName, field] of Object.entries(value)) {
    if (field === null) continue
    const name = fieldName(rawName)
    out[name] = decodeField(name, field, `${path}.${name}`)
  }
  return out
}

function decodeField(name: string, value: JsonValue, path: string): JsonValue {
  if (STRING_MAP_FIELDS.has(name)) return decodeStringMap(value, path)
  if (MESSAGE_MAP_FIELDS.has(name) && isJsonMap(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeMessage(v, `${path}.${k}`)]))
  }
  if (isJsonMap(value)) return decodeMessage(value, path)
  if (Array.isArray(value)) return value.map((v) => (isJsonMap(v) ? decodeMessage(v, path) : v))
  return value
}

function decodeStringMap(value: JsonValue, path: string): JsonMap {
  if (!isJsonMap(value)) throw new InputError(`${path} must be a mapping of strings`)
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InputError(`${path}.${k} must be a string (quote it: "${String(v)}")`)
  }
  return { ...value }
}

/** Encodes a decoded message as jsonpb writes it: unset and zero scalars, empty lists and maps left out. */
export function encodeMessage(message: JsonMap): JsonMap {
  const out: JsonMap = {}
  for (const [name, value] of Object.entries(message)) {
    const encoded = encodeField(name, value)
    if (encoded !== undefined) out[name] = encoded
  }
  return out
}

function encodeField(name: string, value: JsonValue): JsonValue | undefined {
  if (value === null) return undefined
  if (STRING_MAP_FIELDS.has(name) || MESSAGE_MAP_FIELDS.has(name)) {
    if (!isJsonMap(value) || Object.keys(value).length === 0) return undefined
    return STRING_MAP_FIELDS.has(name) ? { ...value } : mapValues(value, (v) => (isJsonMap(v) ? encodeMessage(v) : v))
  }
  if (isJsonMap(value)) return encodeMessage(value)
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value.map((v) => (isJsonMap(v) ? encodeMessage(v) : v))
  }
  if (WRAPPER_FIELDS.has(name)) return value
  if (value === false || value === 0 || value === '' || ENUM_DEFAULTS[name] === value) return undefined
  if (DURATION_FIELDS.has(name) && typeof value === 'string') return normaliseDuration(value)
  return value
}

function mapValues(map: JsonMap, f: (v: JsonValue) => JsonValue): JsonMap {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, f(v)]))
}

// jsonpb writes Durations as seconds with 0, 3, 6 or 9 fractional digits: "1.5s" → "1.500s", "5.000s" → "5s".
function normaliseDuration(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text)
  if (!m) return text
  const [, sign, seconds, fraction = ''] = m
  const nanos = fraction.padEnd(9, '0').replace(/(000)+$/, '')
  const secs = String(BigInt(seconds))
  return `${sign}${secs}${nanos === '' ? '' : '.' + nanos}s`
}
