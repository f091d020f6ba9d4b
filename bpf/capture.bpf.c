// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Packet capture at TC ingress and egress (tcx links, or clsact as a fallback), for the static
 * agent (native/core/capture.c). Each packet is judged by the --exclude and the filter libpcap
 * compiled, translated to eBPF and tail-called (capture.h, CAP_PROG_*); a match is copied, up to
 * the snaplen, into an exact-size ring-buffer record. Wakeups are batched: see docs on ring-buffer
 * costs. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "capture.h"

#define ETH_HLEN_  14
#define VLAN_HLEN_ 4
#define IP_MF	   0x2000
#define IP_OFFSET  0x1fff

#define NEXTHDR_HOP	 0
#define NEXTHDR_ROUTING	 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH	 51
#define NEXTHDR_DEST	 60

/* Scratch space for assembling one record (capture.h, CAP_RECORD_*): it starts at iface_dir, two
 * bytes in, which keeps every header field naturally aligned here; then the process with
 * --processes, and room for a re-inserted VLAN tag and the snaplen. */
struct cap_scratch {
	__u16 unused;
	__u16 iface_dir;
	__u32 orig_len;
	__u64 ts_boot_ns;
	union {
		__u8 data[CAP_MAX_SNAPLEN + VLAN_HLEN_];
		struct {
			__u32 tgid;
			__u8 data[CAP_MAX_SNAPLEN + VLAN_HLEN_];
		} process;
	};
};

_Static_assert(__builtin_offsetof(struct cap_scratch, orig_len) - 2 == CAP_RECORD_ORIG_LEN, "record layout");
_Static_assert(__builtin_offsetof(struct cap_scratch, ts_boot_ns) - 2 == CAP_RECORD_TS, "record layout");
_Static_assert(__builtin_offsetof(struct cap_scratch, data) - 2 == CAP_RECORD_HEADER, "record layout");
_Static_assert(__builtin_offsetof(struct cap_scratch, process.tgid) - 2 == CAP_RECORD_TGID, "record layout");
_Static_assert(__builtin_offsetof(struct cap_scratch, process.data) - 2 == CAP_RECORD_HEADER_PROCESSES,
	       "record layout");

/* key: 0; value: the live configuration (snaplen, directions, wakeup threshold). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cap_config);
} cap_config_map SEC(".maps");

/* key: ifindex; value: the interface's id and how to find L3 on it. Written before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct cap_iface);
} cap_ifaces SEC(".maps");

/* key: interface id; value: per-CPU counters. An array, so a lookup is a few inlined instructions. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CAP_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct cap_stats);
} cap_stats_map SEC(".maps");

/* key: CPU id; value: record assembly area (too large for a per-CPU array). max_entries is
 * set to the number of possible CPUs by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cap_scratch);
} cap_scratch_map SEC(".maps");

/* key: CAP_PROG_*; value: a program (capture.h): user space puts the translated filters, the
 * exclusion's programs and the two emit programs here. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, CAP_PROG_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} cap_progs SEC(".maps");

/* Records for user space; size set by user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} cap_ring SEC(".maps");

/* key: IP fragment series; value: enum frag_verdict, the verdict on its first fragment, which
 * its later fragments (they carry no ports) follow: captured or excluded with it. LRU, so
 * abandoned series age out. */
struct cap_frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id;
	__u8 family;
	__u8 l4proto;
	__u16 pad;
};

enum frag_verdict {
	FRAG_CAPTURED = 1,
	FRAG_EXCLUDED = 2,
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct cap_frag_key);
	__type(value, __u8);
} cap_frags SEC(".maps");

/* What following an IP fragment series needs to know about a packet: the series' key, and
 * whether the packet starts a series or continues one. */
struct pkt_meta {
	__u16 ethertype;
	__u8 family; /* 0, 4 or 6 */
	__u8 l4proto;
	__u8 frag_first; /* first fragment of a series that has more */
	__u8 frag_later; /* non-first fragment: no L4 header */
	__u16 l4_off;	 /* where the L4 header starts */
	__u32 frag_id;
	__u32 saddr[4];
	__u32 daddr[4];
};

