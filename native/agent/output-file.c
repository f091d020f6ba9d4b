#define _GNU_SOURCE
#include "output-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAPTURE_FILE_MODE 0600

static int output_error(const char *path, const char *why, char *message, size_t size) {
  snprintf(message, size, "cannot write %s: %s", path, why);
  return -1;
}

static const char *reason(int err) {
  return err == ELOOP ? "it is a symbolic link; name the file itself" : strerror(err);
}

static bool digits(const char *s) {
  return s && *s && strspn(s, "0123456789") == strlen(s);
}

// A new file goes to the user who ran sudo (SUDO_UID/SUDO_GID), when we run as root for them.
static void give_to_sudo_user(int fd) {
  const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID");
  if (geteuid() != 0 || !digits(uid) || !digits(gid)) return;
  if (fchown(fd, (uid_t)strtoul(uid, NULL, 10), (gid_t)strtoul(gid, NULL, 10)) != 0) {
    // The file stays root's, 0600: readable by fewer people, not more.
  }
}

// An existing path: a regular file is replaced only with --overwrite, never through a link; a
// device or a FIFO (/dev/null, a named pipe) is written as it is.
static int open_existing(const char *path, bool overwrite, char *message, size_t size) {
  struct stat st;
  if (lstat(path, &st) != 0) return output_error(path, reason(errno), message, size);
  if (S_ISLNK(st.st_mode)) return output_error(path, "it is a symbolic link; name the file itself", message, size);
  if (S_ISDIR(st.st_mode)) return output_error(path, "it is a directory", message, size);
  if (S_ISREG(st.st_mode) && !overwrite)
    return output_error(path, "the file exists; add --overwrite to replace it", message, size);
  int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return output_error(path, reason(errno), message, size);
  // What was opened decides (the path may have changed since lstat).
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    if (!overwrite) {
      close(fd);
      return output_error(path, "the file exists; add --overwrite to replace it", message, size);
    }
    if (ftruncate(fd, 0) != 0 || fchmod(fd, CAPTURE_FILE_MODE) != 0) {
      int err = errno;
      close(fd);
      return output_error(path, strerror(err), message, size);
    }
  }
  return fd;
}

int open_capture_file(const char *path, bool overwrite, bool *created, char *message, size_t size) {
  // O_EXCL: never through a link, never racing another creator.
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, CAPTURE_FILE_MODE);
  *created = fd >= 0;
  if (fd >= 0) {
    give_to_sudo_user(fd);
    return fd;
  }
  if (errno != EEXIST) return output_error(path, reason(errno), message, size);
  return open_existing(path, overwrite, message, size);
}
