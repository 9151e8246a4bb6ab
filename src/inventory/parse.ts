import { dirname } from 'node:path'
import { isMap, LineCounter, parseDocument } from 'yaml'
import { readAnsibleFormat } from './ansible-format.js'
import { looksLikeMeshvmFormat, readMeshvmFormat } from './meshvm-format.js'
import { Problems } from '../problems.js'
import { throwIfAny } from './problems.js'
import { resolveVms } from './resolve.js'
import type { Inventory } from './types.js'

/**
 * Parses an inventory in the meshvm format or as an Ansible YAML inventory (told apart by the top-level keys), merges
 * each VM's settings and fills defaults. Pure: reads nothing. Throws InventoryError listing every problem found.
 */
export function parseInventory(text: string, file: string): Inventory {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false })
  const problems = new Problems(file, lines)
  for (const error of doc.errors) problems.add(error.pos[0], `YAML: ${error.message.split('\n')[0]}`)
  throwIfAny(problems)

  const root = doc.contents
  const topKeys = isMap(root) ? root.items.map((pair) => String((pair.key as { value?: unknown })?.value)) : []
  const meshvm = looksLikeMeshvmFormat(topKeys) || !isMap(root)
  const sources = meshvm ? readMeshvmFormat(root, problems) : readAnsibleFormat(root, problems)
  const vms = resolveVms(sources, problems, dirname(file))
  throwIfAny(problems)
  return { file, vms }
}
