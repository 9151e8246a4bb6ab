# Runs as root on one VM, in the login user's home where onboard.sh copied the files (see onboard.sh).
set -eu
deb=$(ls istio-sidecar_*.deb)
mkdir -p /etc/certs /var/run/secrets/tokens
install -m 0644 root-cert.pem /etc/certs/root-cert.pem
install -m 0600 istio-token /var/run/secrets/tokens/istio-token
dpkg -i "$deb"
install -m 0644 cluster.env /var/lib/istio/envoy/cluster.env
install -m 0644 mesh.yaml /etc/istio/config/mesh
cat hosts >> /etc/hosts
mkdir -p /etc/istio/proxy
chown -R istio-proxy /var/lib/istio /etc/certs /etc/istio/proxy /etc/istio/config /var/run/secrets
systemctl enable --now istio
rm -f root-cert.pem istio-token cluster.env mesh.yaml hosts "$deb"
# the XDS line, polled every 0.1 s for at most 120 s
i=0
until grep -q 'connected to upstream XDS server' /var/log/istio/istio.log 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 1200 ] || { echo 'no XDS connection within 120 s' >&2; exit 1; }
  sleep 0.1
done
