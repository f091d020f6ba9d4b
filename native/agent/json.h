// Just enough JSON for the agent: strings written as JSON.stringify escapes them, and read back
// (the control commands on stdin are objects of string members).
#ifndef PCAP_AGENT_JSON_H
#define PCAP_AGENT_JSON_H

#include <stddef.h>
#include <stdio.h>

void json_string(FILE *out, const char *s);

// Reads the JSON string starting at `p` (at its opening quote) into `out` as UTF-8. Returns the
// character after the closing quote, or NULL when it is not a valid string, contains NUL (no C
// string can hold it) or does not fit in `size`.
const char *json_read_string(const char *p, char *out, size_t size);

#endif
