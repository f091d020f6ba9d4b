#include "netns-check.h"

#include <errno.h>
#include <unistd.h>

int list_interfaces_in(const char *netns, struct pcore_interface_list *list, struct pcore_error *e) {
  if (*netns && access(netns, F_OK) != 0)
    return pcore_fail(e, "E_NO_NETNS", ENOENT, "network namespace %s does not exist (see \"ip netns list\")", netns);
  if (pcore_list_interfaces(*netns ? netns : NULL, list, e) != 0) {
    if (*netns) e->code = e->err == EPERM ? "E_PRIVILEGE" : "E_NO_NETNS";
    return -1;
  }
  return 0;
}
