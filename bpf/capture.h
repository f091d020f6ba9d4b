/* Records and map layouts shared by capture.bpf.c and the capture core (native/core), compiled
 * into both; CAP_MAX_SNAPLEN is also packet/capture-abi.ts's (test/unit/capture-abi.test.ts).
 * Fixed-width types only. */
#ifndef PCAP_CAPTURE_H
#define PCAP_CAPTURE_H

#ifndef __BPF__
#include <linux/types.h>
#endif

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
/* The entry program looks the interface up once and hands on what the programs it tail-calls need:
 * its id and its link-layer length (struct cap_iface). */
#define CAP_CB_IFACE_ID		   2
#define CAP_CB_L2_LEN		   3
/* With --processes, the entry program finds the packet's process once and hands its id on. */
#define CAP_CB_TGID		   4

/* Ring-buffer record: a CAP_RECORD_HEADER-byte header, then the captured bytes up to the end of
 * the record (the ring keeps each record's length, so the header does not). Under overload the
 * ring's bytes are the packets kept, so the header is packed: fields at these offsets, host byte
 * order, not aligned. Times are CLOCK_BOOTTIME; user space adds the wall offset. */
#define CAP_RECORD_IFACE_DIR	    0 /* __u16: the interface's id << 1 | enum cap_direction */
#define CAP_RECORD_ORIG_LEN	    2 /* __u32: true length on the wire (GSO super-packets included) */
#define CAP_RECORD_TS		    6 /* __u64: when the hook saw it */
#define CAP_RECORD_HEADER	    14
/* With --processes (the rodata switch cap_with_processes) every record carries, after those 14
 * bytes, the process its packet belongs to; the captured bytes follow. A capture without it keeps
 * the 14-byte header and pays nothing. */
#define CAP_RECORD_TGID		    14 /* __u32: process (thread group) id in the initial pid namespace; 0: none */
#define CAP_RECORD_HEADER_PROCESSES 18

/* cap_config[0]: what the programs read on every packet. The filter itself is in cap_progs,
 * where a change is one atomic slot update. */
struct cap_config {
	__u32 snaplen;	    /* 1..CAP_MAX_SNAPLEN */
	__u32 directions;   /* bit CAP_DIR_IN / CAP_DIR_OUT set = capture that direction */
	__u32 wakeup_bytes; /* wake the reader once this much is pending (batched wakeups) */
};

/* cap_ifaces[ifindex]: per attached interface, written by user space before attaching. */
struct cap_iface {
	__u32 l2_len; /* 14 for Ethernet-like devices (lo too), 0 for raw-IP devices (tun) */
	__u32 id; /* 0..CAP_MAX_IFACES-1, user space's number for the interface: records and counters carry it */
};

#define CAP_MAX_IFACES 256

/* cap_stats_map[id], per CPU. captured + dropped == matched, so drops are never silent. */
struct cap_stats {
	__u64 seen;
	__u64 matched;
	__u64 captured;
	__u64 dropped; /* ring buffer full */
	__u64 captured_bytes;
};

/* Process attribution (--processes, --pid, --cgroup, --container): the process behind a local
 * socket, as the cgroup socket hooks (and sock_ops, for accepted connections) saw it. */
#define CAP_COMM_LEN	      16
#define CAP_MAX_LISTENERS     16384
#define CAP_MAX_TASKS	      16384
#define CAP_MAX_SELECTED_PIDS 16384

struct cap_process {
	__u32 tgid;	 /* the process */
	__u32 pid;	 /* the thread that made or first used the socket */
	__u64 cgroup_id; /* its cgroup v2 id */
	__u8 selected;	 /* chosen by --pid/--cgroup/--container (always 1 without them) */
	__u8 pad[7];
	char comm[CAP_COMM_LEN]; /* the thread's name when the hook ran */
};

/* cap_listeners key: a TCP port bound in a network namespace, whose accepted connections belong
 * to the process that bound it. */
struct cap_listener_key {
	__u64 netns_cookie;
	__u16 port; /* host byte order */
	__u16 pad[3];
};

#endif
