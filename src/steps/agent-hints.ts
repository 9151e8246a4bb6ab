/**
 * What fixes a sidecar that does not connect, read from the agent's own last lines (`pilot-agent` wording, as in
 * istio/istio pkg/istio-agent/xds_proxy.go and security/pkg/nodeagent): the first cause found, or undefined.
 */
const CAUSES: Array<[RegExp, string]> = [
  [
    /token file \S*istio-token: open \S*: no such file|istio-token: no such file/,
    'the istio-token is gone (/var/run/secrets is often a tmpfs, emptied by a reboot): `meshvm onboard` uploads a fresh one',
  ],
  [
    /authentication failure|Unauthenticated|token (has )?expired|401/,
    'istiod refused the token (expired or revoked): `meshvm onboard` mints and uploads a new one',
  ],
  [
    /authentication handshake failed|certificate signed by unknown authority|x509/,
    "the VM's /etc/certs/root-cert.pem is not the cluster's current root: `meshvm onboard` uploads it",
  ],
  [/no such host/, "istiod's name does not resolve on the VM (hosts block missing?): `meshvm onboard` writes it"],
  [
    /connection refused|i\/o timeout|no route to host|network is unreachable/,
    "istiod is not reachable from the VM through the east-west gateway: check the gateway address (ingressIP/ingressService) and the VM's firewall",
  ],
  [
    /permission denied/,
    'the agent cannot read its files as istio-proxy: `meshvm onboard` gives the Istio paths back to istio-proxy',
  ],
]

export function agentFixHint(lastLines: string): string | undefined {
  return CAUSES.find(([re]) => re.test(lastLines))?.[1]
}
