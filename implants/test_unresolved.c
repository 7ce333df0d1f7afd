/* Refused by implant_load: calls a function that is not in the implant. */
#define EXPORT __attribute__((visibility("default")))

extern int missing_function(int);
EXPORT int uses_missing(int);

EXPORT int uses_missing(int x)
{
	return missing_function(x) + 1;
}
