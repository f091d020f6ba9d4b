// Loads a translated filter (filter-ebpf.h) into the kernel as a SCHED_CLS program.
#ifndef CAPTURE_CORE_FILTER_LOAD_H
#define CAPTURE_CORE_FILTER_LOAD_H

#include <stddef.h>

#include "filter-ebpf.h"

// Returns the program's fd, or -errno with the verifier's own explanation (its last lines, which
// name the failing instruction) in `err`.
int filter_ebpf_load(const struct filter_ebpf *prog, char *err, size_t err_size);

#endif
