#!/bin/bash
# Starts the Istio sidecar on a VM, as upstream's tools/packaging/common/istio-start.sh does: load the settings,
# set up traffic interception, then run `pilot-agent proxy` as istio-proxy with its output in $ISTIO_LOG_DIR.
# (meshvm lab package: the script is upstream's logic; pilot-agent and envoy beside it are lab stand-ins.)
# Relative defaults (./var/...) are on purpose: systemd runs the unit in /.

# Every key of sidecar.env and cluster.env becomes an exported variable; cluster.env is read last and wins.
set -a
ISTIO_SIDECAR_CONFIG=${ISTIO_SIDECAR_CONFIG:-./var/lib/istio/envoy/sidecar.env}
if [[ -r ${ISTIO_SIDECAR_CONFIG} ]]; then
  # shellcheck disable=SC1090
  . "${ISTIO_SIDECAR_CONFIG}"
fi
ISTIO_CLUSTER_CONFIG=${ISTIO_CLUSTER_CONFIG:-./var/lib/istio/envoy/cluster.env}
if [[ -r ${ISTIO_CLUSTER_CONFIG} ]]; then
  # shellcheck disable=SC1090
  . "${ISTIO_CLUSTER_CONFIG}"
fi
set +a

ISTIO_BIN_BASE=${ISTIO_BIN_BASE:-/usr/local/bin}
ISTIO_LOG_DIR=${ISTIO_LOG_DIR:-./var/log/istio}
NS=${ISTIO_NAMESPACE:-default}
SVC=${ISTIO_SERVICE:-rawvm}
ISTIO_SYSTEM_NAMESPACE=${ISTIO_SYSTEM_NAMESPACE:-istio-system}
CONTROL_PLANE_AUTH_POLICY=${ISTIO_CP_AUTH:-MUTUAL_TLS}
if [[ -z ${ISTIO_SVC_IP:-} ]]; then
  ISTIO_SVC_IP=$(hostname --all-ip-addresses | cut -d ' ' -f 1)
fi
if [[ -z ${POD_NAME:-} ]]; then
  POD_NAME=$(hostname -s)
fi

if [[ ${1:-} == clean ]]; then
  if [[ ${ISTIO_CUSTOM_IP_TABLES:-} != true ]]; then
    "${ISTIO_BIN_BASE}/pilot-agent" istio-iptables --cleanup-only
  fi
  exit 0
fi

if [[ ${ISTIO_CUSTOM_IP_TABLES:-} != true ]]; then
  if [[ ${1:-} == init || ${1:-} == -p ]]; then
    "${ISTIO_BIN_BASE}/pilot-agent" istio-iptables --cleanup-only
    "${ISTIO_BIN_BASE}/pilot-agent" istio-iptables "$@"
    exit $?
  elif [[ ${1:-} != run ]]; then
    "${ISTIO_BIN_BASE}/pilot-agent" istio-iptables --cleanup-only
    "${ISTIO_BIN_BASE}/pilot-agent" istio-iptables
  fi
fi

EXEC_USER=${EXEC_USER:-istio-proxy}
if [[ ${ISTIO_INBOUND_INTERCEPTION_MODE:-} == TPROXY ]]; then
  EXEC_USER=root
fi

DEFAULT_PILOT_ADDRESS=istiod.${ISTIO_SYSTEM_NAMESPACE}.svc:15012
CUSTOM_PILOT_ADDRESS=${PILOT_ADDRESS:-}
if [[ -z ${CUSTOM_PILOT_ADDRESS} && -n ${ISTIO_PILOT_PORT:-} ]]; then
  CUSTOM_PILOT_ADDRESS=istiod.${ISTIO_SYSTEM_NAMESPACE}.svc:${ISTIO_PILOT_PORT}
fi
# A revisioned control plane puts CA_ADDR in cluster.env; it wins over the discovery address.
CA_ADDR=${CA_ADDR:-${CUSTOM_PILOT_ADDRESS:-${DEFAULT_PILOT_ADDRESS}}}
PROV_CERT=${PROV_CERT-./etc/certs}
OUTPUT_CERTS=${OUTPUT_CERTS-./etc/certs}
export CA_ADDR PROV_CERT OUTPUT_CERTS

read -r -a ISTIO_AGENT_ARGS <<<"${ISTIO_AGENT_FLAGS:-}"

# A custom address makes PROXY_CONFIG non-empty, so the default below is then not used: mesh.yaml keeps the rest.
if [[ -n ${CUSTOM_PILOT_ADDRESS} ]]; then
  PROXY_CONFIG="${PROXY_CONFIG:-}
discoveryAddress: ${CUSTOM_PILOT_ADDRESS}
"
fi
if [[ -z ${PROXY_CONFIG:-} ]]; then
  PROXY_CONFIG="serviceCluster: ${SVC}
controlPlaneAuthPolicy: ${CONTROL_PLANE_AUTH_POLICY}
"
fi
export PROXY_CONFIG

if [[ ${USER:-} == "${EXEC_USER}" ]]; then
  INSTANCE_IP=${ISTIO_SVC_IP} POD_NAME=${POD_NAME} POD_NAMESPACE=${NS} \
    exec "${ISTIO_BIN_BASE}/pilot-agent" proxy "${ISTIO_AGENT_ARGS[@]}"
else
  exec sudo -E -u "${EXEC_USER}" -s /bin/bash -c "INSTANCE_IP=${ISTIO_SVC_IP} POD_NAME=${POD_NAME} POD_NAMESPACE=${NS} exec ${ISTIO_BIN_BASE}/pilot-agent proxy ${ISTIO_AGENT_ARGS[*]} 2>> ${ISTIO_LOG_DIR}/istio.err.log >> ${ISTIO_LOG_DIR}/istio.log"
fi
