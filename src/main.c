#include <stdio.h>
int main(void)
{
	puts("aftomato " AFTOMATO_VERSION);
	return 0;
}
