// Just enough JSON for the agent's output: strings escaped as JSON.stringify escapes them.
#ifndef PCAP_AGENT_JSON_H
#define PCAP_AGENT_JSON_H

#include <stdio.h>

void json_string(FILE *out, const char *s);

#endif
