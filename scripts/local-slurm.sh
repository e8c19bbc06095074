#!/usr/bin/env bash
# Brings up a real one-node SLURM cluster on this machine from Debian's packages (slurm-wlm, munge),
# for the tests and the bench of `--executor slurm`. Idempotent: a second call finds the daemons
# running and only checks that the node answers. Needs root and apt-get (or the packages already
# installed). There is no systemd here, so the daemons are started by hand:
#   munged (as the munge user) → slurmctld → slurmd, on NodeAddr 127.0.0.1.
# Prints one line at the end: "local-slurm: ready (<node>, <cpus> CPUs)" or why not, exit 1.
set -euo pipefail

log() { echo "local-slurm: $*"; }

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 \
   || ! command -v sbatch >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "slurmctld/slurmd/munge are not installed and cannot be installed here (need root and apt-get)"; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

node=$(hostname -s)
cpus=$(nproc)
# Leave 1 GiB to the system; slurmd refuses to start when RealMemory exceeds what it finds.
mem_mb=$(awk '/MemTotal/ { printf "%d", $2 / 1024 - 1024 }' /proc/meminfo)
state=/var/spool/slurmctld
spool=/var/spool/slurmd
conf=/etc/slurm/slurm.conf
mkdir -p /etc/slurm "$state" "$spool" /var/log/slurm /run/munge /var/lib/munge /var/log/munge

# --- munge --------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile /etc/munge/munge.key
  else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  pkill -x munged 2>/dev/null || true
  rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
  su -s /bin/sh munge -c '/usr/sbin/munged --force' || { log "munged did not start"; exit 1; }
  for _ in $(seq 1 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n </dev/null | unmunge >/dev/null 2>&1 || { log "munge does not answer"; exit 1; }
fi

# --- slurm.conf ---------------------------------------------------------------------------------
want=$(cat <<CONF
# Written by ptychostudy scripts/local-slurm.sh: a one-node cluster for tests and benches.
ClusterName=ptychostudy-local
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job may start again once its step credential has expired (120 s by default): 10 s here, so
# the test of a requeued task does not wait two minutes.
AuthInfo=cred_expire=10
CredType=cred/munge
StateSaveLocation=${state}
SlurmdSpoolDir=${spool}
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Low latency on one node: schedule at once when a job is submitted or ends (the default defers batch
# jobs by up to 3 s), and let a finished job's CPUs go without waiting.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
# Finished jobs stay visible to scontrol for 30 minutes (no slurmdbd, so no sacct).
MinJobAge=1800
MaxArraySize=10001
MaxJobCount=20000
MailProg=/bin/true
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
)
changed=0
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" > "$conf"
  changed=1
fi
# No cgroup.conf: slurm 22.05 then loads cgroup/v1 without using it (TaskPlugin=task/none, proctrack/linuxproc).

running() { pgrep -x "$1" >/dev/null 2>&1; }
if [ "$changed" = 1 ]; then
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  for _ in $(seq 1 50); do running slurmctld || running slurmd || break; sleep 0.1; done
fi
running slurmctld || /usr/sbin/slurmctld || { log "slurmctld did not start (see /var/log/slurm/slurmctld.log)"; exit 1; }
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q 'UP' && break; sleep 0.2; done
running slurmd || /usr/sbin/slurmd || { log "slurmd did not start (see /var/log/slurm/slurmd.log)"; exit 1; }

# Wait until the node takes jobs; bring it back if an earlier run left it down or drained.
for _ in $(seq 1 150); do
  st=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -n 1 || true)
  case "$st" in
    idle*|mixed*|allocated*|completing*) log "ready (${node}, ${cpus} CPUs, ${mem_mb} MB)"; exit 0 ;;
    down*|drain*|fail*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
log "the node ${node} did not become idle (state: ${st:-none}); see /var/log/slurm/"
exit 1
