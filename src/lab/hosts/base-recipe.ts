import { createHash } from 'node:crypto'

/** The lab-only sudo password of the `operator` user on lab hosts (a test fixture for password sudo, never a real credential). */
export const LAB_OPERATOR_SUDO_PASSWORD = 'lab-sudo-pass'

/** Units that do nothing useful in a container without its own network stack manager, consoles or a real disk. */
const MASKED_UNITS = [
  'systemd-networkd.service',
  'systemd-networkd.socket',
  'systemd-networkd-wait-online.service',
  'systemd-timesyncd.service',
  'systemd-resolved.service',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'dpkg-db-backup.timer',
  'e2scrub_all.timer',
  'fstrim.timer',
  'getty.target',
  'getty@.service',
  'console-getty.service',
  'container-getty@.service',
  'serial-getty@.service',
]

// Runs inside the fresh debootstrap tree (chroot). Host keys and authorized_keys are per host, written at creation.
const CONFIGURE_SCRIPT = `set -eu
useradd --create-home --shell /bin/bash admin
# Debian already has an 'operator' group: the user joins it as its primary group
useradd --create-home --shell /bin/bash --gid operator operator
echo 'operator:${LAB_OPERATOR_SUDO_PASSWORD}' | chpasswd
echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-lab-admin
echo 'operator ALL=(ALL) ALL' > /etc/sudoers.d/90-lab-operator
chmod 0440 /etc/sudoers.d/90-lab-admin /etc/sudoers.d/90-lab-operator
install -d -m 0700 /root/.ssh
install -d -m 0700 -o admin -g admin /home/admin/.ssh
install -d -m 0700 -o operator -g operator /home/operator/.ssh
cat > /etc/ssh/sshd_config.d/10-lab.conf <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
MaxStartups 100:30:200
CONF
rm -f /etc/ssh/ssh_host_*
for unit in ${MASKED_UNITS.join(' ')}; do ln -sf /dev/null /etc/systemd/system/$unit; done
rm -f /etc/systemd/system/getty.target.wants/* /etc/systemd/system/timers.target.wants/*
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\\nStorage=volatile\\nRuntimeMaxUse=8M\\n' > /etc/systemd/journald.conf.d/10-lab.conf
rm -f /etc/machine-id /etc/resolv.conf /var/lib/dbus/machine-id
: > /etc/machine-id
: > /etc/resolv.conf
echo localhost > /etc/hostname
printf '127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > /etc/hosts
apt-get clean
rm -rf /var/lib/apt/lists/*
`

/** What `ensureBase` builds; its hash names the cached base so a recipe change rebuilds it. */
export const BASE_RECIPE = {
  suite: 'bookworm',
  variant: 'minbase',
  include: [
    'systemd',
    'systemd-sysv',
    'dbus',
    'openssh-server',
    'iproute2',
    'sudo',
    'procps',
    'ca-certificates',
    'curl',
    'iptables',
    // as on stock cloud images: Ansible (the bench's comparison, bench/ansible/) needs Python and, for apt, python3-apt
    'python3',
    'python3-apt',
  ],
  configureScript: CONFIGURE_SCRIPT,
} as const

export function baseRecipeHash(): string {
  return createHash('sha256').update(JSON.stringify(BASE_RECIPE)).digest('hex').slice(0, 12)
}
