/* datadir: where things live under a profile's data_dir.
 *   <data_dir>/builds.db            SQLite build store (store: local)
 *   <data_dir>/blobs/<bucket>/...   directory blob store (store: local)
 *   <data_dir>/spool/<id>.log[.ts]  live build logs (every executor)
 *   <data_dir>/run/<id>/            local builds: supervisor state (supervise.h)
 *   <data_dir>/work/<id>/           local builds: the workspace
 *   <data_dir>/cache/logs/<id>.log  archived logs fetched for viewing
 *   <data_dir>/pending/             console logs not yet uploaded
 * Every function returns a new string the caller frees. */
#ifndef AFTOMATO_DATADIR_H
#define AFTOMATO_DATADIR_H

char *datadir_spool(const char *data_dir, const char *build_id);
char *datadir_run(const char *data_dir, const char *build_id);
char *datadir_work(const char *data_dir, const char *build_id);
char *datadir_cache_log(const char *data_dir, const char *build_id);
char *datadir_sub(const char *data_dir, const char *sub);

#endif
