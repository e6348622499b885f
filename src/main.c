/* aftomato: the operator console for the Aftomato CI build server. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "supervise.h"

int main(int argc, char **argv)
{
	/* The detached supervisor of a local build (exec_local.c). */
	if (argc == 4 && strcmp(argv[1], "__supervise") == 0)
		return supervise_main(argv[2], atoi(argv[3]));
	return cli_main(argc, argv);
}
