#define _GNU_SOURCE
#include "sinks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"

#define CLOSE_GRACE_MS 2000

// ---- endpoint: a bounded queue in front of a non-blocking descriptor ----

// What the endpoint watches besides EPOLLOUT (clients: EPOLLIN, to see them leave).
static uint32_t base_events(const struct endpoint *ep) {
  return ep->watch.events & EPOLLIN;
}

static int endpoint_flush(struct endpoint *ep) {
  while (ep->len > 0 && !ep->error) {
    ssize_t n = write(ep->watch.fd, ep->data + ep->head, ep->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      // Told when the reader takes more; a descriptor epoll cannot watch never says EAGAIN.
      loop_set(ep->loop, &ep->watch, base_events(ep) | EPOLLOUT);
      return 0;
    }
    if (n <= 0) {
      ep->error = n < 0 ? errno : EPIPE;
      return -1;
    }
    ep->head += (size_t)n;
    ep->len -= (size_t)n;
  }
  ep->head = 0;
  if (ep->watch.events & EPOLLOUT) loop_set(ep->loop, &ep->watch, base_events(ep));
  return ep->error ? -1 : 0;
}

static int endpoint_queue(struct endpoint *ep, const uint8_t *bytes, size_t len) {
  if (ep->head + ep->len + len > ep->cap) {
    memmove(ep->data, ep->data + ep->head, ep->len);
    ep->head = 0;
    size_t cap = ep->cap ? ep->cap : 64 * 1024;
    while (cap < ep->len + len) cap *= 2;
    if (cap != ep->cap) {
      uint8_t *data = realloc(ep->data, cap);
      if (!data) return -1;
      ep->data = data;
      ep->cap = cap;
    }
  }
  memcpy(ep->data + ep->head + ep->len, bytes, len);
  ep->len += len;
  return 0;
}

// As Node's writableLength check: past the limit the whole batch is dropped, never a part of it.
static int endpoint_send(struct endpoint *ep, const uint8_t *bytes, size_t len, uint64_t packets) {
  if (ep->error) return -1;
  if (len == 0) return 0;
  if (ep->len > ep->limit) {
    ep->dropped += packets;
    return 0;
  }
  if (endpoint_queue(ep, bytes, len) != 0) {
    ep->dropped += packets;
    return 0;
  }
  return endpoint_flush(ep);
}

static void endpoint_free(struct endpoint *ep) {
  free(ep->data);
  ep->data = NULL;
  ep->len = ep->cap = ep->head = 0;
}

static void on_endpoint_writable(struct watch *w, uint32_t events) {
  (void)events;
  endpoint_flush(w->ctx);
}

// ---- the stream: stdout or the -w file ----

