/* popen for reading (lines from a shell) and for writing (tr writes what
 * we send to our stdout); pclose returns the child's status. */
#include "conf_proc.h"

int main(void)
{
	fflush(stdout);
	FILE *r = popen("echo alpha; echo beta; exit 2", "r");
	if (!r) {
		conf_fail("popen r");
		return conf_finish("popen");
	}
	char line[64];
	int n = 0;
	while (fgets(line, sizeof line, r)) {
		printf("read: %s", line);
		n++;
	}
	int st = pclose(r);
	check("two lines read", n == 2);
	check("pclose status 2", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2);

	fflush(stdout);
	FILE *w = popen("tr a-z A-Z", "w");
	if (!w) {
		conf_fail("popen w");
		return conf_finish("popen");
	}
	for (int i = 0; i < 3; i++)
		fprintf(w, "line %d written to tr\n", i);
	st = pclose(w);
	check("pclose of the writer: exited 0", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	fflush(stdout);
	w = popen("wc -l", "w");
	if (!w) {
		conf_fail("popen wc");
		return conf_finish("popen");
	}
	for (int i = 0; i < 100; i++)
		fprintf(w, "%d\n", i);
	st = pclose(w);
	check("wc exited 0", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);

	r = popen("seq 1 1000", "r");
	long sum = 0, v;
	while (r && fscanf(r, "%ld", &v) == 1)
		sum += v;
	st = r ? pclose(r) : -1;
	printf("sum of seq 1 1000: %ld\n", sum);
	check("sum is 500500", sum == 500500);
	check("seq exited 0", st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return conf_finish("popen");
}
