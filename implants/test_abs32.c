/* Refused by implant_load: built -fno-pic, taking an address gives an
 * absolute 32-bit relocation (R_X86_64_32), which cannot reach an implant
 * mapped above 4 GiB. */
#define EXPORT __attribute__((visibility("default")))

static int value = 7;
EXPORT int *value_address(void);

EXPORT int *value_address(void)
{
	return &value;
}
