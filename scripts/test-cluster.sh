#!/usr/bin/env bash
# The tests' own single-node Kubernetes, run as host processes (root only):
#   up    installs its Debian packages, builds Kubernetes once (cached outside the clone, keyed by
#         version: test/cluster/fixture/common.sh), makes the images, then starts etcd,
#         kube-apiserver, kube-controller-manager, kube-scheduler, containerd and the kubelet and
#         returns once the node is Ready and the default ServiceAccount exists. A healthy cluster is
#         left as is; the leftovers of a failed or interrupted run are removed first, and a run that
#         fails removes what it made before it exits.
#   down  stops what up started and removes everything it made: processes (by their pid files),
#         mounts, the bridge, the node address and route, the kubelet's iptables chains (and the
#         tables they made), the pod cgroups, files and folders; it puts back the sysctls the kubelet
#         and the bridge changed.
#   env   prints KUBECONFIG=, KUBECACHEDIR= and KUBECTL= lines for the tests and for a shell.
#   import ARCHIVE  loads an OCI image archive (scripts/build-agent-image.sh) into the node's
#         containerd, as an operator without a registry would (`ctr -n k8s.io images import`).
# Network (addresses in common.sh, all in the test range): pods on a bridge without a default
# route, a service range (no kube-proxy: ClusterIPs do not answer), the node's address on lo; an
# unreachable route for the whole test range keeps the rest of it on this host. Pod Security
# admission is on (as by default): namespaces are privileged unless labelled
# pod-security.kubernetes.io/enforce=….
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
fixture=$repo/test/cluster/fixture
# shellcheck source=../test/cluster/fixture/common.sh
. "$fixture/common.sh"

# What the cluster needs from Debian; installed when the cluster is brought up, not by setup.sh,
# so only the cluster tests pay for it.
APT_PACKAGES=(etcd-server containerd runc containernetworking-plugins busybox-static iptables
  nftables openssl curl jq gcc libc6-dev iproute2)
# Started in this order, stopped in the reverse one.
DAEMONS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet)
# Host-wide iptables chains the kubelet adds (KUBE-FIREWALL is jumped to from INPUT and OUTPUT).
KUBELET_CHAINS=(KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT)
# Registry names whose hosts.toml points at a closed local port (_default: any other name).
REGISTRY_NAMES=(_default pcap-test.local docker.io registry.k8s.io)

run=$CLUSTER_RUN
started=$SECONDS

log() { printf '[%5ds] %s\n' "$((SECONDS - started))" "$*" >&2; }
die() {
  echo "test-cluster: $*" >&2
  exit 1
}

kubectl_admin() {
  KUBECACHEDIR=$run/kubectl-cache "$CLUSTER_BIN/kubectl" --kubeconfig="$ADMIN_KUBECONFIG" --request-timeout=10s "$@"
}
ctr_k8s() { ctr --address "$run/containerd/containerd.sock" --namespace k8s.io "$@"; }

# --- processes -------------------------------------------------------------------------------------

# A process's start time (clock ticks since boot): with its pid, it names the process for good, so a
# pid file left by an earlier boot never gets another process killed.
start_time() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }

# Alive and not a zombie: PID 1 here reaps orphans only every few seconds, and kill -0 succeeds on
# a zombie.
is_running() { # pid
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ "$state" != Z ]
}

# The pid of a daemon this script started and that still runs; fails otherwise.
pid_of() { # name
  local pid started_at
  [ -f "$run/pid/$1.pid" ] || return 1
  read -r pid started_at <"$run/pid/$1.pid"
  [ "$(start_time "$pid")" = "$started_at" ] && is_running "$pid" && echo "$pid"
}
daemon_running() { pid_of "$1" >/dev/null; }

# In a session of its own (so $! is the daemon itself and a terminal's signals do not reach it),
# output to its log, without the lock's descriptor (a daemon holding it would block the next up).
start_daemon() { # name command...
  local name=$1
  shift
  (
    # Nothing of the caller's but the three standard streams: a lock it holds (flock's, this
    # script's own) or a pipe it reads must not live on in a daemon.
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-"; fi
    done
    exec setsid "$@" >"$run/log/$name.log" 2>&1 </dev/null
  ) &
  echo "$! $(start_time $!)" >"$run/pid/$name.pid"
}

