// The agent's commands; each returns the process's exit status and reports its own errors.
#ifndef PCAP_AGENT_COMMANDS_H
#define PCAP_AGENT_COMMANDS_H

int run_interfaces(int argc, char **argv);
int run_capture(int argc, char **argv);
int run_check_filter(int argc, char **argv);
// The seed's PCA server mode (ENABLE_PCA=true), configured by the environment.
int run_pca(void);

// Reports an error event and returns its exit status.
int report_error(const char *code, const char *message);

#include <stdbool.h>

#include "../core/error.h"
// Reports a failure to load (`load`) or attach the BPF programs, naming what the host lacks.
int report_bpf_error(struct pcore_error *e, bool load);

#endif
