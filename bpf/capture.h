/* Records and map layouts shared by capture.bpf.c and the capture core (native/core), compiled
 * into both; CAP_MAX_SNAPLEN is also packet/capture-abi.ts's (test/unit/capture-abi.test.ts).
 * Fixed-width types only. */
#ifndef PCAP_CAPTURE_H
#define PCAP_CAPTURE_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define CAP_RECORD_VERSION 1
#define CAP_MAX_SNAPLEN	   262144 /* tcpdump's default and our ceiling */
#define CAP_MAX_VLAN_DEPTH 2	  /* 802.1ad outer + 802.1Q inner */
#define CAP_MAX_IPV6_EXT   6	  /* extension headers walked before giving up on L4 */

enum cap_direction {
	CAP_DIR_IN = 0,
	CAP_DIR_OUT = 1,
};

/* The filter path (native/core/capture-filter.c): slots of the cap_progs program array. cap_pcap_ingress/egress tail-call the translated filter of their direction and
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
 * inside a batch the reader takes). Times are CLOCK_BOOTTIME; user space adds the wall offset. */
struct cap_record {
	__u8 version;	/* CAP_RECORD_VERSION */
	__u8 direction; /* enum cap_direction */
	__u16 hdr_len;	/* sizeof(struct cap_record): lets readers skip fields they do not know */
	__u32 ifindex;
	__u64 ts_boot_ns;
	__u32 orig_len; /* true length on the wire (GSO super-packets included) */
	__u32 cap_len;	/* bytes that follow: min(orig_len, snaplen) */
};

/* cap_config[0]: what the programs read on every packet. The filter itself is in cap_progs,
 * where a change is one atomic slot update. */
struct cap_config {
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
