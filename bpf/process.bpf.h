/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Process attribution for capture.bpf.c (--processes, --pid, --cgroup, --container): which process
 * a packet of a local socket belongs to, without kprobes or fentry (this project's kernels may
 * lack both).
 *
 * Writers, on the cgroup v2 root so that they see every process: cgroup/sock_create records the
 * creating process in the socket's own storage; connect, sendmsg, recvmsg and post_bind fill it
 * when the socket predates the capture; post_bind also remembers who bound a TCP port (per network
 * namespace), and sock_ops gives an accepted connection, which no hook of its own announces, the
 * process of its listener. The storage lives and dies with the socket: packets a socket sends after
 * close() (FIN, the last ACKs) keep their process, and nothing has to be deleted or evicted.
 *
 * Reader, at TC: egress asks the sending socket (skb->sk); ingress, and egress from a socket that
 * is not a full one (a SYN-ACK's request socket), looks the socket up by the packet's addresses and
 * ports in its own network namespace (bpf_sk_lookup_tcp/udp), as the stack will. Packets no socket
 * owns (ARP, ICMP errors, RSTs for closed ports, forwarded traffic) have no process.
 *
 * Everything here is compiled in, and off unless user space sets cap_with_processes before load:
 * the verifier then removes the TC side, and user space does not load or attach the hooks. */
#ifndef PCAP_PROCESS_BPF_H
#define PCAP_PROCESS_BPF_H

#include <bpf/bpf_core_read.h>

/* Set by user space before load (rodata): attribution on; only processes chosen by --pid,
 * --container or --cgroup are captured; --cgroup's id and its depth below the cgroup v2 root. */
const volatile __u8 cap_with_processes = 0;
const volatile __u8 cap_only_selected = 0;
const volatile __u64 cap_cgroup_id = 0;
const volatile __u32 cap_cgroup_level = 0;

/* key: a socket; value: the process behind it. Freed with the socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cap_process);
} cap_sockets SEC(".maps");

/* key: network namespace and TCP port; value: the process that bound it, for its accepted
 * connections. LRU: ports of processes long gone age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CAP_MAX_LISTENERS);
	__type(key, struct cap_listener_key);
	__type(value, struct cap_process);
} cap_listeners SEC(".maps");

/* key: tgid; value: the process as a hook last saw it. User space reads its name here when the
 * process is gone before /proc could say more. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CAP_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct cap_process);
} cap_tasks SEC(".maps");

/* key: tgid; value: 1. The processes --pid and --container chose, and their children (forks
 * followed by cap_process_fork). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAP_MAX_SELECTED_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} cap_pids SEC(".maps");

/* The two task_struct fields the fork hook reads, relocated by libbpf against the kernel's BTF. */
struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

static __always_inline __u8 current_selected(__u32 tgid)
{
	if (!cap_only_selected)
		return 1;
	if (bpf_map_lookup_elem(&cap_pids, &tgid))
		return 1;
	return cap_cgroup_id && bpf_get_current_ancestor_cgroup_id(cap_cgroup_level) == cap_cgroup_id;
}

static __always_inline void current_process(struct cap_process *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	p->tgid = id >> 32;
	p->pid = (__u32)id;
	p->cgroup_id = bpf_get_current_cgroup_id();
	p->selected = current_selected(p->tgid);
	bpf_get_current_comm(p->comm, sizeof(p->comm));
	bpf_map_update_elem(&cap_tasks, &p->tgid, p, BPF_ANY);
}

/* The calling process becomes the socket's: always at creation (`overwrite`), otherwise only for
 * a socket made before the capture started. `sk` is the hook's socket (its context for
 * cgroup/sock hooks, ctx->sk for the address hooks). */
static __always_inline void remember_socket(void *sk, int overwrite)
{
	struct cap_process *p = bpf_sk_storage_get(&cap_sockets, sk, 0, 0);

	if (p && !overwrite)
		return;
	if (!p)
		p = bpf_sk_storage_get(&cap_sockets, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (p)
		current_process(p);
}

SEC("cgroup/sock_create")
int cap_sock_create(struct bpf_sock *ctx)
{
	remember_socket(ctx, 1);
	return 1;
}

/* A bound TCP port: its accepted connections will be this process's (cap_sock_ops). */
static __always_inline int post_bind(struct bpf_sock *ctx)
{
	remember_socket(ctx, 0);
	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	struct cap_listener_key key = {.netns_cookie = bpf_get_netns_cookie(ctx),
				       .port = (__u16)ctx->src_port};
	struct cap_process p = {};

	current_process(&p);
	bpf_map_update_elem(&cap_listeners, &key, &p, BPF_ANY);
	return 1;
}

SEC("cgroup/post_bind4")
int cap_post_bind4(struct bpf_sock *ctx)
{
	return post_bind(ctx);
}

SEC("cgroup/post_bind6")
int cap_post_bind6(struct bpf_sock *ctx)
{
	return post_bind(ctx);
}

#define SOCKET_USED_BY_CALLER(name, section)                                                                 \
	SEC(section)                                                                                         \
	int name(struct bpf_sock_addr *ctx)                                                                  \
	{                                                                                                    \
		remember_socket(ctx->sk, 0);                                                                 \
		return 1;                                                                                    \
	}

SOCKET_USED_BY_CALLER(cap_connect4, "cgroup/connect4")
SOCKET_USED_BY_CALLER(cap_connect6, "cgroup/connect6")
SOCKET_USED_BY_CALLER(cap_sendmsg4, "cgroup/sendmsg4")
SOCKET_USED_BY_CALLER(cap_sendmsg6, "cgroup/sendmsg6")
SOCKET_USED_BY_CALLER(cap_recvmsg4, "cgroup/recvmsg4")
SOCKET_USED_BY_CALLER(cap_recvmsg6, "cgroup/recvmsg6")

/* An accepted connection gets no socket hook of its own: it is its listener's process's. */
SEC("sockops")
int cap_sock_ops(struct bpf_sock_ops *skops)
{
	if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	struct bpf_sock *sk = skops->sk;
	if (!sk)
		return 1;
	struct cap_listener_key key = {.netns_cookie = bpf_get_netns_cookie(skops),
				       .port = (__u16)skops->local_port};
	const struct cap_process *owner = bpf_map_lookup_elem(&cap_listeners, &key);
	if (!owner)
		return 1;
	struct cap_process *p = bpf_sk_storage_get(&cap_sockets, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (p)
		__builtin_memcpy(p, owner, sizeof(*p));
	return 1;
}

/* --pid and --container follow forks: a new process (not a thread) of a chosen one is chosen too. */
SEC("raw_tp/sched_process_fork")
int cap_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (BPF_CORE_READ(child, pid) != (int)child_tgid || !bpf_map_lookup_elem(&cap_pids, &parent_tgid))
		return 0;
	bpf_map_update_elem(&cap_pids, &child_tgid, &one, BPF_ANY);
	return 0;
}

/* The packet's process, as the TC programs hand it on. */
struct packet_owner {
	__u32 tgid; /* 0: none */
	__u8 selected;
};

static __always_inline void owner_of_socket(struct bpf_sock *sk, struct packet_owner *o)
{
	const struct cap_process *p = bpf_sk_storage_get(&cap_sockets, sk, 0, 0);

	if (p) {
		o->tgid = p->tgid;
		o->selected = p->selected;
	}
}

/* The local socket the packet's addresses and ports lead to, found as the stack finds it: for a
 * packet going out, its source is the local end. A request socket resolves to its listener. */
static __always_inline void owner_by_lookup(struct __sk_buff *skb, __u8 dir, __u32 l2_len,
					    struct packet_owner *o)
{
	struct pkt_meta m = {};
	struct bpf_sock_tuple t = {};
	__u32 len;
	__be16 ports[2];

	parse_packet(skb, l2_len, &m);
	if (!m.family || m.frag_later || (m.l4proto != IPPROTO_TCP && m.l4proto != IPPROTO_UDP))
		return;
	if (bpf_skb_load_bytes(skb, m.l4_off, ports, sizeof(ports)) < 0)
		return;
	/* The tuple as an arriving packet has it: remote end first. */
	__u8 in = dir == CAP_DIR_IN;
	if (m.family == 4) {
		t.ipv4.saddr = in ? m.saddr[0] : m.daddr[0];
		t.ipv4.daddr = in ? m.daddr[0] : m.saddr[0];
		t.ipv4.sport = in ? ports[0] : ports[1];
		t.ipv4.dport = in ? ports[1] : ports[0];
		len = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, in ? m.saddr : m.daddr, 16);
		__builtin_memcpy(t.ipv6.daddr, in ? m.daddr : m.saddr, 16);
		t.ipv6.sport = in ? ports[0] : ports[1];
		t.ipv6.dport = in ? ports[1] : ports[0];
		len = sizeof(t.ipv6);
	}
	struct bpf_sock *sk;
	if (m.l4proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return;
	owner_of_socket(sk, o);
	bpf_sk_release(sk);
}

static __always_inline void packet_owner(struct __sk_buff *skb, __u8 dir, __u32 l2_len,
					 struct packet_owner *o)
{
	if (dir == CAP_DIR_OUT) {
		struct bpf_sock *sk = skb->sk;
		if (sk)
			sk = bpf_sk_fullsock(sk);
		/* A full socket speaks for itself, with or without a process (a kernel socket sending
		 * an RST or an ICMP error has none). */
		if (sk) {
			owner_of_socket(sk, o);
			return;
		}
	}
	owner_by_lookup(skb, dir, l2_len, o);
	/* Between two local sockets (loopback above all) the sender is local too, and the packet is as
	 * much a chosen process's when that process sent it: a debuggee's request to a server on the
	 * same machine is its traffic. Only for --pid, --container and --cgroup: naming is the
	 * receiver's. */
	if (cap_only_selected && dir == CAP_DIR_IN && !o->selected) {
		struct packet_owner sender = {};

		owner_by_lookup(skb, CAP_DIR_OUT, l2_len, &sender);
		if (sender.selected)
			*o = sender;
	}
}

#endif