static __always_inline void parse_ipv4(struct __sk_buff *skb, __u32 off, struct pkt_meta *m)
{
	struct {
		__u8 ver_ihl, tos;
		__be16 tot_len, id, frag_off;
		__u8 ttl, protocol;
		__be16 check;
		__be32 saddr, daddr;
	} ip;

	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0 || (ip.ver_ihl >> 4) != 4)
		return;
	m->family = 4;
	m->l4proto = ip.protocol;
	m->saddr[0] = ip.saddr;
	m->daddr[0] = ip.daddr;
	m->l4_off = off + (ip.ver_ihl & 0xf) * 4;

	__u16 frag = bpf_ntohs(ip.frag_off);
	m->frag_id = bpf_ntohs(ip.id);
	if (frag & IP_OFFSET) {
		m->frag_later = 1;
		return;
	}
	m->frag_first = !!(frag & IP_MF);
}

static __always_inline void parse_ipv6(struct __sk_buff *skb, __u32 off, struct pkt_meta *m)
{
	struct {
		__be32 ver_tc_flow;
		__be16 payload_len;
		__u8 nexthdr, hop_limit;
		__u32 saddr[4], daddr[4];
	} ip6;

	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0 || (bpf_ntohl(ip6.ver_tc_flow) >> 28) != 6)
		return;
	m->family = 6;
	__builtin_memcpy(m->saddr, ip6.saddr, 16);
	__builtin_memcpy(m->daddr, ip6.daddr, 16);

	__u8 next = ip6.nexthdr;
	off += sizeof(ip6);
	for (int i = 0; i < CAP_MAX_IPV6_EXT; i++) {
		struct {
			__u8 next, len;
			__be16 frag_off;
			__be32 id;
		} ext;

		if (next != NEXTHDR_HOP && next != NEXTHDR_ROUTING && next != NEXTHDR_DEST &&
		    next != NEXTHDR_AUTH && next != NEXTHDR_FRAGMENT)
			break;
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext)) < 0)
			return;
		if (next == NEXTHDR_FRAGMENT) {
			__u16 frag = bpf_ntohs(ext.frag_off);
			m->frag_id = bpf_ntohl(ext.id);
			if (frag & 0xfff8) {
				m->l4proto = ext.next;
				m->frag_later = 1;
				return;
			}
			m->frag_first = frag & 1;
			off += 8;
		} else if (next == NEXTHDR_AUTH) {
			off += ((__u32)ext.len + 2) * 4;
		} else {
			off += ((__u32)ext.len + 1) * 8;
		}
		next = ext.next;
	}
	m->l4proto = next;
	m->l4_off = off;
}

static __always_inline void parse_packet(struct __sk_buff *skb, __u32 l2_len, struct pkt_meta *m)
{
	__u32 off = 0;
	__be16 proto = skb->protocol;

	if (l2_len == ETH_HLEN_) {
		if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) < 0)
			return;
		off = ETH_HLEN_;
		for (int i = 0; i < CAP_MAX_VLAN_DEPTH; i++) {
			if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
				break;
			if (bpf_skb_load_bytes(skb, off + 2, &proto, sizeof(proto)) < 0)
				return;
			off += VLAN_HLEN_;
		}
	}
	m->ethertype = bpf_ntohs(proto);
	if (m->ethertype == ETH_P_IP)
		parse_ipv4(skb, off, m);
	else if (m->ethertype == ETH_P_IPV6)
		parse_ipv6(skb, off, m);
}

static __always_inline void frag_key(struct cap_frag_key *k, const struct pkt_meta *m)
{
	__builtin_memcpy(k->saddr, m->saddr, 16);
	__builtin_memcpy(k->daddr, m->daddr, 16);
	k->id = m->frag_id;
	k->family = m->family;
	k->l4proto = m->l4proto;
	k->pad = 0;
}

#include "process.bpf.h"

