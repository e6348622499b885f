/* project_desc: reading and checking project descriptors and sidecar files for
 * project.c (the public interface is project.h). Messages name files as `shown`
 * (relative to the repository). */
#ifndef AFTOMATO_PROJECT_DESC_H
#define AFTOMATO_PROJECT_DESC_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "project.h"

/* Reads the descriptor at path (JSON or YAML by extension) into the descriptor
 * fields of p (build_image ... env; new strings owned by p, freed by
 * project_cleanup even on failure). 0, or -1 with e filled (ERR_CONFIG). */
int project_desc_load(const char *path, const char *shown, struct project *p, struct err *e);

/* Loads every `*-sidecar.json` / `*-sidecar.yaml` among names (the sorted entries
 * of p->dir) into p->sidecar_paths and p->sidecars (owned by p). Container names
 * must be unique and not "build". 0, or -1 with e filled. */
int project_desc_sidecars(const char *key, struct project *p, char *const *names, size_t n,
			  struct err *e);

/* One sidecar file as a container object (new reference), or NULL with e filled. */
json_t *project_desc_sidecar(const char *path, const char *shown, struct err *e);

#endif
