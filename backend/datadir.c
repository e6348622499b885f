#include "datadir.h"

#include "xmem.h"

char *datadir_spool(const char *data_dir, const char *build_id)
{
	return xasprintf("%s/spool/%s.log", data_dir, build_id);
}

char *datadir_run(const char *data_dir, const char *build_id)
{
	return xasprintf("%s/run/%s", data_dir, build_id);
}

char *datadir_work(const char *data_dir, const char *build_id)
{
	return xasprintf("%s/work/%s", data_dir, build_id);
}

char *datadir_cache_log(const char *data_dir, const char *build_id)
{
	return xasprintf("%s/cache/logs/%s.log", data_dir, build_id);
}

char *datadir_sub(const char *data_dir, const char *sub)
{
	return xasprintf("%s/%s", data_dir, sub);
}
