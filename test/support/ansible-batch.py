# Runs an Ansible command line (ansible-inventory or ansible) once per job in a forked child of one Python process that
# has imported Ansible once: the tools' own code, without paying their start-up for every inventory.
# Input (stdin): JSON [{"argv": [...], "out": path}]; each child's stdout goes to its `out` file.
import json, os, sys
from ansible.cli.adhoc import AdHocCLI
from ansible.cli.inventory import InventoryCLI

CLIS = {'ansible-inventory': InventoryCLI, 'ansible': AdHocCLI}
for job in json.load(sys.stdin):
    pid = os.fork()
    if pid == 0:
        fd = os.open(job['out'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        code = 1
        try:
            code = CLIS[job['argv'][0]](job['argv']).run() or 0
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.waitpid(pid, 0)