void stream_sink_open(struct stream_sink *s, struct loop *loop, int fd) {
  memset(s, 0, sizeof(*s));
  s->ep = (struct endpoint){.watch = {.fd = fd, .fn = on_endpoint_writable}, .loop = loop, .limit = STREAM_LIMIT};
  s->ep.watch.ctx = &s->ep;
  struct stat st;
  // A regular file or /dev/null takes every write at once; a pipe or socket may not.
  if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int stream_sink_write(struct stream_sink *s, const uint8_t *bytes, size_t len, uint64_t packets) {
  return endpoint_send(&s->ep, bytes, len, packets);
}

void stream_sink_close(struct stream_sink *s) {
  struct endpoint *ep = &s->ep;
  loop_set(ep->loop, &ep->watch, 0);
  // The reader gets everything already captured, at its own pace, as Node's end() does.
  fcntl(ep->watch.fd, F_SETFL, fcntl(ep->watch.fd, F_GETFL) & ~O_NONBLOCK);
  endpoint_flush(ep);
  endpoint_free(ep);
}

// ---- the TCP server ----

struct client {
  struct endpoint ep;
  struct server *srv;
  bool admitted, gone;
  uint64_t login_deadline_ms;  // while logging in
  uint8_t line[MAX_TOKEN_LINE];
  size_t line_len;
  char peer[80];
  struct client *next;
};

bool token_matches(const uint8_t *sent, size_t len, const char *token) {
  size_t expected = strlen(token);
  // Every byte of the longest line a client may send is looked at, whatever the two hold.
  unsigned diff = len != expected;
  for (size_t i = 0; i < MAX_TOKEN_LINE; i++) {
    uint8_t a = i < len ? sent[i] : 0;
    uint8_t b = i < expected ? (uint8_t)token[i] : 0;
    diff |= (unsigned)(a ^ b);
  }
  return diff == 0;
}

static void client_drop(struct client *c) {
  if (c->gone) return;
  struct server *srv = c->srv;
  loop_set(srv->loop, &c->ep.watch, 0);
  close(c->ep.watch.fd);
  c->gone = true;
  if (c->admitted) {
    srv->admitted--;
    srv->dropped_by_gone += c->ep.dropped;
    if (srv->on_clients) srv->on_clients(srv->ctx, srv->admitted);
  } else {
    srv->pending--;
  }
}

static void refuse(int fd, const char *peer, const char *reason, int limit) {
  event_refused(reason, limit, peer);
  close(fd);
}

static void admit(struct client *c) {
  struct server *srv = c->srv;
  c->admitted = true;
  srv->admitted++;
  endpoint_send(&c->ep, srv->header->data, srv->header->len, 0);
  if (srv->on_clients) srv->on_clients(srv->ctx, srv->admitted);
}

// The token line without the spaces, tabs and CR around it (netcat and Windows clients add some).
static void trim(const uint8_t **line, size_t *len) {
  while (*len > 0 && (**line == ' ' || **line == '\t' || **line == '\r')) (*line)++, (*len)--;
  while (*len > 0 && ((*line)[*len - 1] == ' ' || (*line)[*len - 1] == '\t' || (*line)[*len - 1] == '\r')) (*len)--;
}

// Reads the token line (as bytes: the token is compared as UTF-8), then admits or closes.
static void client_login(struct client *c) {
  ssize_t n = read(c->ep.watch.fd, c->line + c->line_len, sizeof(c->line) - c->line_len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return client_drop(c);
  c->line_len += (size_t)n;
  uint8_t *end = memchr(c->line, '\n', c->line_len);
  if (!end && c->line_len < sizeof(c->line)) return;
  struct server *srv = c->srv;
  const uint8_t *line = c->line;
  size_t len = end ? (size_t)(end - c->line) : 0;
  trim(&line, &len);
  if (!end || len == 0 || !token_matches(line, len, srv->token)) return client_drop(c);
  srv->pending--;
  // The limit may have been reached while this client was logging in.
  if (srv->admitted >= MAX_CLIENTS) {
    loop_set(srv->loop, &c->ep.watch, 0);
    refuse(c->ep.watch.fd, c->peer, "too-many-clients", MAX_CLIENTS);
    c->gone = true;
    return;
  }
  admit(c);
}

// Anything an admitted client sends is ignored; reading it lets us see the client leave.
static void client_read(struct client *c) {
  uint8_t scratch[4096];
  for (;;) {
    ssize_t n = read(c->ep.watch.fd, scratch, sizeof(scratch));
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    return client_drop(c);
  }
}

static void on_client(struct watch *w, uint32_t events) {
  struct client *c = w->ctx;
  if (c->gone) return;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    if (c->admitted)
      client_read(c);
    else
      client_login(c);
  }
  if (!c->gone && (events & EPOLLOUT) && endpoint_flush(&c->ep) != 0) client_drop(c);
}

static void peer_name(const struct sockaddr_storage *a, char *out, size_t size) {
  char host[INET6_ADDRSTRLEN] = "";
  unsigned port = 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  snprintf(out, size, "%s:%u", host, port);
}

static void accept_one(struct server *srv, int fd, const struct sockaddr_storage *from) {
  char peer[80];
  peer_name(from, peer, sizeof(peer));
  if (srv->admitted >= MAX_CLIENTS) return refuse(fd, peer, "too-many-clients", MAX_CLIENTS);
  if (srv->token && srv->pending >= MAX_PENDING_LOGINS) return refuse(fd, peer, "too-many-logins", MAX_PENDING_LOGINS);
  struct client *c = calloc(1, sizeof(*c));
  if (!c) {
    close(fd);
    return;
  }
  c->srv = srv;
  c->ep = (struct endpoint){.watch = {.fd = fd, .fn = on_client, .ctx = c}, .loop = srv->loop, .limit = CLIENT_LIMIT};
  snprintf(c->peer, sizeof(c->peer), "%s", peer);
  c->next = srv->clients;
  srv->clients = c;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  loop_set(srv->loop, &c->ep.watch, EPOLLIN);
  if (!srv->token) return admit(c);
  srv->pending++;
  c->login_deadline_ms = loop_now_ms() + LOGIN_TIMEOUT_MS;
}

static void on_listener(struct watch *w, uint32_t events) {
  (void)events;
  struct server *srv = w->ctx;
  for (;;) {
    struct sockaddr_storage from;
    socklen_t len = sizeof(from);
    int fd = accept4(w->fd, (struct sockaddr *)&from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken; anything else: the next connection may do better
    accept_one(srv, fd, &from);
  }
}

// Node's words for the errors a listen meets most ("listen EADDRINUSE: address already in use").
static void listen_error(int err, const struct listen_address *at, char *message, size_t size) {
  const char *name = strerrorname_np(err);
  char text[128];
  snprintf(text, sizeof(text), "%s", strerror(err));
  text[0] = (char)tolower((unsigned char)text[0]);
  snprintf(message, size, "listen %s: %s %s:%u", name ? name : "error", text, at->host, at->port);
}

static int bind_address(const char *host, unsigned port, struct sockaddr_storage *a, socklen_t *len) {
  memset(a, 0, sizeof(*a));
  // "localhost" without a resolver: a static executable has no NSS to ask.
  const char *literal = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
  struct sockaddr_in *v4 = (struct sockaddr_in *)a;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
  if (inet_pton(AF_INET, literal, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof(*v4);
    return AF_INET;
  }
  if (inet_pton(AF_INET6, literal, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof(*v6);
    return AF_INET6;
  }
  return -1;
}

int server_listen(struct server *srv, struct loop *loop, const struct listen_address *at, char *message, size_t size) {
  srv->loop = loop;
  snprintf(srv->host, sizeof(srv->host), "%s", at->host);
  struct sockaddr_storage a;
  socklen_t len;
  int family = bind_address(at->host, at->port, &a, &len);
  if (family < 0) {
    listen_error(EINVAL, at, message, size);
    return -1;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  // As Node does: a restarted agent can bind its port while old connections linger in TIME_WAIT.
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) != 0 || listen(fd, 511) != 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    listen_error(err, at, message, size);
    return -1;
  }
  len = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  srv->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port : ((struct sockaddr_in6 *)&a)->sin6_port);
  srv->watch = (struct watch){.fd = fd, .fn = on_listener, .ctx = srv};
  return loop_set(loop, &srv->watch, EPOLLIN);
}

void server_write(struct server *srv, const uint8_t *bytes, size_t len, uint64_t packets) {
  for (struct client *c = srv->clients; c; c = c->next)
    if (c->admitted && !c->gone && endpoint_send(&c->ep, bytes, len, packets) != 0) client_drop(c);
}

uint64_t server_dropped(const struct server *srv) {
  uint64_t n = srv->dropped_by_gone;
  for (const struct client *c = srv->clients; c; c = c->next)
    if (!c->gone) n += c->ep.dropped;
  return n;
}

void server_sweep(struct server *srv) {
  uint64_t now = loop_now_ms();
  for (struct client **p = &srv->clients; *p;) {
    struct client *c = *p;
    if (!c->gone && !c->admitted && now >= c->login_deadline_ms) client_drop(c);
    if (!c->gone) {
      p = &c->next;
      continue;
    }
    *p = c->next;
    endpoint_free(&c->ep);
    free(c);
  }
}

// Gives a client what is queued for it, ends the stream (FIN) and waits for it to close, all
// before `deadline`; unread bytes of its own are read first so closing never resets the stream.
static void client_finish(struct client *c, uint64_t deadline) {
  int fd = c->ep.watch.fd;
  while (c->ep.len > 0 && !c->ep.error && loop_now_ms() < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    poll(&p, 1, (int)(deadline - loop_now_ms()));
    endpoint_flush(&c->ep);
  }
  shutdown(fd, SHUT_WR);
  uint8_t scratch[4096];
  while (loop_now_ms() < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)(deadline - loop_now_ms())) <= 0) break;
    ssize_t n = read(fd, scratch, sizeof(scratch));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
  }
}

void server_close(struct server *srv) {
  if (srv->watch.fd >= 0 && srv->watch.events) {
    loop_set(srv->loop, &srv->watch, 0);
    close(srv->watch.fd);
    srv->watch.fd = -1;
  }
  uint64_t deadline = loop_now_ms() + CLOSE_GRACE_MS;
  // Closing at the end is not clients leaving: no "clients" events, but their drops still count.
  for (struct client *c = srv->clients; c; c = c->next) {
    if (c->gone) continue;
    loop_set(srv->loop, &c->ep.watch, 0);
    if (c->admitted) client_finish(c, deadline);
    srv->dropped_by_gone += c->ep.dropped;
    close(c->ep.watch.fd);
    c->gone = true;
  }
  srv->admitted = srv->pending = 0;
  server_sweep(srv);
}
