/*
 * The broker's configuration file (petrel.conf(5)): the table of its
 * keys, the split of namesrvAddr, and the loader petrel-broker runs at
 * start, on SIGHUP and for -n.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_conf.h"
#include "conf.h"
#include "daemon.h"
#include "rpc.h"
#include "xmalloc.h"

static const char *const broker_log_levels[] = {
	"warning", "info", "debug", NULL
};

static const char *const broker_flush_types[] = {
	"ASYNC_FLUSH", "SYNC_FLUSH", NULL
};

/* Every key of the broker's configuration file; see petrel.conf(5). */
const struct conf_key broker_keys[] = {
	{ "brokerClusterName", CONF_STRING, 1, BROKER_NAME_MAX,
	  "DefaultCluster", offsetof(struct broker_conf, cluster), CONF_NODE,
	  NULL },
	{ "brokerName", CONF_STRING, 1, BROKER_NAME_MAX, "broker-a",
	  offsetof(struct broker_conf, name), CONF_NODE, NULL },
	{ "brokerId", CONF_INT, 0, 1000000, "0",
	  offsetof(struct broker_conf, id), 0, NULL },
	{ "namesrvAddr", CONF_STRING, 1, 4096, "127.0.0.1:9876",
	  offsetof(struct broker_conf, namesrv_addr), 0, NULL },
	{ "listenAddress", CONF_STRING, 1, 255, "0.0.0.0",
	  offsetof(struct broker_conf, listen_address), CONF_HOST, NULL },
	{ "listenPort", CONF_INT, 0, 65535, "10911",
	  offsetof(struct broker_conf, listen_port), 0, NULL },
	{ "brokerIP1", CONF_STRING, 0, 255, "",
	  offsetof(struct broker_conf, broker_ip), 0, NULL },
	{ "storePathRootDir", CONF_STRING, 0, PATH_MAX - 64, "",
	  offsetof(struct broker_conf, root), 0, NULL },
	{ "autoCreateTopicEnable", CONF_BOOL, 0, 0, "false",
	  offsetof(struct broker_conf, auto_create), 0, NULL },
	{ "defaultTopicQueueNums", CONF_INT, 1, BROKER_QUEUES_MAX, "8",
	  offsetof(struct broker_conf, default_queues), 0, NULL },
	{ "registerNameServerPeriod", CONF_DURATION, 1000, 3600000, "30s",
	  offsetof(struct broker_conf, register_period), 0, NULL },
	{ "maxFrameSize", CONF_SIZE, 4096, 1LL << 30, "16m",
	  offsetof(struct broker_conf, max_frame), 0, NULL },
	{ "logLevel", CONF_ENUM, 0, 0, "info",
	  offsetof(struct broker_conf, log_level), CONF_RELOAD,
	  broker_log_levels },
	{ "flushDiskType", CONF_ENUM, 0, 0, "ASYNC_FLUSH",
	  offsetof(struct broker_conf, flush_sync), 0, broker_flush_types },
	{ "mappedFileSizeCommitLog", CONF_SIZE, 64 * 1024, 1LL << 32, "1g",
	  offsetof(struct broker_conf, segment_size), 0, NULL },
	{ "maxMessageSize", CONF_SIZE, 1024, 64LL << 20, "4m",
	  offsetof(struct broker_conf, max_msg_size), 0, NULL },
	{ "flushIntervalCommitLog", CONF_DURATION, 10, 60000, "500ms",
	  offsetof(struct broker_conf, flush_interval), 0, NULL },
	{ "syncFlushTimeout", CONF_DURATION, 10, 60000, "5s",
	  offsetof(struct broker_conf, flush_timeout), 0, NULL },
	{ "fileReservedTime", CONF_INT, 1, 87600, "72",
	  offsetof(struct broker_conf, reserved_hours), 0, NULL },
	{ "deleteWhen", CONF_INT, 0, 23, "4",
	  offsetof(struct broker_conf, delete_hour), 0, NULL },
	{ "diskMaxUsedSpaceRatio", CONF_INT, 10, 95, "75",
	  offsetof(struct broker_conf, clean_ratio), 0, NULL },
	{ "diskSpaceWarningLevelRatio", CONF_INT, 10, 99, "90",
	  offsetof(struct broker_conf, refuse_ratio), 0, NULL },
	{ "maxReconsumeTimes", CONF_INT, 1, 1000, "16",
	  offsetof(struct broker_conf, max_reconsume), 0, NULL },
	{ "longPollingMaxTime", CONF_DURATION, 1000, 60000, "60s",
	  offsetof(struct broker_conf, suspend_max), 0, NULL },
	{ "rebalanceLockMaxLiveTime", CONF_DURATION, 1000, 3600000, "60s",
	  offsetof(struct broker_conf, lock_expire), 0, NULL },
	{ "busyPollMicros", CONF_INT, 0, 100000, "200",
	  offsetof(struct broker_conf, busy_poll), 0, NULL },
	{ NULL, 0, 0, 0, NULL, 0, 0, NULL }
};

