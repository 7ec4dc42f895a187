/*
 * The broker's configuration (petrel.conf(5)): its keys, and how
 * petrel-broker loads and checks a file.  Apart from the daemon's main
 * so that tests/fuzz/fuzz_conf.c fuzzes the same code.
 */
#ifndef BROKER_CONF_H
#define BROKER_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "daemon.h"

#define BROKER_DATADIR	"petrel-data/broker"
#define BROKER_ADDRS	16	/* name servers at most */

struct broker_conf {
	char	*cluster;
	char	*name;
	int64_t	 id;
	char	*namesrv_addr;
	char	*listen_address;
	int64_t	 listen_port;
	char	*broker_ip;
	char	*root;
	int	 auto_create;
	int64_t	 default_queues;
	int64_t	 register_period;
	int64_t	 max_frame;
	int	 log_level;
	int	 flush_sync;
	int64_t	 segment_size;
	int64_t	 max_msg_size;
	int64_t	 flush_interval;
	int64_t	 flush_timeout;
	int64_t	 reserved_hours;
	int64_t	 delete_hour;
	int64_t	 clean_ratio;
	int64_t	 refuse_ratio;
	int64_t	 max_reconsume;
	int64_t	 suspend_max;
	int64_t	 lock_expire;
	int64_t	 busy_poll;
};

extern const struct conf_key broker_keys[];

int	broker_conf_load(struct broker_conf *, const struct daemon_args *,
	    char **);
int	broker_split_addrs(const char *, char **, size_t, char **);

#endif /* BROKER_CONF_H */
