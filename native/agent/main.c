// pcap-agent, the static executable: `interfaces`, `capture`, `check-filter`, --version, --help. The capture
// itself is the core's (native/core); this front end parses, reports and loops.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "events.h"
#include "generated.h"

int report_error(const char *code, const char *message) {
  event_error(code, message);
  return exit_status(code);
}

// For errors before a command has parsed its own options (e.g. an unknown command).
static bool asks_for_json(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--events") == 0 && strcmp(argv[i + 1], "json") == 0) return true;
  return false;
}

static int usage_error(const char *what, const char *command) {
  char message[sizeof(PCAP_AGENT_USAGE) + 200];
  snprintf(message, sizeof(message), what, command);
  size_t len = strlen(message);
  snprintf(message + len, sizeof(message) - len, "\n%s", PCAP_AGENT_USAGE);
  return report_error("E_USAGE", message);
}

int main(int argc, char **argv) {
  const char *command = argc > 1 ? argv[1] : NULL;
  events_use_json(argc > 2 && asks_for_json(argc - 1, argv + 1));
  if (!command && getenv("ENABLE_PCA") && strcmp(getenv("ENABLE_PCA"), "true") == 0) return run_pca();
  if (!command) return usage_error("no command given%s", "");
  if (strcmp(command, "interfaces") == 0) return run_interfaces(argc - 2, argv + 2);
  if (strcmp(command, "capture") == 0) return run_capture(argc - 2, argv + 2);
  if (strcmp(command, "check-filter") == 0) return run_check_filter(argc - 2, argv + 2);
  if (strcmp(command, "--version") == 0) {
    printf("pcap-agent %s\n", PCAP_AGENT_VERSION);
    return 0;
  }
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
    printf("%s\n", PCAP_AGENT_USAGE);
    return 0;
  }
  return usage_error("unknown command \"%s\"", command);
}
