// Where capture bytes go: a stream (stdout, a file) or every client of a TCP
// server. Each holds a bounded amount in memory; past it, whole batches are dropped and counted,
// so a slow reader never makes the agent grow without bound or holds up the other readers.
#ifndef PCAP_AGENT_SINKS_H
#define PCAP_AGENT_SINKS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/buffer.h"
#include "loop.h"
#include "options.h"

#define STREAM_LIMIT (64u * 1024 * 1024)
#define CLIENT_LIMIT (8u * 1024 * 1024)
#define MAX_CLIENTS 16
#define MAX_PENDING_LOGINS 8
#define LOGIN_TIMEOUT_MS 5000
#define MAX_TOKEN_LINE 1024

// Bytes written to a non-blocking descriptor as it takes them; the rest waits here.
struct endpoint {
  struct watch watch;
  struct loop *loop;
  uint8_t *data;
  size_t head, len, cap;
  size_t limit;
  uint64_t dropped;  // packets not queued because the reader was too slow
  int error;         // errno of a failed write (EPIPE: the reader left), 0 while healthy
};

struct stream_sink {
  struct endpoint ep;
};

// `fd` is the output (stdout or the -w file). Pipes and sockets become non-blocking.
void stream_sink_open(struct stream_sink *s, struct loop *loop, int fd);
// Queues a batch of `packets` packets (0 for blocks that are not packets). Returns -1 once the
// output has failed (ep.error says why).
int stream_sink_write(struct stream_sink *s, const uint8_t *bytes, size_t len, uint64_t packets);
// Writes what is queued (blocking), then forgets the descriptor (the caller closes it).
void stream_sink_close(struct stream_sink *s);

struct client;

struct server {
  struct watch watch;
  struct loop *loop;
  const char *token;                  // NULL: everyone is served
  const struct pcore_buffer *header;  // what every client gets first (it grows as interfaces are added)
  struct client *clients;             // admitted and logging in
  int admitted, pending;
  uint64_t dropped_by_gone;
  void (*on_clients)(void *ctx, int count);
  void *ctx;
  char host[64];
  unsigned port;  // the port bound (the one asked for, or the kernel's pick for 0)
};

// Binds and listens. On failure returns -1 with `message` set as Node.js says it
// ("listen EADDRINUSE: address already in use 127.0.0.1:7000").
int server_listen(struct server *srv, struct loop *loop, const struct listen_address *at, char *message, size_t size);
void server_write(struct server *srv, const uint8_t *bytes, size_t len, uint64_t packets);
uint64_t server_dropped(const struct server *srv);
// Closes logins that took too long and frees clients that are gone. Call after each loop turn.
void server_sweep(struct server *srv);
// Stops accepting, gives each client what is queued for it (at most 2 s in all), closes them.
void server_close(struct server *srv);

// The token line as sent, compared with the token in time that does not depend on the content.
bool token_matches(const uint8_t *sent, size_t len, const char *token);

#endif
