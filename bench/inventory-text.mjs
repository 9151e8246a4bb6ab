// The large inventories of bench/inventory.mjs (and the 1,000-VM stand-in).

/** A fleet as platform teams write one: defaults, groups with their own app and labels, one line per VM. */
export function inventoryText(vms, groupCount) {
  const lines = [
    'defaults:',
    '  user: admin',
    '  identityFile: ~/.ssh/id_ed25519',
    '  namespace: vm-apps',
    '  serviceAccount: vm-sa',
    '  ports: { http: 8080, grpc: 9090 }',
    '  package: { url: https://example.invalid/istio-sidecar.deb, sha256: ' + 'a'.repeat(64) + ' }',
    'groups:',
  ]
  for (let g = 0; g < groupCount; g++) lines.push(`  team-${g}: { app: app-${g}, labels: { team: t${g}, tier: web } }`)
  lines.push('vms:')
  for (let i = 0; i < vms; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    lines.push(`  vm-${String(i).padStart(5, '0')}: { address: ${ip}, groups: [team-${i % groupCount}] }`)
  }
  return lines.join('\n') + '\n'
}
