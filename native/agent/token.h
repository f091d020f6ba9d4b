// The token a TCP client must send before it gets a capture.
#ifndef PCAP_AGENT_TOKEN_H
#define PCAP_AGENT_TOKEN_H

#include <stddef.h>

// The first line of a file only its owner can read. The agent runs as root: a symbolic link could
// make it read any file, and a file others can read is a token others know, so both are refused.
// Returns 0, or -1 with `message` set (a usage error).
int read_token_file(const char *path, char *token, size_t token_size, char *message, size_t size);

#endif
