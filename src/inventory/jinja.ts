/*
 * Jinja in inventory values. Ansible renders templates when a task uses a variable; `ansible-inventory --list` shows
 * them as written. meshvm renders the one kind whose meaning needs no Ansible: the host's own name
 * (`{{ inventory_hostname }}`, `{{ inventory_hostname_short }}`); any other template is reported, never used as text.
 */

const HOSTNAME_VAR = /\{\{-?\s*(inventory_hostname(?:_short)?)\s*-?\}\}/g
const TEMPLATE = /\{\{|\{%|\{#/

/** `value` with host-name templates rendered; `template` is the first string that still holds Jinja. */
export function renderHostTemplate(value: unknown, host: string): { value: unknown; template?: string } {
  let template: string | undefined
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const out = v.replace(HOSTNAME_VAR, (_, name: string) =>
        name === 'inventory_hostname' ? host : host.split('.')[0],
      )
      if (TEMPLATE.test(out)) template ??= v
      return out
    }
    if (Array.isArray(v)) return v.map(render)
    if (v === null || typeof v !== 'object') return v
    // !unsafe text is never templated (Ansible's AnsibleUnsafe)
    const entries = Object.entries(v)
    if (entries.length === 1 && entries[0][0] === '__ansible_unsafe') return entries[0][1]
    if (entries.length === 1 && entries[0][0] === '__ansible_vault') return v
    return Object.fromEntries(entries.map(([k, item]) => [k, render(item)]))
  }
  const rendered = render(value)
  if (template !== undefined) return { value, template }
  // unchanged values stay the very value read, so messages can still quote the source text
  return { value: JSON.stringify(rendered) === JSON.stringify(value) ? value : rendered }
}
