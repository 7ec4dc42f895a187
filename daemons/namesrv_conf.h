/*
 * The name server's configuration (petrel.conf(5)): its keys, and how
 * petrel-namesrv loads a file.  Apart from the daemon's main so that
 * tests/fuzz/fuzz_conf.c fuzzes the same code.
 */
#ifndef NAMESRV_CONF_H
#define NAMESRV_CONF_H

#include <stdint.h>

#include "conf.h"
#include "daemon.h"

#define NAMESRV_KVFILE	"kvConfig"
#define NAMESRV_DATADIR	"petrel-data/namesrv"

struct namesrv_conf {
	char	*listen_address;
	int64_t	 listen_port;
	char	*kv_config_path;
	int64_t	 scan_interval;
	int64_t	 broker_expire;
	int64_t	 max_frame;
	int	 log_level;
};

extern const struct conf_key namesrv_keys[];

int	namesrv_conf_load(struct namesrv_conf *, const struct daemon_args *,
	    char **);

#endif /* NAMESRV_CONF_H */
