/* Files, a mapped file and a directory: writes a file, reads it back with
 * read() and through mmap, lists a directory it made, prints what it saw. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/rec_files.d";
	char path[512], buf[256];
	mkdir(dir, 0755);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/file%d.txt", dir, i);
		FILE *f = fopen(path, "w");
		if (!f) { perror(path); return 1; }
		for (int j = 0; j <= i * 100; j++)
			fprintf(f, "line %d of file %d\n", j, i);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/file2.txt", dir);
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("read %zd bytes, first line: %.*s\n", n, (int)strcspn(buf, "\n"), buf);
	struct stat st;
	fstat(fd, &st);
	char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) { perror("mmap"); return 1; }
	long lines = 0;
	for (off_t i = 0; i < st.st_size; i++)
		lines += m[i] == '\n';
	printf("mapped %lld bytes, %ld lines, last byte %d\n",
	       (long long)st.st_size, lines, m[st.st_size - 1]);
	munmap(m, (size_t)st.st_size);
	close(fd);
	DIR *d = opendir(dir);
	char *names[16];
	int k = 0;
	struct dirent *e;
	while ((e = readdir(d)) && k < 16)
		if (e->d_name[0] != '.')
			names[k++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)k, sizeof(names[0]), cmp);
	for (int i = 0; i < k; i++) {
		printf("entry %s\n", names[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		free(names[i]);
	}
	rmdir(dir);
	return 0;
}
