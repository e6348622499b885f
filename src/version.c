#include "version.h"

const char *version_string(void)
{
	return AFTOMATO_VERSION;
}
