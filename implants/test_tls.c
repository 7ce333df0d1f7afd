/* Refused by implant_load (relocatable object): a thread-local variable
 * in the local-exec model gives R_X86_64_TPOFF32 relocations. */
#define EXPORT __attribute__((visibility("default")))

__thread int per_thread = 3;
EXPORT int read_tls(void);

EXPORT int read_tls(void)
{
	return per_thread;
}
