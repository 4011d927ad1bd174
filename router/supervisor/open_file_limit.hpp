// A router holds two descriptors per proxied request (the client's and the worker's), so the
// usual soft limit of 1024 open files caps it near 500 streams, and accept() then fails with
// EMFILE. At start the soft limit is raised to the hard one, as nginx's worker_rlimit_nofile
// and Go's runtime do; workers get back the limit the router was started with, since some
// programs still use select(), which breaks on descriptors above 1023.
#pragma once

#include <sys/resource.h>

namespace switchyard::supervisor {

struct OpenFileLimits {
  rlim_t before = 0;  // the soft limit the router was started with
  rlim_t now = 0;     // the soft limit after raising it
};

// Raises the soft limit on open files to the hard limit; remembers the one it found for
// inherited_open_file_limit(). Call once, before any worker is spawned.
OpenFileLimits raise_open_file_limit();

// The limit a worker starts with: the router's own before raise_open_file_limit().
rlimit inherited_open_file_limit();

}  // namespace switchyard::supervisor
