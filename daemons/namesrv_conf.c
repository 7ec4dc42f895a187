/*
 * The name server's configuration file (petrel.conf(5)): the table of its
 * keys and the loader petrel-namesrv runs at start, on SIGHUP and for -n.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "daemon.h"
#include "namesrv_conf.h"
#include "xmalloc.h"

static const char *const namesrv_log_levels[] = {
	"warning", "info", "debug", NULL
};

/* Every key of the name server's configuration file; see petrel.conf(5). */
const struct conf_key namesrv_keys[] = {
	{ "listenAddress", CONF_STRING, 1, 255, "0.0.0.0",
	  offsetof(struct namesrv_conf, listen_address), CONF_HOST, NULL },
	{ "listenPort", CONF_INT, 0, 65535, "9876",
	  offsetof(struct namesrv_conf, listen_port), 0, NULL },
	{ "kvConfigPath", CONF_STRING, 0, PATH_MAX - 16, "",
	  offsetof(struct namesrv_conf, kv_config_path), 0, NULL },
	{ "scanNotActiveBrokerInterval", CONF_DURATION, 10, 3600000, "10s",
	  offsetof(struct namesrv_conf, scan_interval), CONF_RELOAD, NULL },
	{ "brokerChannelExpiredTime", CONF_DURATION, 10, 86400000, "120s",
	  offsetof(struct namesrv_conf, broker_expire), CONF_RELOAD, NULL },
	{ "maxFrameSize", CONF_SIZE, 4096, 1LL << 30, "16m",
	  offsetof(struct namesrv_conf, max_frame), 0, NULL },
	{ "logLevel", CONF_ENUM, 0, 0, "info",
	  offsetof(struct namesrv_conf, log_level), CONF_RELOAD,
	  namesrv_log_levels },
	{ NULL, 0, 0, 0, NULL, 0, 0, NULL }
};

/*
 * Build the name server's configuration in c: defaults, the file (a
 * missing default file is fine, a missing -f file is not), the command
 * line, then the defaults that depend on the environment.  0, or -1 with
 * cause.
 */
int
namesrv_conf_load(struct namesrv_conf *c, const struct daemon_args *args,
    char **cause)
{
	char	*dir;

	if (daemon_conf_load(namesrv_keys, c, sizeof *c, args, cause) != 0)
		return (-1);
	if (*c->kv_config_path == '\0') {
		dir = daemon_state_dir(NAMESRV_DATADIR);
		free(c->kv_config_path);
		xasprintf(&c->kv_config_path, "%s/%s", dir, NAMESRV_KVFILE);
		free(dir);
	}
	return (0);
}
