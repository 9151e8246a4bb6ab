// Reads YAML the way sigs.k8s.io/yaml does before handing it to a protobuf decoder: go-yaml v2 typing of plain
// scalars (YAML 1.1 booleans such as `yes`/`off`, `0x`/`0o`/leading-zero octal ints, timestamps kept as text).
import { isScalar, parseDocument, visit } from 'yaml'
import { InputError } from '../errors.js'
import { resolvePlain } from './yaml-v2-resolve.js'

/** Parses one YAML document; `what` names it in the error message. Empty text gives `null`. */
export function parseYamlV2(text: string, what: string): unknown {
  // failsafe: every scalar arrives as text, so plain scalars can be typed by yaml.v2's rules, not the yaml package's.
  const doc = parseDocument(text, { schema: 'failsafe', prettyErrors: false })
  if (doc.errors.length > 0) throw new InputError(`${what} is not valid YAML: ${doc.errors[0].message}`)
  visit(doc, {
    Scalar(_, node) {
      if (node.type === 'PLAIN') node.value = resolvePlain(node.value === null ? '' : String(node.value))
    },
  })
  const contents = doc.contents
  if (contents === null || (isScalar(contents) && contents.value === null)) return null
  return doc.toJS()
}
