#!/usr/bin/env bash
# The jlrec lab: simulated Docker hosts on loopback, each a real sshd with its own real
# dockerd, plus two local image registries: an open one and one that requires a login
# (htpasswd), and a PostgreSQL 15 server of its own. Everything stays on 127.0.0.0/8.
#
#   lab.sh up [N]            start N hosts (default 3, or as many as already run), idempotent
#   lab.sh down              stop exactly what `up` started, remove containers and data
#   lab.sh status            what runs
#   lab.sh stop-host N | start-host N       stop/start host N's sshd (host unreachable)
#   lab.sh pause-host N | resume-host N     SIGSTOP/SIGCONT host N's sshd (host hangs)
#   lab.sh stop-docker N | start-docker N   stop/start host N's dockerd
#   lab.sh pause-docker N | resume-docker N SIGSTOP/SIGCONT host N's dockerd (daemon hangs)
#   lab.sh preload [IMAGE...]               pull lab images on every host (speed for tests)
#   lab.sh postgres-stop | postgres-start   stop (fast) / start the lab's PostgreSQL
#   lab.sh postgres-restart                 restart it (fast), wait until it accepts connections
#   lab.sh env                              print the connection settings (shell format)
#
# Host N: sshd on 127.0.0.(N+1):2222, user root, dockerd socket $LAB/hN/docker.sock.
# Registries: 127.0.0.1:5000 (open), 127.0.0.1:5001 (login; user and password in lab.env).
# User jlreclab (created by `up`, removed by `down` only if `up` created it) logs in with the
# same key but is in no docker group: the user that cannot open the docker socket.
# PostgreSQL 15 (Debian's binaries, never the system cluster 15/main nor its service): data
# $LAB/postgres/data, 127.0.0.1:5433 (role jlrec, scram-sha-256, its password in the .pgpass
# file $LAB/postgres/pgpass) and socket /run/jlrec-lab/postgres (superuser postgres, trust).
# Benchmark labs (JLREC_LAB_SHARED_DOCKERDS=K) let N hosts share K dockerds.
set -euo pipefail

# The daemons started here must not inherit the caller's descriptors: under
# `flock LOCK lab.sh up` they would hold LOCK for as long as the lab runs. (fd 255 is the
# script itself; closing this copy of a lock does not release it: the caller keeps one.)
for fd_path in /proc/$$/fd/*; do
  fd="${fd_path##*/}"
  if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2 && fd != 255)); then eval "exec $fd>&-" 2>/dev/null || true; fi
done
unset fd fd_path

LAB="${JLREC_LAB_DIR:-/var/lib/jlrec-lab}"
RUN="/run/jlrec-lab"  # exec-roots: containerd socket paths must stay short
SSH_PORT=2222
REG_ADDR="127.0.0.1:5000"
IMAGE_REPO="$REG_ADDR/jlrec-lab/base"
# The login-protected registry; its password is a lab-only value made at the first `up`.
PRIVATE_REG_ADDR="127.0.0.1:5001"
PRIVATE_REG_USER="jlrec-lab"
PRIVATE_IMAGE="$PRIVATE_REG_ADDR/jlrec-lab/private:1"
SHARED_DOCKERDS="${JLREC_LAB_SHARED_DOCKERDS:-0}"
UNPRIVILEGED_USER=jlreclab
MAX_HOSTS=254
# The lab's PostgreSQL server. Port 5433: Debian's own cluster, if ever started, takes 5432.
PG_BIN=/usr/lib/postgresql/15/bin
PG_ADDR=127.0.0.1
PG_PORT=5433
PG_DIR="$LAB/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKET_DIR="$RUN/postgres"
PG_LOG="$PG_DIR/postgres.log"
PG_PASSFILE="$PG_DIR/pgpass"
PG_ROLE=jlrec
PG_DATABASE=jlrec

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

host_addr() { echo "127.0.0.$(($1 + 1))"; }
host_dir() { echo "$LAB/h$1"; }