/*
 * Split namesrvAddr at ';' into host:port entries (blanks around them and
 * empty ones skipped), each one the registrar's rpc_new() takes: a
 * numeric host or localhost and a port from 1 to 65535.  Returns how
 * many, or -1 with cause.
 */
int
broker_split_addrs(const char *list, char **out, size_t max, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*copy, *next, *s, *end, *host, *why;
	uint16_t		 port;
	int			 n = 0;

	copy = next = xstrdup(list);
	while ((s = strsep(&next, ";")) != NULL) {
		s += strspn(s, " \t");
		for (end = s + strlen(s); end > s && (end[-1] == ' ' ||
		    end[-1] == '\t'); end--)
			continue;
		*end = '\0';
		if (*s == '\0')
			continue;
		why = NULL;
		if (s[strcspn(s, " \t")] != '\0')
			why = xstrdup("separate addresses with ';'");
		else if (rpc_parse_address(s, &host, &port, &why) == 0) {
			if (rpc_resolve(host, port, &ss, &sslen, &why) == 0 &&
			    port == 0)
				why = xstrdup("port 0");
			free(host);
		}
		if (why != NULL) {
			xasprintf(cause, "namesrvAddr: \"%s\" is not host:port: "
			    "%s", s, why);
			free(why);
			goto fail;
		}
		if ((size_t)n == max) {
			xasprintf(cause, "namesrvAddr: more than %zu addresses",
			    max);
			goto fail;
		}
		if (out != NULL)
			out[n] = xstrdup(s);
		n++;
	}
	free(copy);
	if (n == 0) {
		xasprintf(cause, "namesrvAddr: no address");
		return (-1);
	}
	return (n);

fail:
	while (out != NULL && n > 0)
		free(out[--n]);
	free(copy);
	return (-1);
}

/*
 * Build the broker's configuration in c: defaults, the file (a missing
 * default file is fine, a missing -f file is not), the command line, then
 * the checks that span keys and the defaults that depend on the
 * environment.  0, or -1 with cause.
 */
int
broker_conf_load(struct broker_conf *c, const struct daemon_args *args,
    char **cause)
{
	char	*why;

	if (daemon_conf_load(broker_keys, c, sizeof *c, args, cause) != 0)
		return (-1);
	if (broker_split_addrs(c->namesrv_addr, NULL, BROKER_ADDRS,
	    &why) == -1) {
		xasprintf(cause, "%s: %s", args->conf, why);
		free(why);
		goto fail;
	}
	if (c->segment_size % (64 * 1024) != 0) {
		xasprintf(cause, "%s: mappedFileSizeCommitLog (%lld) must be a "
		    "multiple of 64k", args->conf,
		    (long long)c->segment_size);
		goto fail;
	}
	if (c->max_msg_size > c->segment_size / 2) {
		xasprintf(cause, "%s: maxMessageSize (%lld) must be at most "
		    "half of mappedFileSizeCommitLog (%lld)", args->conf,
		    (long long)c->max_msg_size, (long long)c->segment_size);
		goto fail;
	}
	if (c->refuse_ratio <= c->clean_ratio) {
		xasprintf(cause, "%s: diskSpaceWarningLevelRatio (%lld) must "
		    "be above diskMaxUsedSpaceRatio (%lld)", args->conf,
		    (long long)c->refuse_ratio, (long long)c->clean_ratio);
		goto fail;
	}
	if (*c->root == '\0') {
		free(c->root);
		c->root = daemon_state_dir(BROKER_DATADIR);
	}
	return (0);

fail:
	conf_free(broker_keys, c);
	return (-1);
}
