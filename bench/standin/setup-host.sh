#!/bin/sh
# Turns one lab host into K stand-in VMs for bench/standin.mjs: K more sshd, on ports 2201..2200+K (the host's own
# files, the overlays' lower layers, stay as they are: nobody onboards the host itself), each in a mount namespace of its own in which everything the onboard playbook writes is that
# instance's own: /var/lib/istio (= /etc/istio), /var/lib/meshvm, /run/secrets, /var/log/istio and /usr/local (the
# package's files) and the login user's ~/.meshvm (meshvm's staging dir) are directories of its own on the host's
# disk, /run/lock (meshvm's VM lock) one in a tmpfs; /etc, dpkg's database and the unit directory are
# overlays whose changes stay in a tmpfs. Usage (as root on the host): sh -s K < setup-host.sh
set -eu
K=$1
# the package's postinst makes the account once per host; instances share /etc/passwd
getent passwd istio-proxy >/dev/null || {
  groupadd --system istio-proxy
  useradd --system --gid istio-proxy --home-dir /var/lib/istio istio-proxy
}
[ -e /etc/istio ] || ln -s /var/lib/istio /etc/istio
mkdir -p /var/lib/istio /var/lib/meshvm /run/secrets /run/lock /var/log/istio /srv/standin-t
# meshvm stages uploads in the login user's ~/.meshvm and removes stale stage files there: one per instance
home=$(getent passwd admin | cut -d: -f6)
install -d -o admin -g admin "$home/.meshvm"
mountpoint -q /srv/standin-t || mount -t tmpfs -o size=512m standin /srv/standin-t
j=1
while [ "$j" -le "$K" ]; do
  r=/srv/standin/$j
  t=/srv/standin-t/$j
  mkdir -p "$r/istio" "$r/meshvm" "$r/secrets" "$r/log" "$r/local"
  install -d -o admin -g admin "$r/home-meshvm"
  for o in etc dpkg units; do mkdir -p "$t/$o" "$t/$o.w"; done
  mkdir -p "$t/lock"
  cp -a /usr/local/. "$r/local/"
  unshare -m --propagation private sh -c "
    set -e
    mount -t overlay standin -o lowerdir=/etc,upperdir=$t/etc,workdir=$t/etc.w /etc
    mount --bind $r/istio /var/lib/istio
    mount --bind $r/meshvm /var/lib/meshvm
    mount --bind $r/secrets /run/secrets
    mount --bind $t/lock /run/lock
    mount --bind $r/home-meshvm $home/.meshvm
    mount --bind $r/log /var/log/istio
    mount --bind $r/local /usr/local
    mount -t overlay standin -o lowerdir=/var/lib/dpkg,upperdir=$t/dpkg,workdir=$t/dpkg.w /var/lib/dpkg
    mount -t overlay standin -o lowerdir=/usr/lib/systemd/system,upperdir=$t/units,workdir=$t/units.w /usr/lib/systemd/system
    exec /usr/sbin/sshd -p $((2200 + j)) -o PidFile=/run/sshd-standin-$j.pid
  "
  j=$((j + 1))
done
# 1,000 instances x (the kept .deb + its unpacked payload) would fill the disk: files over 1 MiB in the packages'
# places are emptied once a minute old (the install is long done; the record of what was installed stays)
nohup sh -c 'while sleep 5; do
  find /srv/standin/*/meshvm/cache /srv/standin/*/local/lib -type f -size +1M -mmin +1 -exec truncate -s 0 {} + 2>/dev/null
done' >/dev/null 2>&1 &
echo "standin ready: $K"
