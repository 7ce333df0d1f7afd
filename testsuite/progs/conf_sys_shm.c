/* SysV shared memory across processes: a segment attached before a fork
 * (inherited), attached again separately by the child, written through
 * one attachment and read through the others, read-only attachments,
 * shmdt, IPC_STAT and IPC_RMID.  Self-checking: ends with PASS. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

int main(void)
{
	int id = shmget(IPC_PRIVATE, 3 * 4096 + 100, IPC_CREAT | 0600);
	check("shmget", id >= 0);
	char *before = shmat(id, NULL, 0);
	check("shmat before the fork", before != (void *)-1);
	strcpy(before, "attached before the fork");
	pid_t c = fork();
	if (c == 0) {
		char *p = shmat(id, NULL, 0);
		if (p == (void *)-1)
			_exit(2);
		strcpy(p + 5000, "the child wrote this");
		before[100] = 'X';
		_exit(shmdt(p) == 0 ? 0 : 3);
	}
	int st;
	waitpid(c, &st, 0);
	check("child attached, wrote, detached", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *ro = shmat(id, NULL, SHM_RDONLY);
	check("read-only attachment", ro != (void *)-1);
	check("it sees the first write", strcmp(ro, "attached before the fork") == 0);
	check("it sees the child's write", strcmp(ro + 5000, "the child wrote this") == 0);
	check("the inherited attachment sees the child's write",
	      strcmp(before + 5000, "the child wrote this") == 0 && before[100] == 'X');
	strcpy(before + 9000, "late write");
	check("a write after both attached is seen by the other",
	      strcmp(ro + 9000, "late write") == 0);
	struct shmid_ds ds;
	check("IPC_STAT: size and two attachments", shmctl(id, IPC_STAT, &ds) == 0 &&
	      ds.shm_segsz == 3 * 4096 + 100 && ds.shm_nattch == 2);
	check("shmdt", shmdt(ro) == 0 && shmdt(before) == 0);
	check("IPC_RMID", shmctl(id, IPC_RMID, NULL) == 0);
	if (failures)
		return 1;
	printf("PASS conf_sys_shm\n");
	return 0;
}
