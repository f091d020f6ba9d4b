#define _GNU_SOURCE
#include "token.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TOKEN_FILE_BYTES 4096

static int token_file_error(const char *path, const char *why, char *message, size_t size) {
  snprintf(message, size, "cannot use token file %s: %s", path, why);
  return -1;
}

// Node's words: "no such file or directory", lower case.
static const char *errno_text(int err, char *out, size_t size) {
  snprintf(out, size, "%s", err == ELOOP ? "it is a symbolic link; name the file itself" : strerror(err));
  if (err != ELOOP) out[0] = (char)tolower((unsigned char)out[0]);
  return out;
}

static int read_checked(int fd, const char *path, char *token, size_t token_size, char *message, size_t size) {
  struct stat st;
  char why[160];
  if (fstat(fd, &st) != 0) return token_file_error(path, errno_text(errno, why, sizeof(why)), message, size);
  if (!S_ISREG(st.st_mode)) return token_file_error(path, "not a regular file", message, size);
  if (st.st_mode & 077) {
    snprintf(why, sizeof(why), "mode %04o lets others read it; chmod 600 %.100s", st.st_mode & 0777, path);
    return token_file_error(path, why, message, size);
  }
  if (st.st_size > MAX_TOKEN_FILE_BYTES) return token_file_error(path, "larger than 4096 bytes", message, size);
  char text[MAX_TOKEN_FILE_BYTES + 1];
  size_t len = 0;
  for (ssize_t n; len < MAX_TOKEN_FILE_BYTES && (n = read(fd, text + len, MAX_TOKEN_FILE_BYTES - len)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return token_file_error(path, errno_text(errno, why, sizeof(why)), message, size);
    len += (size_t)n;
  }
  text[len] = 0;
  size_t line = strcspn(text, "\n");
  if (line > 0 && text[line - 1] == '\r') line--;
  if (line == 0) return token_file_error(path, "its first line is empty", message, size);
  if (line >= token_size) return token_file_error(path, "its first line is too long", message, size);
  memcpy(token, text, line);
  token[line] = 0;
  return 0;
}

int read_token_file(const char *path, char *token, size_t token_size, char *message, size_t size) {
  char why[160];
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return token_file_error(path, errno_text(errno, why, sizeof(why)), message, size);
  int rc = read_checked(fd, path, token, token_size, message, size);
  close(fd);
  return rc;
}
