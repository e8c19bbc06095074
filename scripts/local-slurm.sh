#!/usr/bin/env bash
# Brings up a real one-node SLURM cluster on this machine from Debian's packages (slurm-wlm, munge),
# with accounting (slurmdbd on MariaDB, so sacct answers), for the tests and the bench of
# `--executor slurm`. Idempotent: a second call finds the daemons running and only checks that the
# node and the accounting answer. Needs root and apt-get (or the packages already installed). There
# is no systemd here, so the daemons are started by hand:
#   munged (as the munge user) → mariadbd → slurmdbd → slurmctld → slurmd, on 127.0.0.1.
# Where accounting cannot be brought up (mariadb-server or slurmdbd missing, a daemon that does not
# start), the cluster comes up without it, as before (AccountingStorageType=accounting_storage/none).
# Prints one line at the end, also kept in /var/log/slurm/local-slurm.last (the tests of sacct skip
# with it): "local-slurm: ready (<node>, <cpus> CPUs, <mem> MB; accounting: slurmdbd)", the same
# with "no accounting: <why>", or why the cluster is not up, exit 1.
set -euo pipefail

last=/var/log/slurm/local-slurm.last
log() { echo "local-slurm: $*"; }
# The final line: printed, and kept for the tests of accounting.
finish() {
  log "$1"
  { mkdir -p "${last%/*}" && printf 'local-slurm: %s\n' "$1" > "$last.tmp" && mv -f "$last.tmp" "$last"; } 2>/dev/null || true
}

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 \
   || ! command -v sbatch >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    finish "slurmctld/slurmd/munge are not installed and cannot be installed here (need root and apt-get)"; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt_updated=1
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
  su -s /bin/sh munge -c '/usr/sbin/munged --force' || { finish "munged did not start"; exit 1; }
  for _ in $(seq 1 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n </dev/null | unmunge >/dev/null 2>&1 || { finish "munge does not answer"; exit 1; }
fi


# --- accounting: MariaDB, then slurmdbd -----------------------------------------------------------
# Leaves $accounting empty when slurmdbd answers with the cluster registered, else says why not.
dbdconf=/etc/slurm/slurmdbd.conf
acct_db=slurm_acct_db
acct_user=slurm
accounting=""
db_up() { mariadb-admin --protocol=socket ping >/dev/null 2>&1; }
# sacctmgr with the slurm.conf of a cluster that keeps accounting (written to $conf only once this answers).
acct_conf=${conf}.accounting.tmp
acctmgr() { SLURM_CONF="$acct_conf" timeout 20 sacctmgr "$@"; }
bring_up_accounting() {
  if ! command -v mariadbd >/dev/null 2>&1 || ! command -v slurmdbd >/dev/null 2>&1 || ! command -v mariadb-admin >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      accounting="mariadb-server and slurmdbd are not installed and cannot be installed here (need root and apt-get)"; return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${apt_updated:-}" ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
    # No init system here: the packages' scripts are told not to start their services (policy-rc.d, exit 101: the
    # server is started below), since MariaDB's postinst fails where invoke-rc.d cannot start it, leaving the
    # package half-configured. A policy-rc.d already there is left as it is.
    local policy=/usr/sbin/policy-rc.d own_policy=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1; fi
    local installed=1
    apt-get install -y -qq --no-install-recommends mariadb-server slurmdbd >/dev/null 2>&1 \
      || dpkg --configure -a >/dev/null 2>&1 || installed=""
    if [ -n "$own_policy" ]; then rm -f "$policy"; fi
    if [ -z "$installed" ] || ! command -v mariadbd >/dev/null 2>&1 || ! command -v slurmdbd >/dev/null 2>&1; then
      accounting="apt-get install mariadb-server slurmdbd failed"; return 1
    fi
  fi
  # slurmdbd's recommended InnoDB settings (SchedMD's accounting.shtml: innodb_buffer_pool_size=4096M,
  # innodb_log_file_size=64M, innodb_lock_wait_timeout=900; slurmdbd logs "Database settings not recommended values: …"
  # at each start for a value under half of 1 GiB, 64 MiB, 900 s). Debian's defaults are 128 MiB, 96 MiB and 50 s; a
  # one-node test cluster's database is small, so 1 GiB (allocated as it fills) and 900 s. Written for every start
  # of mariadbd, and set in a running one (both can change without a restart).
  local cnf_dir=/etc/mysql/mariadb.conf.d
  [ -d "$cnf_dir" ] || cnf_dir=/etc/mysql/conf.d
  local innodb_cnf="$cnf_dir/60-slurmdbd.cnf" innodb_want
  innodb_want=$(printf '%s\n' '# Written by ptychostudy scripts/local-slurm.sh: the InnoDB settings slurmdbd recommends.' \
    '[mysqld]' 'innodb_buffer_pool_size=1G' 'innodb_lock_wait_timeout=900')
  if [ -d "$cnf_dir" ] && { [ ! -f "$innodb_cnf" ] || [ "$(cat "$innodb_cnf")" != "$innodb_want" ]; }; then
    printf '%s\n' "$innodb_want" > "$innodb_cnf.tmp" && mv -f "$innodb_cnf.tmp" "$innodb_cnf"
  fi
  # MariaDB: started by its package where services start, else here (mariadbd, in the background).
  if ! db_up; then
    if [ ! -d /var/lib/mysql/mysql ]; then
      mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null 2>&1 \
        || { accounting="mariadb-install-db could not create /var/lib/mysql"; return 1; }
    fi
    mkdir -p /run/mysqld /var/log/mysql
    chown mysql:mysql /run/mysqld /var/log/mysql
    setsid /usr/sbin/mariadbd --user=mysql --log-error=/var/log/mysql/error.log </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 150); do db_up && break; sleep 0.2; done
    db_up || { accounting="MariaDB did not start (see /var/log/mysql/error.log)"; return 1; }
  fi
  mariadb --protocol=socket -e "SET GLOBAL innodb_buffer_pool_size = GREATEST(@@innodb_buffer_pool_size, 1073741824);
    SET GLOBAL innodb_lock_wait_timeout = GREATEST(@@innodb_lock_wait_timeout, 900);" >/dev/null 2>&1 || true
  # slurmdbd's database and user; the password is made once and kept in slurmdbd.conf.
  local pass
  pass=$(sed -n 's/^StoragePass=//p' "$dbdconf" 2>/dev/null || true)
  [ -n "$pass" ] || pass=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  if ! MYSQL_PWD="$pass" mariadb --protocol=socket -u "$acct_user" -e 'SELECT 1' "$acct_db" >/dev/null 2>&1; then
    mariadb --protocol=socket -e "CREATE DATABASE IF NOT EXISTS $acct_db;
      CREATE USER IF NOT EXISTS '$acct_user'@'localhost' IDENTIFIED BY '$pass';
      ALTER USER '$acct_user'@'localhost' IDENTIFIED BY '$pass';
      GRANT ALL ON $acct_db.* TO '$acct_user'@'localhost';" >/dev/null 2>&1 \
      || { accounting="the database $acct_db and its user could not be made in MariaDB"; return 1; }
  fi
  local dbd
  dbd=$(cat <<DBD
# Written by ptychostudy scripts/local-slurm.sh: the accounting of the one-node cluster.
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=${acct_db}
StorageUser=${acct_user}
StoragePass=${pass}
DBD
)
  if [ ! -f "$dbdconf" ] || [ "$(cat "$dbdconf")" != "$dbd" ]; then
    (umask 077; printf '%s\n' "$dbd" > "$dbdconf.tmp")
    chown root:root "$dbdconf.tmp"; chmod 600 "$dbdconf.tmp"; mv -f "$dbdconf.tmp" "$dbdconf"
    if running slurmdbd; then
      pkill -x slurmdbd 2>/dev/null || true
      for _ in $(seq 1 50); do running slurmdbd || break; sleep 0.1; done
    fi
  fi
  running slurmdbd || /usr/sbin/slurmdbd || { accounting="slurmdbd did not start (see /var/log/slurm/slurmdbd.log)"; return 1; }
  local clusters="" answered=""
  for _ in $(seq 1 100); do clusters=$(acctmgr -n -P list cluster format=cluster 2>/dev/null) && { answered=1; break; }; sleep 0.2; done
  [ -n "$answered" ] || { accounting="slurmdbd does not answer (see /var/log/slurm/slurmdbd.log)"; return 1; }
  if ! grep -qx "$cluster" <<<"$clusters"; then
    acctmgr -i add cluster "$cluster" >/dev/null 2>&1 || { accounting="sacctmgr could not add the cluster $cluster"; return 1; }
  fi
}

