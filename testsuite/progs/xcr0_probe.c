/* What a program learns about XCR0: XGETBV(0), the compiler's CPU
 * feature check, CPUID(0xD,0).EBX (XSAVE size for the enabled
 * components) and the memcpy variant glibc's ifunc resolver chose.
 *
 * The variants (__memmove_avx_unaligned_erms, __memmove_evex_...,
 * __memmove_avx512_...) are local symbols: dladdr only knows exported
 * ones, so the name comes from libc's separate debug file
 * (/usr/lib/debug/.build-id/, libc6-dbg) when there is one, else the
 * offset in libc is printed. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

struct find_id {
	uintptr_t base;
	char hex[80];
};

/* The GNU build-id of the object loaded at f->base, as hex. */
static int build_id_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_id *f = arg;
	(void)size;

	if (info->dlpi_addr != f->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == NT_GNU_BUILD_ID && n->n_descsz < 38) {
				for (unsigned k = 0; k < n->n_descsz; k++)
					sprintf(f->hex + 2 * k, "%02x", desc[k]);
				return 1;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

/* Name of the STT_FUNC at offset off in an ELF file's .symtab. */
static const char *symtab_name(const char *path, uint64_t off, char *out,
			       size_t outlen)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	const char *found = NULL;

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	const uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum && !found; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(m + sh[i].sh_offset);
		const char *str = (const char *)(m + sh[sh[i].sh_link].sh_offset);
		size_t n = sh[i].sh_size / sizeof(*sym);
		for (size_t k = 0; k < n; k++)
			if (ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC &&
			    sym[k].st_value == off && str[sym[k].st_name]) {
				snprintf(out, outlen, "%s", str + sym[k].st_name);
				found = out;
				break;
			}
	}
	munmap((void *)m, (size_t)st.st_size);
	return found;
}

static const char *memcpy_variant(char *out, size_t outlen)
{
	/* dlsym runs the IFUNC resolver, as symbol binding does. */
	void *target = dlsym(RTLD_DEFAULT, "memcpy");
	Dl_info info;
	struct find_id f = { 0 };
	char path[160];

	if (!target || !dladdr(target, &info))
		return "?";
	f.base = (uintptr_t)info.dli_fbase;
	uint64_t off = (uintptr_t)target - f.base;
	if (dl_iterate_phdr(build_id_cb, &f) && f.hex[0]) {
		snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug",
			 f.hex, f.hex + 2);
		if (symtab_name(path, off, out, outlen))
			return out;
	}
	snprintf(out, outlen, "libc+%#llx", (unsigned long long)off);
	return out;
}

int main(void)
{
	unsigned int a, b, c, d;
	char name[128];

	__cpuid_count(0xd, 0, a, b, c, d);
	printf("xgetbv0 %#llx\n", (unsigned long long)xgetbv0());
	printf("avx512f %d\n", __builtin_cpu_supports("avx512f") ? 1 : 0);
	printf("avx2 %d\n", __builtin_cpu_supports("avx2") ? 1 : 0);
	printf("xsave_size %u\n", b);
	printf("memcpy %s\n", memcpy_variant(name, sizeof(name)));
	return 0;
}
