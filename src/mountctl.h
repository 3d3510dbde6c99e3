/* mountctl.h - run the daemon: connect, mount, serve, tear down. */
#ifndef SF_MOUNTCTL_H
#define SF_MOUNTCTL_H

#include "opts.h"

/* Takes ownership of cfg. Returns the process exit code. */
int sf_mount_main(struct sf_config *cfg, const char *prog);

#endif
