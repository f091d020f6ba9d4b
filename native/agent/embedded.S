/* The BPF object inside the executable: nothing to find or ship beside it. BPF_OBJECT is the
 * path of capture.bpf.o, given by scripts/build-agent.sh. */
	.section .rodata
	.balign 8
	.global capture_bpf_object
	.global capture_bpf_object_end
capture_bpf_object:
	.incbin BPF_OBJECT
capture_bpf_object_end:
	.section .note.GNU-stack, "", %progbits
