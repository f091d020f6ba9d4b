// The capture file of `-w FILE`, opened with care: the agent runs as root,
// usually through sudo, in directories users can write to. It must not follow a link planted
// there, must not replace a file by surprise, and must leave a file only the sudo user can read.
#ifndef PCAP_AGENT_OUTPUT_FILE_H
#define PCAP_AGENT_OUTPUT_FILE_H

#include <stdbool.h>
#include <stddef.h>

// Returns the fd, or -1 with `message` set (an E_OUTPUT error). `created`: the file is new (so a
// capture that fails to start removes it again).
int open_capture_file(const char *path, bool overwrite, bool *created, char *message, size_t size);

#endif