# --- slurm.conf ---------------------------------------------------------------------------------
# $1: the accounting lines (slurmdbd's, or none with its comment).
slurm_conf() {
  cat <<CONF
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
# Finished jobs stay visible to scontrol for 30 minutes ${age_note}.
MinJobAge=1800
MaxArraySize=10001
MaxJobCount=20000
MailProg=/bin/true
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
${acct_lines}
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
}
cluster=ptychostudy-local
running() { pgrep -x "$1" >/dev/null 2>&1; }
age_note="(then sacct, from slurmdbd)"
acct_lines="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1"
slurm_conf > "$acct_conf"
if ! bring_up_accounting; then
  age_note="(no slurmdbd, so no sacct)"
  acct_lines="AccountingStorageType=accounting_storage/none"
fi
rm -f "$acct_conf"
want=$(slurm_conf)
# slurmctld and slurmd are restarted only when slurm.conf changes (accounting turned on or off included).
changed=0
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" > "$conf.tmp"
  mv -f "$conf.tmp" "$conf"
  changed=1
fi
# No cgroup.conf: slurm 22.05 then loads cgroup/v1 without using it (TaskPlugin=task/none, proctrack/linuxproc).

if [ "$changed" = 1 ]; then
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  for _ in $(seq 1 50); do running slurmctld || running slurmd || break; sleep 0.1; done
fi
running slurmctld || /usr/sbin/slurmctld || { finish "slurmctld did not start (see /var/log/slurm/slurmctld.log)"; exit 1; }
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q 'UP' && break; sleep 0.2; done
running slurmd || /usr/sbin/slurmd || { finish "slurmd did not start (see /var/log/slurm/slurmd.log)"; exit 1; }

# Wait until the node takes jobs; bring it back if an earlier run left it down or drained.
for _ in $(seq 1 150); do
  st=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -n 1 || true)
  case "$st" in
    idle*|mixed*|allocated*|completing*)
      finish "ready (${node}, ${cpus} CPUs, ${mem_mb} MB; ${accounting:+no }accounting: ${accounting:-slurmdbd})"; exit 0 ;;
    down*|drain*|fail*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
finish "the node ${node} did not become idle (state: ${st:-none}); see /var/log/slurm/"
exit 1
