import { isIP } from 'node:net'

/**
 * VM names become directory names (`bundle -o DIR/<vm>`), report keys, lines of `.meshvm/failed` and `--limit` terms,
 * so they are held to what both Ansible inventories and Kubernetes objects accept without quoting: host names as
 * RFC 1123 writes them (letters, digits, '-' and '.'), plus '_' (common in Ansible) or an IP address (IPv6 included,
 * as Ansible allows), starting with a letter or digit, at most 253 characters. That rules out '/', '..' paths, glob
 * characters, spaces and quotes.
 */
const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/

/** Why `name` cannot be a VM name, or undefined when it can. */
export function vmNameProblem(name: string): string | undefined {
  if ((VM_NAME.test(name) && !name.includes('..')) || isIP(name) !== 0) return undefined
  return "not a valid VM name: use letters, digits, '.', '-' and '_' (first a letter or digit, at most 253) or an IP address"
}