# SIGTERM, up to 15 s to exit, then SIGKILL; only the pid recorded when it was started.
stop_daemon() { # name
  local name=$1 pid i
  if pid=$(pid_of "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do is_running "$pid" || break; sleep 0.1; done
    if is_running "$pid"; then
      log "$name ($pid) ignored SIGTERM for 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$run/pid/$name.pid"
}

# Polls a command (a function, so that what it checks is evaluated on every try) every 0.2 s; gives
# up at once when the daemon it waits for has exited.
wait_until() { # description seconds daemon command...
  local description=$1 deadline=$((SECONDS + $2)) daemon=$3
  shift 3
  until "$@" >/dev/null 2>&1; do
    daemon_running "$daemon" || die "$daemon exited while waiting for $description (log: $run/log/$daemon.log)"
    [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $description (logs: $run/log)"
    sleep 0.2
  done
  log "$description"
}

# --- up --------------------------------------------------------------------------------------------

require_root() { [ "$(id -u)" -eq 0 ] || die "needs root (network, mounts, cgroups): run it with sudo"; }

# What the images are made from (names: common.sh), as one digest: the cache is shared by every
# clone on the machine, so a file's age says nothing about which clone made the archives.
images_inputs() {
  cat "$fixture/images.sh" "$fixture/udp.c" "$fixture/common.sh" "$repo/scripts/oci-image.sh" | sha256sum | cut -d' ' -f1
}

prepare() {
  bash "$repo/scripts/apt-install.sh" "${APT_PACKAGES[@]}"
  nice -n 10 bash "$fixture/build-kubernetes.sh"
  local images=$CLUSTER_CACHE/images inputs
  inputs=$(images_inputs)
  if [ "$(cat "$images/inputs.sha256" 2>/dev/null)" != "$inputs" ] || [ ! -f "$images/busybox.tar" ] ||
    [ ! -f "$images/pause.tar" ]; then
    bash "$fixture/images.sh" "$images"
    echo "$inputs" >"$images/inputs.sha256"
  fi
}

# Fills @NAME@ in a template with the variable NAME of common.sh.
render() { # template output
  local name expressions=()
  for name in CLUSTER_RUN NODE_IP PAUSE_IMAGE BRIDGE POD_CIDR POD_GATEWAY SERVICE_ROUTE; do
    expressions+=(-e "s|@$name@|${!name}|g")
  done
  sed "${expressions[@]}" "$1" >"$2"
  if grep -v '^ *#' "$2" | grep '@[A-Z_]*@' >/dev/null; then die "unfilled placeholder in $2"; fi
}

make_run_folder() {
  mkdir -p -m 700 "$run"
  mkdir -p "$run"/{log,pid,cni/net.d,containerd,controller-manager,kubelet}
}

# What the host had before the cluster, for down to put back. Recorded once: should a run folder
# survive a broken down, the cluster's own changes are never taken for the host's.
record_host_state() {
  local path name
  [ -f "$run/created-paths" ] || for path in "${HOST_PATHS[@]}"; do
    if [ ! -e "$path" ]; then echo "$path"; fi
  done >"$run/created-paths"
  [ -f "$run/sysctls" ] || for name in "${SYSCTLS[@]}"; do
    echo "$name=$(sysctl -n "$name")"
  done >"$run/sysctls"
  [ -f "$run/iptables-tables" ] || iptables_tables >"$run/iptables-tables"
}

add_node_address() {
  ip address add "$NODE_IP/32" dev lo
  ip route add unreachable "$TEST_RANGE"
}

node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
etcd_healthy() { curl -sf --max-time 2 "$ETCD_CLIENT_URL/health"; }
apiserver_ready() { kubectl_admin get --raw /readyz; }
containerd_up() { ctr_k8s version; }
default_service_account() { kubectl_admin -n default get serviceaccount default && kubectl_admin -n default get configmap kube-root-ca.crt; }
kubelet_set_tunables() { [ "$(sysctl -n kernel.panic_on_oops)" = 1 ]; }

start_etcd() {
  mkdir -p -m 700 "$CLUSTER_ETCD_DATA"
  start_daemon etcd etcd --name pcap-test --data-dir "$CLUSTER_ETCD_DATA" \
    --listen-client-urls "$ETCD_CLIENT_URL" --advertise-client-urls "$ETCD_CLIENT_URL" \
    --listen-peer-urls "$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" \
    --initial-cluster "pcap-test=$ETCD_PEER_URL" --logger=zap
  wait_until "etcd healthy" 30 etcd etcd_healthy
}

# Admission: the default plugins (PodSecurity among them) plus NodeRestriction.
start_apiserver() {
  local pki=$run/pki
  start_daemon kube-apiserver "$CLUSTER_BIN/kube-apiserver" --etcd-servers="$ETCD_CLIENT_URL" \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
    --service-cluster-ip-range="$SERVICE_CIDR" --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" --kubelet-preferred-address-types=InternalIP \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true
  wait_until "kube-apiserver ready" 90 kube-apiserver apiserver_ready
}

start_controllers() {
  local pki=$run/pki kubeconfig
  kubeconfig=$pki/controller-manager.kubeconfig
  start_daemon kube-controller-manager "$CLUSTER_BIN/kube-controller-manager" --kubeconfig="$kubeconfig" \
    --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --flex-volume-plugin-dir="$run/controller-manager/volume-plugins"
  kubeconfig=$pki/scheduler.kubeconfig
  start_daemon kube-scheduler "$CLUSTER_BIN/kube-scheduler" --kubeconfig="$kubeconfig" \
    --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false
  log "kube-controller-manager, kube-scheduler started"
}

start_containerd() {
  local name
  render "$fixture/containerd.toml" "$run/containerd/config.toml"
  for name in "${REGISTRY_NAMES[@]}"; do
    mkdir -p "$run/containerd/certs.d/$name"
    echo 'server = "http://127.0.0.1:1"' >"$run/containerd/certs.d/$name/hosts.toml"
  done
  start_daemon containerd containerd --config "$run/containerd/config.toml"
  wait_until "containerd up" 30 containerd containerd_up
}

# The pause image first: containerd would try to pull a missing sandbox image.
import_images() {
  local image listed
  for image in pause busybox; do
    ctr_k8s images import --platform linux/amd64 "$CLUSTER_CACHE/images/$image.tar" >/dev/null
  done
  listed=$(ctr_k8s images list --quiet) # not piped into grep -q: ctr may die of SIGPIPE
  for image in "$PAUSE_IMAGE" "$BUSYBOX_IMAGE"; do
    grep -qx "$image" <<<"$listed" || die "image $image missing after import"
  done
  log "images imported"
}

start_kubelet() {
  render "$fixture/cni.conflist" "$run/cni/net.d/10-pcap-test.conflist"
  render "$fixture/kubelet.yaml" "$run/kubelet/config.yaml"
  start_daemon kubelet "$CLUSTER_BIN/kubelet" --config="$run/kubelet/config.yaml" \
    --kubeconfig="$run/pki/kubelet.kubeconfig" --root-dir="$run/kubelet/root" --cert-dir="$run/kubelet/pki" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
  # The kubelet sets kernel.panic_on_oops=1 within a second of starting: put it back at once.
  wait_until "kubelet set its kernel tunables" 60 kubelet kubelet_set_tunables
  sysctl -qw "$(grep '^kernel.panic_on_oops=' "$run/sysctls")"
}

show_logs() {
  local name
  for name in "${DAEMONS[@]}"; do
    [ -f "$run/log/$name.log" ] || continue
    echo "--- last lines of $name.log" >&2
    tail -n 15 "$run/log/$name.log" >&2
  done
}

# Made by an up that ran to its end (one killed half-way may have all daemons running, the node
# Ready, and still no default ServiceAccount), with the images as they are made now, and still
# running.
healthy() {
  local name
  [ "$(cat "$run/complete" 2>/dev/null)" = "$(images_inputs)" ] || return 1
  for name in "${DAEMONS[@]}"; do daemon_running "$name" || return 1; done
  apiserver_ready >/dev/null 2>&1 && node_ready 2>/dev/null
}

up() {
  require_root
  prepare
  if healthy; then
    log "the test cluster is up already"
    return
  fi
  if [ -d "$run" ] || ip address show dev lo | grep " $NODE_IP/" >/dev/null; then
    log "removing what an earlier run left"
    down
  fi
  started=$SECONDS
  trap 'status=$?; if [ $status -ne 0 ]; then show_logs; log "up failed: removing what it made"; down; fi' EXIT
  trap 'exit 130' INT TERM
  make_run_folder
  record_host_state
  add_node_address
  export NO_PROXY="$NODE_IP,127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
  unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy # the apiserver's client to the kubelet honours them
  bash "$fixture/pki.sh" "$run/pki"
  log "pki"
  start_etcd
  start_apiserver
  start_controllers
  start_containerd
  import_images
  start_kubelet
  wait_until "node $NODE_NAME Ready" 120 kubelet node_ready
  wait_until "default ServiceAccount" 60 kube-controller-manager default_service_account
  trap - EXIT INT TERM
  images_inputs >"$run/complete" # the images it runs
  log "the test cluster is up; $(env_lines | sed -n 1p)"
}

# --- down ------------------------------------------------------------------------------------------

# While the kubelet and containerd still run: delete every pod, then wait for their tasks to end
# (the shims outlive containerd, but exit with their tasks).
delete_pods() {
  daemon_running kube-apiserver && daemon_running kubelet || return 0
  kubectl_admin delete pods --all-namespaces --all --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 150; i++)); do [ -z "$(ctr_k8s tasks list --quiet 2>/dev/null)" ] && break; sleep 0.2; done
}