/* When the reader last got a wakeup (boot-time ns). Shared by every CPU without a lock: a race
 * costs one extra or one missing wakeup, and the reader polls again soon after any read that
 * found records, which picks up a record whose wakeup went missing. */
__u64 cap_last_wakeup_ns = 0;

#define WAKEUP_INTERVAL_NS 1000000ULL

/* Wake the reader when the unread records reach the threshold (a flood is read in big batches),
 * or when it has not been woken for a millisecond (a trickle reaches it at once): at most about a
 * thousand timed wakeups a second, however many packets. */
static __always_inline __u64 wakeup_flag(const struct cap_config *cfg, __u64 size, __u64 now_ns)
{
	__u64 pending = bpf_ringbuf_query(&cap_ring, BPF_RB_AVAIL_DATA);
	if (pending + size < cfg->wakeup_bytes && now_ns - cap_last_wakeup_ns < WAKEUP_INTERVAL_NS)
		return BPF_RB_NO_WAKEUP;
	cap_last_wakeup_ns = now_ns;
	return BPF_RB_FORCE_WAKEUP;
}

/* Where a packet is in its way through the programs: the configuration, and its interface's id,
 * link-layer length and counters. */
struct hook_state {
	const struct cap_config *cfg;
	struct cap_stats *st;
	__u32 iface_id;
	__u32 l2_len;
};

/* Copies the packet, at most `limit` bytes (re-inserting an offloaded VLAN tag, as AF_PACKET
 * readers show it) and submits it. Returns 0 on success, -1 when the ring is full. */
static __always_inline int emit(struct __sk_buff *skb, const struct hook_state *h, __u8 dir, __u64 limit)
{
	__u32 key = bpf_get_smp_processor_id();
	struct cap_scratch *s = bpf_map_lookup_elem(&cap_scratch_map, &key);
	if (!s)
		return -1;

	/* With --processes the process goes before the bytes (cap_with_processes is a load-time
	 * constant: the verifier keeps one of the two layouts). */
	__u8 *data = cap_with_processes ? s->process.data : s->data;
	__u64 header = cap_with_processes ? CAP_RECORD_HEADER_PROCESSES : CAP_RECORD_HEADER;
	__u32 vlan = (h->l2_len == ETH_HLEN_ && skb->vlan_present) ? VLAN_HLEN_ : 0;
	__u64 orig = (__u64)skb->len + vlan;
	__u64 snap = h->cfg->snaplen < limit ? h->cfg->snaplen : limit;
	__u64 cap = orig < snap ? orig : snap;
	if (cap > CAP_MAX_SNAPLEN)
		cap = CAP_MAX_SNAPLEN;

	s->iface_dir = (__u16)(h->iface_id << 1 | dir);
	s->orig_len = orig;
	s->ts_boot_ns = bpf_ktime_get_boot_ns();
	if (cap_with_processes)
		s->process.tgid = skb->cb[CAP_CB_TGID];

	if (vlan && cap >= 2 * ETH_ALEN + VLAN_HLEN_) {
		__be16 tag[2] = {(__be16)skb->vlan_proto, bpf_htons(skb->vlan_tci)};
		if (bpf_skb_load_bytes(skb, 0, data, 2 * ETH_ALEN) < 0)
			return -1;
		__builtin_memcpy(data + 2 * ETH_ALEN, tag, sizeof(tag));
		__u64 rest = cap - (2 * ETH_ALEN + VLAN_HLEN_);
		barrier_var(rest);
		if (rest > CAP_MAX_SNAPLEN - 2 * ETH_ALEN)
			return -1;
		if (rest > 0 &&
		    bpf_skb_load_bytes(skb, 2 * ETH_ALEN, data + 2 * ETH_ALEN + VLAN_HLEN_, rest) < 0)
			return -1;
	} else {
		if (cap > skb->len)
			cap = skb->len;
		barrier_var(cap);
		if (cap > CAP_MAX_SNAPLEN)
			return -1;
		if (cap > 0 && bpf_skb_load_bytes(skb, 0, data, cap) < 0)
			return -1;
	}

	__u64 size = header + cap;
	barrier_var(size);
	if (size > sizeof(*s) - 2)
		return -1;
	return bpf_ringbuf_output(&cap_ring, &s->iface_dir, size, wakeup_flag(h->cfg, size, s->ts_boot_ns)) ==
			       0
		       ? 0
		       : -1;
}

