// The capture BPF object (dist/agent/capture.bpf.o), linked into the executable by embedded.S.
#ifndef PCAP_AGENT_EMBEDDED_H
#define PCAP_AGENT_EMBEDDED_H

extern const unsigned char capture_bpf_object[];
extern const unsigned char capture_bpf_object_end[];

#endif
