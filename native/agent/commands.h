// The agent's commands; each returns the process's exit status and reports its own errors.
#ifndef PCAP_AGENT_COMMANDS_H
#define PCAP_AGENT_COMMANDS_H

int run_interfaces(int argc, char **argv);
int run_capture(int argc, char **argv);
int run_check_filter(int argc, char **argv);

// Reports an error event and returns its exit status.
int report_error(const char *code, const char *message);

#endif