# The dockerd that serves host N: its own, or in a shared benchmark lab one of K.
docker_index() {
  local n=$1
  if [[ "$SHARED_DOCKERDS" -gt 0 ]]; then echo "d$(((n - 1) % SHARED_DOCKERDS + 1))"; else echo "h$n"; fi
}
docker_sock() { echo "$LAB/$(docker_index "$1")/docker.sock"; }

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v curl >/dev/null || missing+=(curl)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  [[ -x "$PG_BIN/postgres" ]] || missing+=(postgresql-15)
  [[ -x "$PG_BIN/psql" ]] || missing+=(postgresql-client-15)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The docker.io package may have started the system daemon where systemd runs; the lab
  # does not need it and never uses /var/run/docker.sock. Likewise postgresql-15 creates
  # the cluster 15/main (port 5432) and may start it: the lab never starts, stops or uses it.
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

docker_ping() { curl -sf --max-time 2 --unix-socket "$1" http://d/_ping; }

start_dockerd() {  # start_dockerd NAME (h1, d1, builder)
  local name=$1 dir="$LAB/$1"
  mkdir -p "$dir/data" "$RUN/$name"
  if pid_alive "$dir/dockerd.pid"; then return 0; fi
  rm -f "$dir/docker.sock" "$dir/dockerd.pid"
  setsid dockerd \
    --data-root "$dir/data" --exec-root "$RUN/$name" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --bridge=none --iptables=false --ip-masq=false \
    --ip-forward=false --userland-proxy=false --shutdown-timeout=2 --log-level=warn \
    --insecure-registry "$REG_ADDR" >"$dir/dockerd.log" 2>&1 </dev/null &
}

wait_dockerd() { wait_for 60 "dockerd $1 (see $LAB/$1/dockerd.log)" docker_ping "$LAB/$1/docker.sock"; }

stop_pidfile() {  # stop_pidfile FILE WHAT [SIGNAL]
  local file=$1 what=$2 sig=${3:-TERM}
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid
  pid=$(cat "$file")
  kill -CONT "$pid" 2>/dev/null || true  # a paused sshd would never see TERM
  kill "-$sig" "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$what (pid $pid) ignored SIG$sig, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$file"
}

stop_dockerd() {
  local name=$1 dir="$LAB/$1"
  [[ -d "$dir" ]] || return 0
  if pid_alive "$dir/dockerd.pid" && docker_ping "$dir/docker.sock" >/dev/null 2>&1; then
    local ids
    ids=$(timeout 30 docker -H "unix://$dir/docker.sock" ps -aq 2>/dev/null || true)
    # Bounded: a dockerd removing hundreds of containers has been seen to hang for good;
    # it is then stopped all the same and what it leaves behind is killed below.
    [[ -z "$ids" ]] || timeout 120 docker -H "unix://$dir/docker.sock" rm -f $ids >/dev/null 2>&1 ||
      log "dockerd $name: removing its containers did not finish; killing what is left"
  fi
  stop_pidfile "$dir/dockerd.pid" "dockerd $name"
  kill_leftovers "$name"
}

kill_leftovers() {  # kill_leftovers NAME: the containerd and shims a dead dockerd left
  local name=$1 shim child
  for shim in $(pgrep -f -- "-address $RUN/$name/containerd/containerd.sock" || true); do
    # A container's init is the shim's child; when it dies its PID namespace goes with it.
    for child in $(pgrep -P "$shim" || true); do kill -KILL "$child" 2>/dev/null || true; done
    kill -KILL "$shim" 2>/dev/null || true
  done
  pkill -KILL -f -- "--config $RUN/$name/containerd/containerd.toml" 2>/dev/null || true
}

setup_client() {
  mkdir -p "$LAB/client"
  chmod 0755 "$LAB" "$LAB/client"
  [[ -f "$LAB/client/id_ed25519" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C jlrec-lab-client -f "$LAB/client/id_ed25519"
  cp "$LAB/client/id_ed25519.pub" "$LAB/client/authorized_keys"
  chmod 0600 "$LAB/client/id_ed25519"
  # Readable by all: sshd reads AuthorizedKeysFile as the user logging in, and every lab user
  # (root and $UNPRIVILEGED_USER) shares this one file. It holds only a public key.
  chmod 0644 "$LAB/client/authorized_keys"
}

# A login user in no docker group, to see what jlrec says when the docker socket refuses it.
# Its password field is '*', not useradd's '!': with UsePAM no, sshd refuses '!' (locked).
# The marker file makes `down` remove the user only when `up` created it.
setup_unprivileged_user() {
  local home="$LAB/$UNPRIVILEGED_USER"
  if ! getent passwd "$UNPRIVILEGED_USER" >/dev/null; then
    useradd --system --user-group --password '*' --shell /bin/sh --home-dir "$home" \
      --comment "jlrec lab user without docker access" "$UNPRIVILEGED_USER"
    touch "$LAB/$UNPRIVILEGED_USER.created"
    log "created user $UNPRIVILEGED_USER (no docker group)"
  elif [[ ! -f "$LAB/$UNPRIVILEGED_USER.created" ]]; then
    log "user $UNPRIVILEGED_USER exists and was not created by the lab; using it as it is"
  fi
  mkdir -p "$home"
  chown "$UNPRIVILEGED_USER:" "$home"
  chmod 0755 "$home"
}

remove_unprivileged_user() {
  [[ -f "$LAB/$UNPRIVILEGED_USER.created" ]] || return 0
  if getent passwd "$UNPRIVILEGED_USER" >/dev/null; then
    userdel "$UNPRIVILEGED_USER" || log "could not remove user $UNPRIVILEGED_USER (still logged in?)"
  fi
  # useradd --user-group made the group; userdel removes it only where USERGROUPS_ENAB is on.
  if getent group "$UNPRIVILEGED_USER" >/dev/null && ! getent passwd "$UNPRIVILEGED_USER" >/dev/null; then
    groupdel "$UNPRIVILEGED_USER" || true
  fi
  rm -f "$LAB/$UNPRIVILEGED_USER.created"
}

write_sshd_config() {
  local n=$1 dir
  dir=$(host_dir "$n")
  mkdir -p "$dir"
  [[ -f "$dir/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "jlrec-lab-h$n" -f "$dir/ssh_host_ed25519_key"
  cat >"$dir/sshd_config" <<EOF
ListenAddress $(host_addr "$n")
Port $SSH_PORT
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $LAB/client/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowStreamLocalForwarding yes
X11Forwarding no
MaxStartups 300:30:600
MaxSessions 64
PrintMotd no
LogLevel ERROR
SetEnv DOCKER_HOST=unix://$(docker_sock "$n")
EOF
}

sshd_listening() { (exec 3<>"/dev/tcp/$(host_addr "$1")/$SSH_PORT") 2>/dev/null; }

start_sshd() {
  local n=$1 dir
  dir=$(host_dir "$n")
  mkdir -p /run/sshd
  write_sshd_config "$n"
  pid_alive "$dir/sshd.pid" && return 0
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" || die "sshd for host $n failed (see $dir/sshd.log)"
}

write_known_hosts_and_env() {
  local count=$1 kh="$LAB/client/known_hosts" n
  : >"$kh.tmp"
  for ((n = 1; n <= count; n++)); do
    printf '[%s]:%s %s\n' "$(host_addr "$n")" "$SSH_PORT" \
      "$(cut -d' ' -f1,2 "$(host_dir "$n")/ssh_host_ed25519_key.pub")" >>"$kh.tmp"
  done
  mv "$kh.tmp" "$kh"
  {
    echo "# jlrec lab connection settings (written by tests/lab/lab.sh up)"
    echo "JLREC_LAB_DIR=$LAB"
    echo "JLREC_LAB_HOSTS=$count"
    echo "JLREC_LAB_USER=root"
    echo "JLREC_LAB_UNPRIVILEGED_USER=$UNPRIVILEGED_USER"
    echo "JLREC_LAB_PORT=$SSH_PORT"
    echo "JLREC_LAB_IDENTITY=$LAB/client/id_ed25519"
    echo "JLREC_LAB_KNOWN_HOSTS=$kh"
    echo "JLREC_LAB_REGISTRY=$REG_ADDR"
    echo "JLREC_LAB_IMAGE_1=$IMAGE_REPO:1"
    echo "JLREC_LAB_IMAGE_2=$IMAGE_REPO:2"
    echo "JLREC_LAB_PRIVATE_REGISTRY=$PRIVATE_REG_ADDR"
    echo "JLREC_LAB_PRIVATE_USER=$PRIVATE_REG_USER"
    echo "JLREC_LAB_PRIVATE_PASSWORD=$(private_password)"
    echo "JLREC_LAB_PRIVATE_IMAGE=$PRIVATE_IMAGE"
    # The password of role jlrec is only in the passfile (give it as PGPASSFILE). The admin
    # value is a libpq conninfo, unquoted as every value here (`lab.sh env` quotes for a shell).
    echo "JLREC_LAB_POSTGRES_URL=postgresql://$PG_ROLE@$PG_ADDR:$PG_PORT/$PG_DATABASE"
    echo "JLREC_LAB_POSTGRES_PASSFILE=$PG_PASSFILE"
    echo "JLREC_LAB_POSTGRES_ADMIN=host=$PG_SOCKET_DIR port=$PG_PORT user=postgres dbname=postgres"
    for ((n = 1; n <= count; n++)); do
      echo "JLREC_LAB_H${n}_ADDRESS=$(host_addr "$n")"
      echo "JLREC_LAB_H${n}_DOCKER_SOCKET=$(docker_sock "$n")"
    done
  } >"$LAB/lab.env"
  {
    echo "# jlrec lab hosts, ready to paste under a manifest's hosts: (written by lab.sh up)"
    echo "hosts:"
    for ((n = 1; n <= count; n++)); do
      echo "  lab$n: {address: $(host_addr "$n"), port: $SSH_PORT, user: root," \
        "identity_file: $LAB/client/id_ed25519, known_hosts: $kh," \
        "docker_socket: $(docker_sock "$n")}"
    done
  } >"$LAB/hosts.yaml"
  echo "$count" >"$LAB/hosts.count"
}

start_registry() {
  local dir="$LAB/registry"
  mkdir -p "$dir/data"
  pid_alive "$dir/registry.pid" && return 0
  cat >"$dir/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: $REG_ADDR
EOF
  serve_registry "$dir" "registry on $REG_ADDR" curl -sf "http://$REG_ADDR/v2/"
}

# serve_registry DIR WHAT CHECK...: runs docker-registry on DIR/config.yml in the background
# (its pid in DIR/registry.pid, for `down`), then waits until CHECK succeeds.
serve_registry() {
  local dir=$1 what=$2
  shift 2
  setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/registry.pid"
  wait_for 30 "$what (see $dir/registry.log)" "$@"
}

registry_has_tag() { curl -sf "http://$REG_ADDR/v2/jlrec-lab/base/tags/list" | grep -q "\"$1\""; }

private_registry_dir() { echo "$LAB/registry-private"; }
private_password() { cat "$(private_registry_dir)/password"; }

# The second registry: the same docker-registry, but every request needs a login
# (htpasswd, bcrypt). Its password is made once and kept, so that `up` stays idempotent.
start_private_registry() {
  local dir
  dir=$(private_registry_dir)
  mkdir -p "$dir/data"
  if [[ ! -s "$dir/password" ]]; then
    (umask 077 && head -c 15 /dev/urandom | base64 | tr -d '/+=' | sed 's/^/labpw-/' >"$dir/password")
  fi
  pid_alive "$dir/registry.pid" && return 0
  htpasswd -Bbn "$PRIVATE_REG_USER" "$(private_password)" >"$dir/htpasswd"
  cat >"$dir/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: $PRIVATE_REG_ADDR
auth:
  htpasswd:
    realm: jlrec-lab
    path: $dir/htpasswd
EOF
  # /v2/ answers 401 without a login: any HTTP answer means it serves.
  serve_registry "$dir" "registry on $PRIVATE_REG_ADDR" \
    curl -s -o /dev/null "http://$PRIVATE_REG_ADDR/v2/"
}

private_registry_has_image() {
  curl -sf -u "$PRIVATE_REG_USER:$(private_password)" \
    "http://$PRIVATE_REG_ADDR/v2/jlrec-lab/private/tags/list" | grep -q '"1"'
}

# A rootfs from busybox-static plus a fixture workspace mimicking the real one: each module
# install.sh leaves a marker; deploy/run.sh stays in the foreground like celery would.
build_rootfs() {
  local root=$1 version=$2 applet
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,etc,tmp,proc,sys,dev,root,var/log,run}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  printf 'jlrec-lab base image version %s\n' "$version" >"$root/etc/jlrec-lab-release"
  local ws="$root/workspace"
  local module
  for module in jiliang_system/deploy jiliang_monitor_pr/src/jiliang_process/deploy \
    jiliang_system/deploy/automapbuilding_z jiliang_system/deploy/distributed_semantics; do
    mkdir -p "$ws/$module"
    cat >"$ws/$module/install.sh" <<EOF
#!/bin/sh
# lab fixture for $module/install.sh: leaves a marker with the settings it saw
mkdir -p /tmp/jlrec-markers
echo "installed \$(date +%s) RUNTIME_MODE=\${RUNTIME_MODE:-} MONITOR_ENABLED=\${MONITOR_ENABLED:-}" \\
  > "/tmp/jlrec-markers/$(echo "$module" | tr / _).installed"
EOF
  done
  cat >"$ws/jiliang_system/deploy/run.sh" <<EOF
#!/bin/sh
# lab fixture for jiliang_system/deploy/run.sh: the real one starts celery and logstash.
echo "celery+logstash (lab fixture, image $version) role=\${JL_ROLE:-?} mode=\${RUNTIME_MODE:-?}"
touch /tmp/ready
trap 'exit 0' TERM INT
# One fork an hour, not a second: a benchmark lab runs a thousand of these on two cores.
while :; do sleep 3600 & wait \$!; done
EOF
  chmod -R 0755 "$ws"
}

build_images() {
  if registry_has_tag 1 && registry_has_tag 2; then return 0; fi
  log "building lab images $IMAGE_REPO:1 and :2 (busybox-static, no registry download)"
  start_dockerd builder
  wait_dockerd builder
  local v root="$LAB/builder/rootfs"
  for v in 1 2; do
    build_rootfs "$root" "$v"
    tar -C "$root" -cf - . | docker -H "unix://$LAB/builder/docker.sock" import \
      -c 'CMD ["/bin/sh"]' - "$IMAGE_REPO:$v" >/dev/null
    docker -H "unix://$LAB/builder/docker.sock" push "$IMAGE_REPO:$v" >/dev/null
  done
  rm -rf "$root"
  stop_dockerd builder
  rm -rf "$LAB/builder" "$RUN/builder"
}

# The private image has content of its own ("private" in /etc/jlrec-lab-release), so that
# a pull of it downloads a layer no other lab image shares.
build_private_image() {
  private_registry_has_image && return 0
  log "building lab image $PRIVATE_IMAGE (pushed with a login)"
  start_dockerd builder
  wait_dockerd builder
  local root="$LAB/builder/rootfs" config="$LAB/builder/docker-config"
  build_rootfs "$root" private
  tar -C "$root" -cf - . | docker -H "unix://$LAB/builder/docker.sock" import \
    -c 'CMD ["/bin/sh"]' - "$PRIVATE_IMAGE" >/dev/null
  mkdir -p "$config"
  (umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$PRIVATE_REG_ADDR" \
    "$(printf '%s:%s' "$PRIVATE_REG_USER" "$(private_password)" | base64 -w0)" >"$config/config.json")
  docker --config "$config" -H "unix://$LAB/builder/docker.sock" push "$PRIVATE_IMAGE" >/dev/null
  rm -rf "$root" "$config"
  stop_dockerd builder
  rm -rf "$LAB/builder" "$RUN/builder"
}

# ---- PostgreSQL -----------------------------------------------------------------------------
# The server refuses to run as root: every server-side command runs as the postgres OS user,
# from / (root's working directory may be closed to it), with nothing taken from the
# caller's PG* environment.
pg_as() { (cd / && env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSFILE -u PGPASSWORD \
  runuser -u postgres -- "$@"); }

pg_running() { [[ -f "$PG_DATA/PG_VERSION" ]] && pg_as "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

pg_ready() { "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres; }

# psql as the superuser over the lab's socket; SQL on stdin, stops at the first error.
pg_admin_psql() {
  pg_as "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres \
    -d postgres
}

port_taken() { (exec 3<>"/dev/tcp/$PG_ADDR/$PG_PORT") 2>/dev/null; }

pg_log_tail() { tail -n 20 "$PG_LOG" 2>/dev/null | sed 's/^/  postgres: /' >&2 || true; }

# The settings the lab owns, rewritten at every `up` (postgresql.conf includes this file).
write_pg_config() {
  cat >"$PG_DATA/jlrec-lab.conf" <<EOC
# jlrec lab settings (written by tests/lab/lab.sh up; edits are lost at the next up)
listen_addresses = '$PG_ADDR'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
# Tests open many sessions (a lock session per jlrec process, serve, the contract suite).
max_connections = 200
# A 2-core shared box: small memory, no parallel workers, no JIT for tiny queries.
shared_buffers = 32MB
work_mem = 4MB
maintenance_work_mem = 16MB
max_worker_processes = 4
max_parallel_workers_per_gather = 0
max_parallel_maintenance_workers = 0
jit = off
# Durability stays as in production (the tests restart the server mid-refresh); less WAL
# only because no replica ever reads it.
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = minimal
max_wal_senders = 0
password_encryption = 'scram-sha-256'
lc_messages = 'C'
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
EOC
  cat >"$PG_DATA/pg_hba.conf" <<EOC
# jlrec lab (written by tests/lab/lab.sh up): the superuser over the lab's own socket only,
# role $PG_ROLE over loopback TCP with its password; nothing else.
local all postgres trust
host all $PG_ROLE $PG_ADDR/32 scram-sha-256
EOC
  chown postgres: "$PG_DATA/jlrec-lab.conf" "$PG_DATA/pg_hba.conf"
  chmod 0600 "$PG_DATA/jlrec-lab.conf" "$PG_DATA/pg_hba.conf"
}

init_pg() {
  mkdir -p "$PG_DIR"
  chmod 0755 "$PG_DIR"  # the postgres user passes through it to its data and log
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rm -rf "$PG_DATA"
    install -d -o postgres -g postgres -m 0700 "$PG_DATA"
    pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C --auth-local=trust \
      --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
      die "initdb of $PG_DATA failed (see $PG_DIR/initdb.log)"
    echo "include = 'jlrec-lab.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  chown postgres: "$PG_DATA"
  chmod 0700 "$PG_DATA"
  write_pg_config
  # The socket dir admits only postgres (and root): `local all postgres trust` must not make
  # every local user a superuser.
  install -d -o postgres -g postgres -m 0700 "$PG_SOCKET_DIR"
  [[ -f "$PG_LOG" ]] || install -o postgres -g postgres -m 0600 /dev/null "$PG_LOG"
}

start_pg() {  # the server only; `up` also sets up its role
  [[ $EUID -eq 0 ]] || die "run as root (it runs PostgreSQL as the postgres user)"
  [[ -f "$PG_DATA/PG_VERSION" ]] || die "the lab's PostgreSQL is not set up: run lab.sh up"
  pg_running && { wait_for 60 "PostgreSQL on $PG_ADDR:$PG_PORT" pg_ready; return 0; }
  port_taken && die "$PG_ADDR:$PG_PORT is taken by a process that is not the lab's PostgreSQL" \
    "(see: ss -ltnp 'sport = :$PG_PORT'); stop it, or the lab cannot start its server"
  install -d -o postgres -g postgres -m 0700 "$PG_SOCKET_DIR"
  pg_as "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s >/dev/null 2>&1 ||
    { pg_log_tail; die "PostgreSQL did not start on $PG_ADDR:$PG_PORT (see $PG_LOG)"; }
  wait_for 60 "PostgreSQL on $PG_ADDR:$PG_PORT (see $PG_LOG)" pg_ready
}

stop_pg() {
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 0
  pg_running || return 0
  if ! pg_as "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 -s >/dev/null 2>&1; then
    local pid
    pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    log "PostgreSQL did not stop within 60s (see $PG_LOG); killing postmaster ${pid:-?}"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
}

restart_pg() {
  [[ $EUID -eq 0 ]] || die "run as root (it runs PostgreSQL as the postgres user)"
  pg_running || { start_pg; return 0; }
  pg_as "$PG_BIN/pg_ctl" restart -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 60 -s >/dev/null 2>&1 ||
    { pg_log_tail; die "PostgreSQL did not restart (see $PG_LOG)"; }
  wait_for 60 "PostgreSQL on $PG_ADDR:$PG_PORT (see $PG_LOG)" pg_ready
}

# Role jlrec and its database. The password is made at the first `up` (hex: nothing to quote
# in SQL or in .pgpass), kept in the .pgpass file only, and set through psql's stdin: never
# in a command line, and never in the server's log (an error would log the statement).
setup_pg_role() {
  if [[ ! -s "$PG_PASSFILE" ]] || ! grep -q "^$PG_ADDR:$PG_PORT:\*:$PG_ROLE:[0-9a-f]\{48\}\$" "$PG_PASSFILE"; then
    (umask 077 && printf '%s:%s:*:%s:%s\n' "$PG_ADDR" "$PG_PORT" "$PG_ROLE" "$(openssl rand -hex 24)" \
      >"$PG_PASSFILE.tmp") && mv "$PG_PASSFILE.tmp" "$PG_PASSFILE"
  fi
  chmod 0600 "$PG_PASSFILE"  # libpq ignores a .pgpass that others can read
  local password
  password=$(cut -d: -f5 "$PG_PASSFILE")
  pg_admin_psql >/dev/null <<EOS
SET log_min_error_statement = panic;
SET log_statement = 'none';
SELECT format('CREATE ROLE %I LOGIN', '$PG_ROLE')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') \gexec
ALTER ROLE $PG_ROLE WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DATABASE', '$PG_ROLE')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
EOS
}

up_pg() {
  init_pg
  start_pg
  # A server already up reads the pg_hba.conf and settings just rewritten.
  pg_as "$PG_BIN/pg_ctl" reload -D "$PG_DATA" -s >/dev/null
  setup_pg_role
}

pg_status() {
  if pg_running && pg_ready; then
    echo "postgres $PG_ADDR:$PG_PORT up (data $PG_DATA, log $PG_LOG)"
  elif pg_running; then
    echo "postgres $PG_ADDR:$PG_PORT starting or not accepting connections (see $PG_LOG)"
  else
    echo "postgres down"
  fi
}

cmd_up() {
  [[ $EUID -eq 0 ]] || die "run as root (it starts sshd and dockerd)"
  local count=${1:-}
  if [[ -z "$count" ]]; then
    count=$(cat "$LAB/hosts.count" 2>/dev/null || echo 3)
  fi
  [[ "$count" =~ ^[0-9]+$ ]] && ((count >= 1 && count <= MAX_HOSTS)) ||
    die "host count must be 1..$MAX_HOSTS, got '$count'"
  local t0=$SECONDS
  ensure_packages
  mkdir -p "$LAB" "$RUN"
  chmod 0755 "$LAB"
  setup_client
  setup_unprivileged_user
  start_registry
  start_private_registry
  build_images
  build_private_image
  up_pg
  local n names=()
  if [[ "$SHARED_DOCKERDS" -gt 0 ]]; then
    for ((n = 1; n <= SHARED_DOCKERDS && n <= count; n++)); do names+=("d$n"); done
  else
    for ((n = 1; n <= count; n++)); do names+=("h$n"); done
  fi
  local name started=0
  for name in "${names[@]}"; do
    pid_alive "$LAB/$name/dockerd.pid" || { start_dockerd "$name"; started=$((started + 1)); }
  done
  local sshd_started=0
  for ((n = 1; n <= count; n++)); do
    pid_alive "$(host_dir "$n")/sshd.pid" || sshd_started=$((sshd_started + 1))
    start_sshd "$n"
  done
  for name in "${names[@]}"; do wait_dockerd "$name"; done
  for ((n = 1; n <= count; n++)); do
    wait_for 30 "sshd of host $n on $(host_addr "$n"):$SSH_PORT" sshd_listening "$n"
  done
  write_known_hosts_and_env "$count"
  log "up: $count hosts ($((count - sshd_started)) already running, $sshd_started sshd started," \
    "$started dockerd started), registries $REG_ADDR and $PRIVATE_REG_ADDR (login)," \
    "PostgreSQL $PG_ADDR:$PG_PORT, in $((SECONDS - t0))s"
  log "settings: $LAB/lab.env, hosts: $LAB/hosts.yaml, key: $LAB/client/id_ed25519"
}

cmd_down() {
  [[ -d "$LAB" ]] || { log "down: nothing to stop"; return 0; }
  local dir name
  # Every host at once: each dockerd removes its own containers (sequentially this took
  # longer than ten minutes with 1,000 benchmark containers).
  for dir in "$LAB"/h* "$LAB"/d* "$LAB/builder"; do
    [[ -d "$dir" ]] || continue
    name=$(basename "$dir")
    (
      [[ -f "$dir/sshd.pid" ]] && stop_pidfile "$dir/sshd.pid" "sshd $name"
      stop_dockerd "$name"
    ) &
  done
  wait
  stop_pidfile "$LAB/registry/registry.pid" "registry"
  stop_pidfile "$(private_registry_dir)/registry.pid" "registry (login)"
  stop_pg
  remove_unprivileged_user
  # dockerd unmounts its layers on exit, but not the netns it bind-mounts under the
  # exec-root; nothing may be rm'd through a mount.
  awk -v a="$LAB/" -v b="$RUN/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts |
    sort -r | xargs -r umount -l || true
  rm -rf "$LAB" "$RUN"
  log "down: lab stopped and removed"
}

cmd_status() {
  [[ -f "$LAB/hosts.count" ]] || { echo "lab: not up"; return 0; }
  local count n dir sshd dockerd containers
  count=$(cat "$LAB/hosts.count")
  printf '%-5s %-16s %-8s %-8s %s\n' host address sshd dockerd containers
  for ((n = 1; n <= count; n++)); do
    dir=$(host_dir "$n")
    sshd=down dockerd=down containers=-
    if pid_alive "$dir/sshd.pid"; then
      sshd=up
      [[ "$(ps -o stat= -p "$(cat "$dir/sshd.pid")")" == T* ]] && sshd=paused
    fi
    if pid_alive "$LAB/$(docker_index "$n")/dockerd.pid"; then
      dockerd=up
      containers=$(docker -H "unix://$(docker_sock "$n")" ps -aq 2>/dev/null | wc -l)
    fi
    printf 'h%-4s %-16s %-8s %-8s %s\n' "$n" "$(host_addr "$n"):$SSH_PORT" "$sshd" "$dockerd" "$containers"
  done
  if pid_alive "$LAB/registry/registry.pid"; then echo "registry $REG_ADDR up"; else echo "registry down"; fi
  if pid_alive "$(private_registry_dir)/registry.pid"; then
    echo "registry $PRIVATE_REG_ADDR (login) up"
  else
    echo "registry (login) down"
  fi
  pg_status
}

# lab.env as shell assignments: its values are literal (one KEY=VALUE a line, as the tests
# read them); a value with spaces (the PostgreSQL admin conninfo) is quoted here.
print_env() {
  [[ -f "$LAB/lab.env" ]] || die "the lab is not up (no $LAB/lab.env)"
  local line
  while IFS= read -r line; do
    if [[ "$line" == \#* || "$line" != *=* ]]; then
      printf '%s\n' "$line"
    else
      printf '%s=%q\n' "${line%%=*}" "${line#*=}"
    fi
  done <"$LAB/lab.env"
}

need_host() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] || die "usage: lab.sh $2 N"
  [[ -d "$(host_dir "$1")" ]] || die "host $1 is not part of the lab"
}

cmd_preload() {
  local count n images=("$@")
  ((${#images[@]})) || images=("$IMAGE_REPO:1" "$IMAGE_REPO:2")
  count=$(cat "$LAB/hosts.count")
  local -A seen=()
  for ((n = 1; n <= count; n++)); do
    local sock
    sock=$(docker_sock "$n")
    [[ -n "${seen[$sock]:-}" ]] && continue
    seen[$sock]=1
    for img in "${images[@]}"; do docker -H "unix://$sock" pull -q "$img" >/dev/null; done
  done
}

main() {
  local cmd=${1:-}
  shift || true
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) print_env ;;
    stop-host) need_host "${1:-}" stop-host && stop_pidfile "$(host_dir "$1")/sshd.pid" "sshd h$1" ;;
    start-host) need_host "${1:-}" start-host && start_sshd "$1" &&
      wait_for 30 "sshd of host $1" sshd_listening "$1" ;;
    pause-host) need_host "${1:-}" pause-host && kill -STOP "$(cat "$(host_dir "$1")/sshd.pid")" ;;
    resume-host) need_host "${1:-}" resume-host && kill -CONT "$(cat "$(host_dir "$1")/sshd.pid")" ;;
    pause-docker) need_host "${1:-}" pause-docker && kill -STOP "$(cat "$LAB/$(docker_index "$1")/dockerd.pid")" ;;
    resume-docker) need_host "${1:-}" resume-docker && kill -CONT "$(cat "$LAB/$(docker_index "$1")/dockerd.pid")" ;;
    stop-docker) need_host "${1:-}" stop-docker && stop_pidfile "$LAB/$(docker_index "$1")/dockerd.pid" "dockerd h$1" ;;
    start-docker) need_host "${1:-}" start-docker && start_dockerd "$(docker_index "$1")" &&
      wait_dockerd "$(docker_index "$1")" ;;
    preload) cmd_preload "$@" ;;
    postgres-stop) [[ $EUID -eq 0 ]] || die "run as root"; stop_pg ;;
    postgres-start) start_pg ;;
    postgres-restart) restart_pg ;;
    *) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
