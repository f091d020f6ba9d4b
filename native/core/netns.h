// Entering a network namespace for the few calls that act in one (listing interfaces, creating
// tcx links and clsact filters by ifindex), and returning to the original one afterwards.
#ifndef PCAP_CORE_NETNS_H
#define PCAP_CORE_NETNS_H

// Moves the calling thread into the namespace at `path` (NULL or "": stays, *saved = -1).
// *saved receives a handle on the original namespace for pcore_netns_leave. Returns 0 or errno.
int pcore_netns_enter(const char *path, int *saved);

// Returns to the namespace saved by pcore_netns_enter; aborts if it cannot, because staying in
// the wrong namespace would silently redirect every later operation.
void pcore_netns_leave(int saved);

#endif