/* A matched packet: counted, and copied to the ring (or counted as dropped when it is full). */
static __always_inline void record_match(struct __sk_buff *skb, const struct hook_state *h, __u8 dir,
					 __u64 limit)
{
	h->st->matched++;
	if (emit(skb, h, dir, limit) == 0) {
		h->st->captured++;
		h->st->captured_bytes += skb->len;
	} else {
		h->st->dropped++;
	}
}

/* In a tail-called program: the state the entry program handed on in skb->cb; 0 when something is
 * missing. Array lookups only, which the verifier inlines. */
static __always_inline int hook_resume(struct __sk_buff *skb, struct hook_state *h)
{
	__u32 key = 0;

	h->iface_id = skb->cb[CAP_CB_IFACE_ID];
	h->l2_len = skb->cb[CAP_CB_L2_LEN];
	h->cfg = bpf_map_lookup_elem(&cap_config_map, &key);
	h->st = bpf_map_lookup_elem(&cap_stats_map, &h->iface_id);
	return h->cfg && h->st;
}

/* What every hook does first: find the packet's interface (the one hash lookup a packet costs),
 * hand its id and link-layer length on to the programs it tail-calls, count the packet as seen,
 * and say whether its direction is captured at all. */
static __always_inline int hook_enter(struct __sk_buff *skb, __u8 dir, struct hook_state *h)
{
	__u32 ifindex = skb->ifindex;
	const struct cap_iface *iface = bpf_map_lookup_elem(&cap_ifaces, &ifindex);

	if (!iface)
		return 0;
	skb->cb[CAP_CB_IFACE_ID] = iface->id;
	skb->cb[CAP_CB_L2_LEN] = iface->l2_len;
	if (!hook_resume(skb, h))
		return 0;
	h->st->seen++;
	return (h->cfg->directions & (1u << dir)) != 0;
}

/* With --processes: finds the packet's process once and hands it on to the emit programs; says
 * whether the packet may be captured (with --pid, --cgroup or --container only a chosen
 * process's). Without, the verifier removes all of it. */
static __always_inline int owner_allows(struct __sk_buff *skb, __u8 dir, const struct hook_state *h)
{
	struct packet_owner o = {};

	if (!cap_with_processes)
		return 1;
	packet_owner(skb, dir, h->l2_len, &o);
	skb->cb[CAP_CB_TGID] = o.tgid;
	return !cap_only_selected || (o.tgid && o.selected);
}

/* Every packet is counted as seen here, then judged by
 * the exclusion and the translated filter of this hook's direction and link type; a match is handed
 * on to cap_pcap_emit_in/out. A tail call returns only when its slot is empty: no exclusion, or no
 * filter, so the packet goes on. TCX_NEXT whatever happens: later tcx programs still run. */
static __always_inline void filter_or_capture(struct __sk_buff *skb, const struct hook_state *h, __u8 dir)
{
	bpf_tail_call(skb, &cap_progs, CAP_PROG_FILTER(dir, h->l2_len == 0));
	record_match(skb, h, dir, CAP_MAX_SNAPLEN);
}

static __always_inline void mark_series(const struct pkt_meta *m, __u8 verdict)
{
	struct cap_frag_key key = {};

	frag_key(&key, m);
	bpf_map_update_elem(&cap_frags, &key, &verdict, BPF_ANY);
}

/* The exclusion's verdict on the series of a later fragment (it carries no ports, so its own
 * headers cannot say): FRAG_EXCLUDED or FRAG_CAPTURED as its first fragment was judged, 0 unknown. */
static __always_inline __u8 series_verdict(const struct pkt_meta *m)
{
	struct cap_frag_key key = {};

	frag_key(&key, m);
	const __u8 *verdict = bpf_map_lookup_elem(&cap_frags, &key);
	return verdict ? *verdict : 0;
}