kill_tasks() {
  daemon_running containerd || return 0
  local task
  for task in $(ctr_k8s tasks list --quiet 2>/dev/null); do
    ctr_k8s tasks kill --signal SIGKILL "$task" >/dev/null 2>&1 || true
    ctr_k8s tasks delete --force "$task" >/dev/null 2>&1 || true
  done
}

# A last resort for pod processes whose shim is gone: whatever is left in the pods' cgroups.
kill_pod_processes() {
  local pid
  for pid in $(cat /sys/fs/cgroup/*/kubepods/{,*/,*/*/,*/*/*/}cgroup.procs 2>/dev/null | sort -un); do
    log "killing leftover pod process $pid"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# Everything mounted under the run folder (container root filesystems, shm, netns files, volumes),
# deepest first.
unmount_all() {
  local i mounts mount
  for ((i = 0; i < 3; i++)); do
    mounts=$(awk -v run="$run/" 'index($5, run) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    [ -n "$mounts" ] || return 0
    for mount in $mounts; do umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true; done
  done
}

remove_network() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link delete "$BRIDGE"; fi
  ip address delete "$NODE_IP/32" dev lo 2>/dev/null || true
  ip route delete unreachable "$TEST_RANGE" 2>/dev/null || true
}

# The iptables tables that exist, as "FAMILY TABLE" lines (ip filter, ip6 nat, ...).
iptables_tables() {
  iptables-save | awk '/^\*/ { print "ip", substr($0, 2) }'
  ip6tables-save | awk '/^\*/ { print "ip6", substr($0, 2) }'
}

# The kubelet's chains, then the tables its iptables calls created, if nothing else uses them now
# (with nf_tables, an empty table still hooks every packet).
remove_iptables() {
  local iptables chain hook table family rules
  for iptables in iptables ip6tables; do
    for hook in INPUT OUTPUT; do
      while "$iptables" -t filter -D "$hook" -j KUBE-FIREWALL 2>/dev/null; do :; done
    done
    for table in filter nat mangle; do
      for chain in "${KUBELET_CHAINS[@]}"; do
        "$iptables" -t "$table" -F "$chain" 2>/dev/null && "$iptables" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  [ -f "$run/iptables-tables" ] && iptables -V | grep nf_tables >/dev/null || return 0
  while read -r family table; do
    grep -qx "$family $table" "$run/iptables-tables" && continue
    iptables=iptables
    [ "$family" = ip6 ] && iptables=ip6tables
    # (captured first: `iptables-save | grep -q` can fail on SIGPIPE and look like "no rules")
    rules=$("$iptables-save" -t "$table")
    grep -q '^-A' <<<"$rules" && continue
    nft delete table "$family" "$table"
  done < <(iptables_tables)
}

# The kubelet's pod cgroups, one tree per cgroup v1 hierarchy, deepest first.
remove_cgroups() {
  local tree
  for tree in /sys/fs/cgroup/*/kubepods; do
    [ -d "$tree" ] && find "$tree" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

restore_sysctls() {
  [ -f "$run/sysctls" ] || return 0
  local setting
  while read -r setting; do sysctl -qw "$setting"; done <"$run/sysctls"
}

remove_files() {
  rm -rf "$CLUSTER_ETCD_DATA"
  if [ -f "$run/created-paths" ]; then xargs -r rm -rf <"$run/created-paths"; fi
  rm -rf "$run"
}

down() {
  require_root
  # Without a run folder nothing was started: only the addresses, which are the cluster's alone,
  # could be left (an up killed before it made the folder).
  if [ ! -d "$run" ]; then
    remove_network
    log "the test cluster is not up"
    return
  fi
  local i
  delete_pods
  stop_daemon kubelet
  kill_tasks
  stop_daemon containerd
  kill_pod_processes
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do stop_daemon "${DAEMONS[i]}"; done
  unmount_all
  remove_network
  remove_iptables
  remove_cgroups
  restore_sysctls
  remove_files
  log "the test cluster is down"
}

# --- env -------------------------------------------------------------------------------------------

env_lines() {
  echo "KUBECONFIG=$ADMIN_KUBECONFIG"
  echo "KUBECACHEDIR=$run/kubectl-cache"
  echo "KUBECTL=$CLUSTER_BIN/kubectl"
}

# One up or down at a time (two test files may ask at once): a lock on this script itself, so the
# lock leaves nothing behind.
lock() {
  exec 9<"${BASH_SOURCE[0]}"
  flock -n 9 || {
    log "waiting for another scripts/test-cluster.sh up or down to finish"
    flock 9
  }
}

import_archive() { # archive
  [ -f "${1:-}" ] || die "usage: scripts/test-cluster.sh import ARCHIVE (an OCI image archive)"
  ctr_k8s images import --platform "linux/$(dpkg --print-architecture)" "$1" >/dev/null
  log "imported $1"
}

case "${1:-}" in
  up) lock && up ;;
  down) lock && down ;;
  env) env_lines ;;
  import) import_archive "${2:-}" ;;
  *) die "usage: scripts/test-cluster.sh up|down|env|import ARCHIVE" ;;
esac
