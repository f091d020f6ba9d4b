/* Records and map layouts shared by capture.bpf.c and user space (native/, packet/capture-abi.ts).
 * Fixed-width types only; every layout here is checked by test/unit/capture-abi.test.ts. */
#ifndef PCAP_CAPTURE_H
#define PCAP_CAPTURE_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define CAP_RECORD_VERSION 1
#define CAP_MAX_RULES	   32	  /* rules per bank (exclusions + filter); a filter is the OR of its rules */
#define CAP_MAX_SNAPLEN	   262144 /* tcpdump's default and our ceiling */
#define CAP_MAX_VLAN_DEPTH 2	  /* 802.1ad outer + 802.1Q inner */
#define CAP_MAX_IPV6_EXT   6	  /* extension headers walked before giving up on L4 */

enum cap_direction {
	CAP_DIR_IN = 0,
	CAP_DIR_OUT = 1,
};

/* The libpcap path (the static agent, native/core/capture-filter.c): slots of the cap_progs
 * program array. cap_pcap_ingress/egress tail-call the translated filter of their direction and
 * link type; a filter that matches stores the capture length (its cBPF return value) in
 * skb->cb[CAP_CB_CAPLEN] and tail-calls the emit program of its direction. An empty filter slot
 * means no filter: the entry program captures the packet itself. */
#define CAP_PROG_FILTER(dir, raw)  ((raw)*2 + (dir)) /* dir: CAP_DIR_*; raw: 1 for raw-IP links */
#define CAP_PROG_EMIT(dir)	   (4 + (dir))
/* --exclude runs first: the entry programs cap_pcap_exclude_in/out (slots CAP_PROG_EXCLUSION, empty
 * without --exclude, so a capture without one pays nothing) follow fragment series, then tail-call
 * the exclusion, its own translated filter `not (EXCLUDE)` in the slots CAP_PROG_EXCLUDE; a packet
 * it lets through goes on to cap_pcap_pass_in/out, which tail-call the filter.
 * skb->cb[CAP_CB_FIRST_FRAGMENT] says the packet is the first fragment of an IP series, whose later
 * fragments (they carry no ports) follow its exclusion. */
#define CAP_PROG_EXCLUDE(dir, raw) (6 + (raw)*2 + (dir))
#define CAP_PROG_PASS(dir)	   (10 + (dir))
#define CAP_PROG_EXCLUSION(dir)	   (12 + (dir))
#define CAP_PROG_SLOTS		   14
#define CAP_CB_CAPLEN		   0
#define CAP_CB_FIRST_FRAGMENT	   1

/* Ring-buffer record: this header, then cap_len packet bytes (no padding between records
 * inside a batch handed to JS). Times are CLOCK_BOOTTIME; user space adds the wall offset. */
struct cap_record {
	__u8 version;	/* CAP_RECORD_VERSION */
	__u8 direction; /* enum cap_direction */
	__u16 hdr_len;	/* sizeof(struct cap_record): lets readers skip fields they do not know */
	__u32 ifindex;
	__u64 ts_boot_ns;
	__u32 orig_len; /* true length on the wire (GSO super-packets included) */
	__u32 cap_len;	/* bytes that follow: min(orig_len, snaplen) */
};

/* struct cap_rule.match bits: which conditions of a rule apply (all must hold). */
#define CAP_M_ETHERTYPE (1u << 0) /* ethertype == rule.ethertype (after VLAN tags) */
#define CAP_M_L4PROTO	(1u << 1) /* IP protocol == rule.l4proto (IPv4 or IPv6) */
#define CAP_M_SPORT	(1u << 2) /* sport in [sport_lo, sport_hi] */
#define CAP_M_DPORT	(1u << 3) /* dport in [dport_lo, dport_hi] */
#define CAP_M_PORT	(1u << 4) /* sport or dport in [port_lo, port_hi] */
#define CAP_M_SADDR	(1u << 5) /* source in saddr/smask */
#define CAP_M_DADDR	(1u << 6) /* destination in daddr/dmask */
#define CAP_M_ADDR	(1u << 7) /* source or destination in addr/mask */
#define CAP_M_DIRECTION (1u << 8) /* record direction == rule.direction */
/* Not a condition: a packet matching this rule is not captured, whatever the other rules say
 * (e.g. the SSH session a remote capture runs over). Exclusion rules come first in a bank: the
 * program stops at the first matching rule, so an include rule must never precede one. */
#define CAP_M_EXCLUDE	(1u << 9)

/* Address conditions carry a family: 4 compares the first 4 bytes against IPv4 packets only,
 * 6 compares 16 bytes against IPv6 packets only. Ports are host byte order. */
struct cap_addr {
	__u8 family; /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16]; /* network order */
	__u8 mask[16]; /* network order; addr is pre-masked */
};

struct cap_rule {
	__u32 match;	 /* CAP_M_* */
	__u16 ethertype; /* host order: 0x0800, 0x86dd, 0x0806, ... */
	__u8 l4proto;
	__u8 direction; /* enum cap_direction */
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u16 port_lo, port_hi;
	__u32 pad;
	struct cap_addr saddr;
	struct cap_addr daddr;
	struct cap_addr addr;
};

/* cap_config[0]: what the program reads on every packet. User space writes the rules into the
 * bank that is not active, then flips active_bank, so a filter change is never half-seen. */
struct cap_config {
	__u32 active_bank;  /* 0 or 1 */
	__u32 nrules[2];    /* rules in each bank: exclusions, then include rules; no include rule =
	                     * capture everything not excluded */
	__u32 snaplen;	    /* 1..CAP_MAX_SNAPLEN */
	__u32 directions;   /* bit CAP_DIR_IN / CAP_DIR_OUT set = capture that direction */
	__u32 wakeup_bytes; /* wake the reader once this much is pending (batched wakeups) */
};

/* iface_info: per attached interface, written by user space before attaching. */
struct cap_iface {
	__u32 l2_len; /* 14 for Ethernet-like devices (lo too), 0 for raw-IP devices (tun) */
	__u32 pad;
};

/* Per-CPU, per interface. captured + dropped == matched, so drops are never silent. */
struct cap_stats {
	__u64 seen;
	__u64 matched;
	__u64 captured;
	__u64 dropped; /* ring buffer full */
	__u64 captured_bytes;
};

#endif
