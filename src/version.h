#ifndef AFTOMATO_VERSION_H
#define AFTOMATO_VERSION_H
/* The program's version, as set by the build ("0.1.0"). Static storage. */
const char *version_string(void);
#endif