static __always_inline int capture_pcap(struct __sk_buff *skb, __u8 dir)
{
	struct hook_state h;

	if (!hook_enter(skb, dir, &h) || !owner_allows(skb, dir, &h))
		return TC_ACT_UNSPEC;
	/* With --exclude, its entry program takes over; without, the slot is empty and this returns. */
	bpf_tail_call(skb, &cap_progs, CAP_PROG_EXCLUSION(dir));
	filter_or_capture(skb, &h, dir);
	return TC_ACT_UNSPEC;
}

/* --exclude: a later fragment follows the verdict on its series' first fragment; a first fragment
 * is marked excluded until the exclusion lets it through (cap_pcap_pass_*). */
static __always_inline int enter_exclusion(struct __sk_buff *skb, __u8 dir)
{
	struct hook_state h;
	struct pkt_meta m = {};

	if (!hook_resume(skb, &h))
		return TC_ACT_UNSPEC;
	parse_packet(skb, h.l2_len, &m);
	__u8 series = m.frag_later ? series_verdict(&m) : 0;
	if (series == FRAG_EXCLUDED)
		return TC_ACT_UNSPEC;
	if (series != FRAG_CAPTURED) {
		skb->cb[CAP_CB_FIRST_FRAGMENT] = m.frag_first;
		if (m.frag_first)
			mark_series(&m, FRAG_EXCLUDED);
		bpf_tail_call(skb, &cap_progs, CAP_PROG_EXCLUDE(dir, h.l2_len == 0));
		if (m.frag_first) /* no exclusion program for this link type: nothing excluded */
			mark_series(&m, FRAG_CAPTURED);
	}
	filter_or_capture(skb, &h, dir);
	return TC_ACT_UNSPEC;
}

/* Reached from the exclusion when it lets the packet through: a first fragment clears its series,
 * then the filter judges the packet. */
static __always_inline int pass_exclusion(struct __sk_buff *skb, __u8 dir)
{
	struct hook_state h;

	if (!hook_resume(skb, &h))
		return TC_ACT_UNSPEC;
	if (skb->cb[CAP_CB_FIRST_FRAGMENT]) {
		struct pkt_meta m = {};
		parse_packet(skb, h.l2_len, &m);
		mark_series(&m, FRAG_CAPTURED);
	}
	filter_or_capture(skb, &h, dir);
	return TC_ACT_UNSPEC;
}

/* Reached from a filter that matched: skb->cb[CAP_CB_CAPLEN] holds its capture length. */
static __always_inline int emit_filtered(struct __sk_buff *skb, __u8 dir)
{
	struct hook_state h;

	if (hook_resume(skb, &h))
		record_match(skb, &h, dir, skb->cb[CAP_CB_CAPLEN]);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int cap_pcap_ingress(struct __sk_buff *skb)
{
	return capture_pcap(skb, CAP_DIR_IN);
}

SEC("tc")
int cap_pcap_egress(struct __sk_buff *skb)
{
	return capture_pcap(skb, CAP_DIR_OUT);
}

SEC("tc")
int cap_pcap_exclude_in(struct __sk_buff *skb)
{
	return enter_exclusion(skb, CAP_DIR_IN);
}

SEC("tc")
int cap_pcap_exclude_out(struct __sk_buff *skb)
{
	return enter_exclusion(skb, CAP_DIR_OUT);
}

SEC("tc")
int cap_pcap_pass_in(struct __sk_buff *skb)
{
	return pass_exclusion(skb, CAP_DIR_IN);
}

SEC("tc")
int cap_pcap_pass_out(struct __sk_buff *skb)
{
	return pass_exclusion(skb, CAP_DIR_OUT);
}

SEC("tc")
int cap_pcap_emit_in(struct __sk_buff *skb)
{
	return emit_filtered(skb, CAP_DIR_IN);
}

SEC("tc")
int cap_pcap_emit_out(struct __sk_buff *skb)
{
	return emit_filtered(skb, CAP_DIR_OUT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
